"""The demo shows the night side: last night's registers and a handover
waiting for the morning clerk (R6.2, R6.5, R6.6)."""

import pytest
from django.core.management import call_command

from reception.models import Handover, Incident, LostItem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("now", ["2026-11-27 09:00:00+08:00", "2026-11-27 23:00:00+08:00"])
def test_the_demo_has_last_nights_registers_and_a_waiting_handover(client, time_machine, now):
    time_machine.move_to(now, tick=False)

    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))

    handover = Handover.objects.get()
    assert handover.written_by.username == "night" and handover.acknowledged_at is None
    assert str(handover.written_at) == "2026-11-26 23:55:00+00:00"  # 07:55 on the 27th in Shanghai
    assert LostItem.objects.get().recorded_by.username == "night"
    assert Incident.objects.get().kind == "rest_area"
    client.login(username="clerk", password="lobby-demo")
    assert "Handover from Front Desk-Liu Yang" in client.get("/desk/").content.decode()
