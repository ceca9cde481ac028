"""Issue #15 item 1: the office manager creates staff of their own site and gives
them Lobby's duties (R1.5), nothing more. Asked through the admin's own forms."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from reception.models import Department, DutyCode, StaffProfile
from reception.roles import DUTY_GROUPS, OFFICE_MANAGER

User = get_user_model()
ADD = reverse("admin:auth_user_add")
NEW_PASSWORD = "a-long-fresh-passphrase"


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def group(name: str) -> Group:
    return Group.objects.get(name=name)


@pytest.fixture
def id_numbers():
    return Permission.objects.get(codename="view_id_number")


def profile_inline(**fields) -> dict:
    data = {
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-real_name": "Wang Fang",
        "profile-0-department": str(Department.objects.get_or_create(name="Front Desk")[0].pk),
        "profile-0-work_phone": "",
    }
    return {**data, **{f"profile-0-{name}": value for name, value in fields.items()}}


def change_form(user, **fields) -> dict:
    """The manager's change form for `user` as the browser sends it, with `fields` on top."""
    profile = user.profile
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "1",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": str(profile.pk),
        "profile-0-user": str(user.pk),
        "profile-0-real_name": profile.real_name,
        "profile-0-department": str(profile.department_id or ""),
        "profile-0-work_phone": profile.work_phone,
    }
    return {**data, **fields}


def test_the_manager_creates_staff_at_their_own_site_without_privileges(client, manager, site, other_site):
    client.force_login(manager)

    response = client.post(
        ADD,
        {
            "username": "wang",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [group(OFFICE_MANAGER).pk],
            "user_permissions": [Permission.objects.get(codename="view_id_number").pk],
            **profile_inline(site=str(other_site.pk)),
        },
    )

    assert response.status_code == 302
    wang = User.objects.get(username="wang")
    assert (wang.is_superuser, wang.is_staff) == (False, False)
    assert not wang.groups.exists() and not wang.user_permissions.exists()
    assert wang.profile.site == site  # the manager's, whatever was posted
    assert response["Location"] == change_url(wang)  # and the manager finds it again


def test_the_manager_cannot_create_an_account_without_a_profile(client, manager):
    client.force_login(manager)

    response = client.post(
        ADD,
        {
            "username": "ghost",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **profile_inline(real_name="", department=""),
        },
    )

    assert response.status_code == 200
    assert "Please submit at least 1 form" in response.content.decode()
    assert not User.objects.filter(username="ghost").exists()


def test_the_manager_gives_duties_but_no_flags_permissions_or_other_groups(client, manager, clerk, id_numbers):
    client.force_login(manager)

    response = client.post(
        change_url(clerk),
        change_form(
            clerk,
            is_superuser="on",
            is_staff="on",
            user_permissions=[id_numbers.pk],
            groups=[group(DUTY_GROUPS[DutyCode.SECURITY]).pk, group(OFFICE_MANAGER).pk],
        ),
    )

    assert response.status_code == 200  # the Office manager group is not a choice
    assert "Select a valid choice" in response.content.decode()
    clerk.refresh_from_db()
    assert (clerk.is_superuser, clerk.is_staff) == (False, False)
    assert list(clerk.groups.values_list("name", flat=True)) == [DUTY_GROUPS[DutyCode.CLERK]]
    assert not clerk.user_permissions.exists()


def test_the_manager_changes_a_duty_and_the_flags_stay_off(client, manager, clerk, id_numbers):
    client.force_login(manager)

    response = client.post(
        change_url(clerk),
        change_form(
            clerk,
            is_superuser="on",
            is_staff="on",
            user_permissions=[id_numbers.pk],
            groups=[group(DUTY_GROUPS[DutyCode.SECURITY]).pk],
        ),
    )

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.is_superuser, clerk.is_staff) == (False, False)
    assert list(clerk.groups.values_list("name", flat=True)) == [DUTY_GROUPS[DutyCode.SECURITY]]
    assert not clerk.user_permissions.exists()


def test_a_group_the_administrator_gave_stays_when_the_manager_edits_duties(client, manager, clerk):
    auditors = Group.objects.create(name="External auditors")
    clerk.groups.add(auditors)
    client.force_login(manager)

    response = client.post(change_url(clerk), change_form(clerk, groups=[group(DUTY_GROUPS[DutyCode.HOST]).pk]))

    assert response.status_code == 302
    assert set(clerk.groups.values_list("name", flat=True)) == {DUTY_GROUPS[DutyCode.HOST], "External auditors"}


def test_the_manager_cannot_change_their_own_groups(client, manager):
    client.force_login(manager)

    response = client.post(
        change_url(manager),
        change_form(manager, groups=[group(OFFICE_MANAGER).pk, group(DUTY_GROUPS[DutyCode.SECURITY]).pk]),
    )

    assert response.status_code == 302  # saved: the groups are read-only on one's own page
    assert list(manager.groups.values_list("name", flat=True)) == [OFFICE_MANAGER]
    assert not manager.has_perm("visitors.view_id_number")


@pytest.mark.parametrize("kind", ["superuser", "peer manager"])
def test_the_manager_cannot_open_a_superuser_or_another_manager(client, manager, site, make_staff, kind):
    if kind == "superuser":
        target = User.objects.create_superuser("root", "root@lobby.test", NEW_PASSWORD)
        StaffProfile.objects.create(user=target, site=site, real_name="Root")
    else:
        target = make_staff("manager2", OFFICE_MANAGER, site=site, is_staff=True)
    client.force_login(manager)

    change = client.get(change_url(target))
    password = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "taken-over-now-1", "password2": "taken-over-now-1"},
    )

    assert change.status_code == 302 and change["Location"] == reverse("admin:index")
    assert password.status_code == 404
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD if kind == "superuser" else "correct-horse-battery")


def test_the_manager_cannot_change_a_groups_permissions(client, manager, id_numbers):
    clerks = group(DUTY_GROUPS[DutyCode.CLERK])
    held = set(clerks.permissions.all())
    client.force_login(manager)

    response = client.post(
        reverse("admin:auth_group_change", args=[clerks.pk]),
        {"name": clerks.name, "permissions": [p.pk for p in held | {id_numbers}]},
    )

    assert response.status_code == 403
    assert set(clerks.permissions.all()) == held
    assert not manager.has_perm("auth.change_group")
    assert not manager.has_perm("auth.add_group") and not manager.has_perm("auth.delete_group")


def test_the_administrator_still_grants_staff_status(client, admin_user, manager, site):
    client.force_login(admin_user)

    response = client.post(
        ADD,
        {
            "username": "office2",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **profile_inline(site=str(site.pk)),
        },
    )
    office2 = User.objects.get(username="office2")
    data = change_form(office2, is_staff="on", groups=[group(OFFICE_MANAGER).pk])
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "10:00:00", "profile-0-site": str(site.pk)})
    changed = client.post(change_url(office2), data)

    assert response.status_code == 302 and changed.status_code == 302, changed.context and changed.context["errors"]
    office2.refresh_from_db()
    assert office2.is_staff and office2.groups.filter(name=OFFICE_MANAGER).exists()
