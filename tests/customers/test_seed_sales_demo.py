"""The demo's sales floor (issue #17): seed_demo brings a sales team, a queue,
customers in each tier and a week of calls, and a second run changes nothing."""

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command

from customers.models import Call, Customer, RotationMember

pytestmark = pytest.mark.django_db


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
