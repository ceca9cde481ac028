"""Issue #20 item 8: the monthly insights report, emailed on the 1st to the
site's office directors through notify.deliver, once per director and month."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from reception.errors import ReceptionError
from visitors import monthly_report
from visitors.models import Notification
from visitors.tasks import send_due_monthly_reports, send_monthly_report

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = date(2026, 11, 1)
# The report of November is due at 08:30 local time on 1 December.
DUE = datetime(2026, 12, 1, 8, 30, tzinfo=SHANGHAI)


@pytest.fixture
def directors(make_staff, site):
    from reception.models import DutyCode
    from reception.roles import DUTY_GROUPS

    group = DUTY_GROUPS[DutyCode.DIRECTOR]
    return [make_staff("director", group, site=site), make_staff("deputy", group, site=site)]


def test_the_report_of_a_month_is_due_on_the_first_of_the_next(site):
    assert monthly_report.send_time(site, NOVEMBER) == DUE
    assert monthly_report.last_due_month(site, DUE) == NOVEMBER
    assert monthly_report.last_due_month(site, datetime(2026, 12, 1, 8, 29, tzinfo=SHANGHAI)) == date(2026, 10, 1)


def test_each_director_gets_the_report_once_however_often_it_runs(time_machine, site, directors, business):
    time_machine.move_to(DUE, tick=False)

    first = send_due_monthly_reports()
    again = send_due_monthly_reports()
    send_monthly_report(site=site, first=NOVEMBER)

    assert (first, again) == (2, 0)
    reports = Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT)
    assert sorted(reports.values_list("recipient__username", "report_day", "status")) == [
        ("deputy", NOVEMBER, "sent"),
        ("director", NOVEMBER, "sent"),
    ]
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "Monthly report: Headquarters Base, 2026-11"
    html = message.alternatives[0].content
    assert "Monthly report for Headquarters Base: 2026-11-01 to 2026-11-30" in html
    assert "<svg" in html


def test_the_pdf_is_attached_where_weasyprint_renders_it(time_machine, site, directors):
    pytest.importorskip("weasyprint")
    time_machine.move_to(DUE, tick=False)

    send_monthly_report(site=site, first=NOVEMBER)

    (name, content, kind) = mail.outbox[0].attachments[0]
    assert (name, kind) == ("lobby-hq-2026-11.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_without_weasyprint_the_html_report_goes_alone_and_says_so(time_machine, site, directors, monkeypatch):
    monkeypatch.setattr(monthly_report, "pdf_available", lambda: False)
    time_machine.move_to(DUE, tick=False)

    send_monthly_report(site=site, first=NOVEMBER)

    message = mail.outbox[0]
    assert message.attachments == []
    assert "The PDF version is not available on this server" in message.body
    assert "The PDF version is not available on this server" in message.alternatives[0].content


def test_a_month_not_over_is_refused(time_machine, site, directors):
    time_machine.move_to(datetime(2026, 11, 30, 12, tzinfo=SHANGHAI), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        send_monthly_report(site=site, first=NOVEMBER)

    assert refusal.value.code == "month_not_over"
    assert not Notification.objects.exists()


def test_the_command_sends_a_named_month(time_machine, site, directors):
    time_machine.move_to(DUE, tick=False)

    call_command("send_monthly_report", "--site", "hq", "--month", "2026-11")
    call_command("send_monthly_report", "--site", "hq", "--month", "2026-11")

    assert Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT, report_day=NOVEMBER).count() == 2
    assert len(mail.outbox) == 2
