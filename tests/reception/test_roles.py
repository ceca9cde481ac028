"""R1.5 / R6.8: every duty is a group with its permissions after migrate."""

import pytest
from django.contrib.auth.models import Group

from reception.models import Duty, DutyCode
from reception.roles import DUTY_GROUPS, OFFICE_MANAGER, ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_every_duty_has_its_group():
    assert set(Duty.objects.values_list("code", flat=True)) == set(DutyCode.values)
    for duty in Duty.objects.select_related("group"):
        assert duty.group.name == DUTY_GROUPS[duty.code]


@pytest.mark.parametrize("group_name", sorted(ROLE_PERMISSIONS))
def test_each_group_holds_exactly_its_permissions(group_name):
    group = Group.objects.get(name=group_name)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}

    assert held == set(ROLE_PERMISSIONS[group_name])


def test_nobody_may_delete_visit_history():
    for group_name, codes in ROLE_PERMISSIONS.items():
        assert "visitors.delete_visit" not in codes, group_name
        assert "visitors.delete_visitor" not in codes, group_name


def test_night_officer_is_a_desk_role_and_only_the_director_may_override(clerk, night_officer, director):
    assert night_officer.has_perm("visitors.register_visit")
    assert not clerk.has_perm("visitors.override_night_duty")
    assert not night_officer.has_perm("visitors.override_night_duty")
    assert director.has_perm("visitors.override_night_duty")


def test_office_manager_edits_the_rules_in_the_admin(manager):
    for perm in ["change_site", "change_visitorcategory", "change_receptionroom", "add_rosterentry"]:
        assert manager.has_perm(f"reception.{perm}")
    assert Group.objects.filter(name=OFFICE_MANAGER).exists()
