import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from reception.models import ReceptionRoom, RosterEntry
from visitors.models import AgreementVersion, Visit, VisitStatus

pytestmark = pytest.mark.django_db


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"reception", "visitors", "auth"}
    }


def test_seed_demo_creates_the_rooms_of_r1_3_and_an_account_per_duty(time_machine):
    time_machine.move_to("2026-11-27 11:00:00+08:00", tick=False)
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))

    rooms = {room.name: room for room in ReceptionRoom.objects.prefetch_related("categories")}
    assert [c.code for c in rooms["Culture Pavilion"].categories.all()] == ["A"]
    assert [c.code for c in rooms["Business Room"].categories.all()] == ["B", "D"]  # D: Contractor (issue #19)
    assert [c.code for c in rooms["Lounge"].categories.all()] == ["C"]
    assert rooms["General Manager's Office"].any_category
    for username in ["manager", "director", "clerk", "night", "security", "secretary", "host"]:
        assert authenticate(username=username, password="lobby-demo") is not None, username
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert statuses == {VisitStatus.EXPECTED, VisitStatus.ON_SITE, VisitStatus.LEFT}
    assert RosterEntry.objects.filter(duty__code="night_officer").exists()
    # Issue #19: the walk-ins' NDA, in both languages.
    nda = AgreementVersion.objects.get(agreement__category__code="C", agreement__kind="nda")
    assert nda.number == 1 and nda.text_en and "保密" in nda.text_zh and nda.title_zh


def test_seed_demo_run_twice_changes_nothing(time_machine):
    time_machine.move_to("2026-11-27 22:30:00+08:00", tick=False)  # also works at night
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))
    before = row_counts()
    passwords = dict(apps.get_model("auth", "User").objects.values_list("username", "password"))

    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))

    assert row_counts() == before
    assert dict(apps.get_model("auth", "User").objects.values_list("username", "password")) == passwords


def test_seed_demo_has_an_approval_category_and_a_watchlist_entry(time_machine):
    """Issue #19: Contractor walk-ups wait for the host (A13) in the Business
    Room; Wang Qiang (王强) is on the watchlist, held for security."""
    from reception.models import Site, VisitorCategory
    from visitors import watchlist
    from visitors.models import Visitor, WatchlistLevel

    time_machine.move_to("2026-11-27 11:00:00+08:00", tick=False)
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))

    site = Site.objects.get(slug="hq")
    contractor = VisitorCategory.objects.get(site=site, code="D")
    assert contractor.walk_ups_need_approval and contractor.name_zh == "承包商"
    assert contractor.escalation_steps.exists()  # R3.2 like every category
    assert ReceptionRoom.objects.get(site=site, name="Business Room").allows(contractor)
    assert not VisitorCategory.objects.get(site=site, code="C").walk_ups_need_approval  # the kiosk's own
    entry = watchlist.match(site, Visitor(full_name="王 强"))
    assert entry is not None and entry.level == WatchlistLevel.DENY
    assert watchlist.match(site, Visitor(full_name="Maria Rossi")) is None  # no demo visitor is held


def test_seed_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
