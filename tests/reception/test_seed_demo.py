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
    assert [c.code for c in rooms["Business Room"].categories.all()] == ["B"]
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


def test_seed_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
