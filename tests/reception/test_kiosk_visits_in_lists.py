"""Issue #16 item 1: a visit that nobody on staff registered, checked in or
checked out (the visitor did it at the kiosk) appears on every page and email
that lists visits, with "Kiosk" where a member of staff's name would be —
never a blank, never a 500. The morning report answered 500 for any night in
which a kiosk walk-in arrived or left."""

import re
from datetime import date

import pytest
from django.core import mail

from reception.tasks import send_morning_report
from tests.reception.night_shift import leave, local, roster_night, walk_in
from visitors import kiosk, services
from visitors.models import Visit, VisitEvent, Visitor, VisitSource

EVENING = date(2026, 11, 26)
MORNING = date(2026, 11, 27)


@pytest.fixture
def kiosk_night(site, night_officer, lobby_kiosk, ordinary, lounge):
    """Maria Rossi registers herself at the kiosk at 19:30 and checks herself
    out there at 21:00, in the night; Night Courier, signed in by the night
    officer at 22:00, checks himself out at the kiosk at 22:30."""
    roster_night(site, night_officer, EVENING)
    maria = services.register_visit(
        visit=Visit(category=ordinary, room=lounge, purpose="Delivery", source=VisitSource.KIOSK),
        visitor=Visitor(full_name="Maria Rossi", company="Rossi Design"),
        by=None,
        arrive_now=True,
        at=local(site, EVENING, 19, 30),
    )
    kiosk.kiosk_check_out(kiosk=lobby_kiosk, badge_code=maria.badge_code, at=local(site, EVENING, 21))
    courier = walk_in(
        category=ordinary, room=lounge, by=night_officer, at=local(site, EVENING, 22), name="Night Courier"
    )
    kiosk.kiosk_check_out(kiosk=lobby_kiosk, badge_code=courier.badge_code, at=local(site, EVENING, 22, 30))
    return {"maria": maria, "courier": courier}


def cells_of(page: str, name: str) -> list[str]:
    row = page.split(f"<td>{name}</td>")[0].rsplit("<tr>", 1)[1] + page.split(f"<td>{name}</td>")[1].split("</tr>")[0]
    return re.findall(r"<td>(.*?)</td>", row, flags=re.S)


def test_the_morning_report_names_the_kiosk(client, site, clerk, kiosk_night, time_machine):
    time_machine.move_to(local(site, MORNING, 8, 30), tick=False)
    client.force_login(clerk)

    response = client.get("/desk/reports/morning/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'Kiosk<div class="small">out: Kiosk</div>' in cells_of(page, "Maria Rossi")
    assert 'Front Desk-Liu Yang<div class="small">out: Kiosk</div>' in cells_of(page, "Night Courier")


def test_the_emailed_morning_report_names_the_kiosk(site, director, kiosk_night, time_machine):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)

    assert send_morning_report(site=site, day=MORNING) == 1

    (message,) = mail.outbox
    assert "arrived Thu 19:30 (Kiosk), left Thu 21:00 (Kiosk)" in message.body
    assert "arrived Thu 22:00 (Front Desk-Liu Yang), left Thu 22:30 (Kiosk)" in message.body
    assert "out: Kiosk" in message.alternatives[0][0]


def test_the_duty_panels_night_log_names_the_kiosk(client, site, night_officer, kiosk_night, time_machine):
    time_machine.move_to(local(site, EVENING, 23), tick=False)
    client.force_login(night_officer)

    log = client.get("/desk/").content.decode().split('data-testid="night-log"')[1].split("</details>")[0]

    assert cells_of(log, "Maria Rossi") == ["19:30", "21:00", "Kiosk", ""]
    assert cells_of(log, "Night Courier") == ["22:00", "22:30", "Front Desk-Liu Yang", ""]


def test_the_visit_page_says_the_visitor_used_the_kiosk(client, site, clerk, kiosk_night, time_machine):
    time_machine.move_to(local(site, MORNING, 9), tick=False)
    maria = kiosk_night["maria"]
    client.force_login(clerk)

    response = client.get(f"/desk/visits/{maria.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-11-26 19:30 · Kiosk" in page  # registered
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    steps = re.findall(r"<strong>(.*?)</strong> · [\d:\- ]+ · (\w+)", timeline)
    assert steps == [("Registered", "Kiosk"), ("Arrived", "Kiosk"), ("Left", "Kiosk")]
    assert list(maria.events.values_list("by", flat=True)) == [None, None, None]


def test_the_log_and_its_export_list_the_kiosks_visits(client, site, clerk, kiosk_night, time_machine):
    time_machine.move_to(local(site, MORNING, 9), tick=False)
    client.force_login(clerk)

    log = client.get("/desk/log/")
    export = b"".join(client.get("/desk/log/export.csv").streaming_content).decode("utf-8-sig")

    assert log.status_code == 200 and "Maria Rossi" in log.content.decode()
    maria = next(line for line in export.splitlines() if "Maria Rossi" in line)
    assert maria.split(",")[-2] == "Kiosk"  # registered by


def test_a_step_nobody_took_is_blank_but_the_kiosks_are_named(kiosk_night):
    courier = Visit.objects.get(pk=kiosk_night["courier"].pk)
    escalated = VisitEvent(visit=courier, kind=VisitEvent.Kind.ESCALATED, by=None)

    assert courier.registered_by_label == "Front Desk-Liu Yang"
    assert courier.arrival_actor_label == "Front Desk-Liu Yang"
    assert courier.departure_actor_label == "Kiosk"
    assert escalated.actor_label == ""
    assert Visit(category=courier.category, source=VisitSource.DESK).arrival_actor_label == ""


def test_the_night_report_cost_stays_the_same_with_kiosk_visits(
    client, site, clerk, night_officer, kiosk_night, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(local(site, MORNING, 8, 30), tick=False)
    leave(
        walk_in(
            category=kiosk_night["maria"].category,
            room=kiosk_night["maria"].room,
            by=night_officer,
            at=local(site, MORNING, 7),
            name="Early",
        ),
        by=night_officer,
        at=local(site, MORNING, 7, 30),
    )
    client.force_login(clerk)

    # as test_the_morning_clerk_reads_the_report: whoever signed, no query per visit
    with django_assert_max_num_queries(14):
        assert client.get("/desk/reports/morning/").status_code == 200
