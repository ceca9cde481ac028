"""reception.security.StaffBackend: a signed-in member of staff is read with
their profile, site and department in one query (SiteMiddleware's time zone and
the navbar's "Dept-Name", R3.1, need all three on every desk page)."""

from reception.security import StaffBackend


def test_sign_in_uses_the_staff_backend(client, clerk):
    client.post("/accounts/login/", {"username": "clerk", "password": "correct-horse-battery"})

    assert client.session["_auth_user_backend"] == "reception.security.StaffBackend"


def test_the_user_comes_with_profile_site_and_department_in_one_query(clerk, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = StaffBackend().get_user(clerk.pk)
        label = (user.profile.label, user.profile.site.tzinfo)

    assert label == (clerk.profile.label, clerk.profile.site.tzinfo)


def test_a_deactivated_or_unknown_user_is_nobody(clerk):
    clerk.is_active = False
    clerk.save()

    assert StaffBackend().get_user(clerk.pk) is None
    assert StaffBackend().get_user(10**9) is None


def test_a_desk_page_reads_the_signed_in_user_once(client, clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post("/accounts/login/", {"username": "clerk", "password": "correct-horse-battery"})
    client.get("/desk/")  # records the activity (R4.1), a session write

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/desk/log/")

    assert response.status_code == 200
    assert "Front Desk-Zhang Wei" in response.content.decode()  # the navbar, R3.1
    people = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "auth_user"' in q["sql"] and 'WHERE "auth_user"."id" = ' in q["sql"]
    ]
    assert len(people) == 1 and '"reception_site"' in people[0] and '"reception_department"' in people[0]
    alone = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith(('SELECT "reception_site"', 'SELECT "reception_staffprofile"'))
    ]
    assert alone == []


# --- permissions: ModelBackend's queries, built once (issue #24) --------------------


def test_permissions_are_what_djangos_backend_reads(clerk, manager, director, host, stranger, make_staff, site):
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission

    direct = make_staff("direct", None, site=site)
    direct.user_permissions.add(Permission.objects.get(codename="view_insights"))
    host.user_permissions.add(Permission.objects.get(codename="view_insights"))  # and through a group
    admin = make_staff("root", None, site=site, is_staff=True)
    admin.is_superuser = True
    admin.save()

    for person in (clerk, manager, director, host, stranger, direct, admin):
        ours, djangos = StaffBackend().get_user(person.pk), ModelBackend().get_user(person.pk)
        assert StaffBackend().get_user_permissions(ours) == ModelBackend().get_user_permissions(djangos)
        assert StaffBackend().get_group_permissions(ours) == ModelBackend().get_group_permissions(djangos)
        assert StaffBackend().get_all_permissions(ours) == ModelBackend().get_all_permissions(djangos)
    assert "visitors.view_insights" in StaffBackend().get_all_permissions(StaffBackend().get_user(direct.pk))
    assert StaffBackend().get_all_permissions(StaffBackend().get_user(stranger.pk)) == set()


def test_permissions_cost_two_reads_once_per_request(clerk, django_assert_num_queries):
    user = StaffBackend().get_user(clerk.pk)

    with django_assert_num_queries(2):
        assert user.has_perm("visitors.view_visit") and not user.has_perm("visitors.view_insights")
        assert user.has_perm("visitors.check_out_visit")


def test_a_disabled_account_holds_no_permission(clerk):
    clerk.is_active = False

    assert StaffBackend().get_all_permissions(clerk) == set()
    assert not clerk.has_perm("visitors.view_visit")
