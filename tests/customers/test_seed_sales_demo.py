"""The demo's sales floor (issue #17): seed_demo brings a sales team, a queue,
customers in each tier and a week of calls, and customer care's last month
(issue #18): complaints and follow-ups; a second run changes nothing."""

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from customers.models import Call, Complaint, Customer, FollowUp, RotationMember

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The written complaint's letters are stored out of the way."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"reception", "visitors", "customers", "auth"}
    }


def seed():
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))


def test_seed_demo_brings_a_sales_floor(time_machine):
    time_machine.move_to("2026-11-27 11:00:00+08:00", tick=False)
    seed()

    for username in ["salesperson", "sales2", "sales3", "floor"]:
        assert authenticate(username=username, password="lobby-demo") is not None, username
    assert list(RotationMember.objects.values_list("user__username", flat=True)) == ["salesperson", "sales2", "sales3"]
    assert set(Customer.objects.values_list("tier", flat=True)) == {"gold", "important", "general"}
    assert Call.objects.dates("received_at", "day").count() == 6


def test_seed_sales_demo_run_twice_changes_nothing(time_machine):
    time_machine.move_to("2026-11-27 22:30:00+08:00", tick=False)  # also at night
    seed()
    before = row_counts()

    seed()

    assert row_counts() == before


def test_seed_demo_brings_a_month_of_complaints_and_follow_ups(time_machine, media):
    time_machine.move_to("2026-11-27 11:00:00+08:00", tick=False)
    seed()

    opened = Complaint.objects.dates("opened_at", "day")
    assert Complaint.objects.count() == 8
    assert opened.first().isoformat() >= "2026-10-28" and opened.last().isoformat() <= "2026-11-27"
    assert set(Complaint.objects.values_list("status", flat=True)) == {"open", "in_progress", "replied", "closed"}
    assert Complaint.objects.filter(severity="major", acknowledged_at__isnull=False).count() == 2
    written = Complaint.objects.get(channel="written")
    assert written.document_number == "HQ-2026-0001" and written.status == "closed"
    assert (media / written.letter.name).read_bytes().startswith(b"%PDF-")
    assert (media / written.reply_letter.name).exists()
    # six by hand (three done), and one for each of the four closed complaints (R5.5)
    assert FollowUp.objects.count() == 10
    assert sorted(FollowUp.objects.filter(done_at__isnull=False).values_list("satisfaction", flat=True)) == [3, 4, 5]
