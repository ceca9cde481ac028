"""The navbar's menu is drawn once per reader's language, label and
permissions and kept (issue #24); nothing it shows may go stale: a
permission granted or taken away, or a new label (R3.1), shows on the next
page, and each reader signs out with their own CSRF token."""

from django.contrib.auth.models import Group, Permission
from django.test import Client

from reception.models import Department, DutyCode
from reception.roles import DUTY_GROUPS


def menu(page) -> str:
    html = page.content.decode()
    return html.split('id="nav"')[1].split("</nav>")[0]


def test_each_reader_gets_the_menu_of_their_own_permissions(client, clerk, manager, director):
    client.force_login(clerk)
    as_clerk = menu(client.get("/desk/"))
    client.force_login(manager)
    as_manager = menu(client.get("/desk/"))
    client.force_login(director)
    as_director = menu(client.get("/desk/"))

    assert 'href="/desk/register/"' in as_clerk and "Front Desk-Zhang Wei" in as_clerk
    assert 'href="/admin/"' not in as_clerk  # the back office is for staff accounts
    assert 'href="/admin/"' in as_manager
    assert 'href="/desk/insights/"' in as_director and 'href="/desk/insights/"' not in as_clerk


def test_a_permission_granted_in_the_back_office_shows_on_the_next_page(client, clerk):
    client.force_login(clerk)
    assert 'href="/desk/insights/"' not in menu(client.get("/desk/"))

    clerk.user_permissions.add(Permission.objects.get(codename="view_insights"))

    assert 'href="/desk/insights/"' in menu(client.get("/desk/"))


def test_a_duty_taken_away_leaves_the_menu_on_the_next_page(client, clerk):
    client.force_login(clerk)
    client.get("/desk/")
    clerk.groups.add(Group.objects.get(name=DUTY_GROUPS[DutyCode.DIRECTOR]))
    assert 'href="/desk/insights/"' in menu(client.get("/desk/"))

    clerk.groups.remove(Group.objects.get(name=DUTY_GROUPS[DutyCode.DIRECTOR]))

    assert 'href="/desk/insights/"' not in menu(client.get("/desk/"))


def test_a_renamed_department_shows_in_the_label_on_the_next_page(client, clerk):
    client.force_login(clerk)
    assert "Front Desk-Zhang Wei" in menu(client.get("/desk/"))

    Department.objects.filter(pk=clerk.profile.department_id).update(name="Reception")

    assert "Reception-Zhang Wei" in menu(client.get("/desk/"))  # R3.1


def test_the_menu_follows_the_readers_language(client, clerk):
    client.force_login(clerk)
    english = menu(client.get("/desk/"))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/desk/"})

    chinese = menu(client.get("/desk/"))

    assert ">Visitor log<" in english and ">Visitor log<" not in chinese
    assert english.count("<li") == chinese.count("<li")


def test_each_reader_signs_out_with_their_own_token(clerk, make_staff, site):
    other_clerk = make_staff("clerk2", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="Wang Fang")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(clerk)
    second.force_login(other_clerk)
    first.get("/desk/")

    page = menu(second.get("/desk/"))
    token = page.split('action="/accounts/logout/"')[1].split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    assert "csrf-slot" not in page
    assert second.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in second.session
    assert "_auth_user_id" in first.session
