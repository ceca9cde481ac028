"""The monthly complaint summary emailed on the 1st (R5.5; issue #18 item 5),
and each of its tables as CSV: a month's summary goes to each office
director once, however often the worker or cron runs, with its numbers and
the PDF attached (or, without WeasyPrint, the HTML alone, saying so); the
CSV rows are the page's, defused; only those who read the summary get them."""

import csv
import io
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from customers import summary_report
from customers.models import Complaint
from customers.tasks import schedule_complaint_summaries, send_complaint_summary
from reception.errors import ReceptionError
from reception.models import Department
from visitors.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def october(daytime, site, clerk, gao, after_sales):
    """October 2026 at headquarters: a major phone complaint replied to in 30
    minutes and closed after two hours, and a general online one never
    routed (seen on 27 November)."""
    opened = _at(2026, 10, 3, 10, 0)
    Complaint.objects.create(
        site=site,
        customer=gao,
        channel="phone",
        source="desk",
        severity="major",
        heard="The oven does not heat",
        department=after_sales,
        opened_at=opened,
        opened_by=clerk,
        status="closed",
        reply="An engineer comes tomorrow",
        outcome="Element replaced",
        first_replied_at=opened + timedelta(minutes=30),
        replied_at=opened + timedelta(minutes=30),
        closed_at=opened + timedelta(minutes=120),
    )
    Complaint.objects.create(
        site=site,
        customer=gao,
        channel="online",
        source="desk",
        heard="Rude on the phone",
        opened_at=_at(2026, 10, 20, 15, 0),
        opened_by=clerk,
    )
    return site


def _csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the email --------------------------------------------------------------------


def test_each_director_gets_the_month_once_with_its_numbers_and_the_pdf(october, director, mailoutbox):
    first = send_complaint_summary(site=october, first=date(2026, 10, 1))
    again = send_complaint_summary(site=october, first=date(2026, 10, 1))

    assert (first, again) == (1, 0)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["director@lobby.test"]
    assert email.subject == "Complaint summary: Headquarters Base, 2026-10"
    assert "- Major · 1" in email.body and "- Phone · 1" in email.body and "- Online · 1" in email.body
    assert "- to closing · 1 · 120.0" in email.body
    html = email.alternatives[0].content
    assert "<td>Closed</td><td>1</td>" in html and "<td>After-sales</td><td>1</td>" in html
    [(filename, pdf, mimetype)] = email.attachments
    assert filename == "complaints-hq-2026-10.pdf" and mimetype == "application/pdf"
    assert pdf.startswith(b"%PDF")
    sent = Notification.objects.get(dedupe_key__startswith="complaint-summary:")
    assert (sent.status, sent.recipient, sent.report_day) == ("sent", director, date(2026, 10, 1))


def test_without_weasyprint_the_html_goes_alone_and_says_so(october, director, mailoutbox, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` raises ImportError

    assert send_complaint_summary(site=october, first=date(2026, 10, 1)) == 1

    email = mailoutbox[0]
    assert email.attachments == []
    assert "The PDF version is not available on this server" in email.body
    assert "The PDF version is not available on this server" in email.alternatives[0].content


def test_a_month_not_over_is_refused(october, director, mailoutbox):
    with pytest.raises(ReceptionError) as refusal:
        send_complaint_summary(site=october, first=date(2026, 11, 1))

    assert refusal.value.code == "month_not_over"
    assert mailoutbox == [] and not Notification.objects.filter(dedupe_key__startswith="complaint-summary:").exists()


def test_the_daily_care_command_sends_it_from_the_first_at_half_past_eight_once(
    october, director, mailoutbox, time_machine
):
    time_machine.move_to(_at(2026, 11, 1, 8, 0), tick=False)
    call_command("customer_care", stdout=io.StringIO())
    # Not October's yet (September's, due since 1 October and never sent, goes now).
    assert [mail.subject for mail in mailoutbox if mail.subject.startswith("Complaint summary")] == [
        "Complaint summary: Headquarters Base, 2026-09"
    ]
    mailoutbox.clear()

    time_machine.move_to(_at(2026, 11, 1, 8, 31), tick=False)
    out = io.StringIO()
    call_command("customer_care", stdout=out)
    call_command("customer_care", stdout=io.StringIO())

    summaries = [mail for mail in mailoutbox if mail.subject.startswith("Complaint summary")]
    assert [mail.subject for mail in summaries] == ["Complaint summary: Headquarters Base, 2026-10"]
    assert "1 summary email(s) sent" in out.getvalue()


def test_the_summary_task_is_queued_once_for_the_next_first(october):
    first = schedule_complaint_summaries()
    again = schedule_complaint_summaries()

    assert first is not None and again is None
    local = october.local(first)
    assert (local.date(), local.hour, local.minute) == (date(2026, 12, 1), 8, 30)


# --- the CSV of each table ------------------------------------------------------


def test_each_table_is_a_csv_of_the_rows_the_page_lists(client, director, october):
    client.force_login(director)

    page = client.get(reverse("customers:complaint_summary"), {"month": "2026-10"})
    response = client.get(reverse("customers:complaint_summary_csv", args=["channel"]), {"month": "2026-10"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="complaints-channel-hq-2026-10.csv"'
    assert _csv(response) == [
        ["Channel", "Complaints"],
        ["In person", "0"],
        ["Phone", "1"],
        ["Written", "0"],
        ["Online", "1"],
    ]
    assert 'href="/desk/complaints/summary/channel.csv?site=hq&amp;month=2026-10"' in page.content.decode()


def test_every_table_of_the_summary_has_its_csv(client, director, october):
    client.force_login(director)
    summary = summary_report.summary_of(october, date(2026, 10, 1))

    for table in summary.tables:
        rows = _csv(client.get(reverse("customers:complaint_summary_csv", args=[table.slug]), {"month": "2026-10"}))
        assert rows[0] == [str(column) for column in table.columns]
        assert len(rows) == 1 + len(table.rows)


def test_a_cell_a_spreadsheet_would_run_is_defused(client, director, october):
    Complaint.objects.filter(channel="online").update(department=Department.objects.create(name="=HYPERLINK(1)"))
    client.force_login(director)

    rows = _csv(client.get(reverse("customers:complaint_summary_csv", args=["department"]), {"month": "2026-10"}))

    assert ["'=HYPERLINK(1)", "1"] in rows


def test_an_unknown_table_is_not_found(client, director, october):
    client.force_login(director)

    assert client.get(reverse("customers:complaint_summary_csv", args=["salaries"])).status_code == 404


@pytest.mark.parametrize("who", ["clerk", "salesperson", "security_guard"])
def test_those_who_may_not_read_the_summary_get_no_csv(client, who, request, october):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("customers:complaint_summary_csv", args=["channel"]), {"month": "2026-10"})

    assert response.status_code == 403
    assert b"Phone" not in response.content


def test_another_sites_csv_is_not_found(client, director, october):
    client.force_login(director)

    url = reverse("customers:complaint_summary_csv", args=["channel"])
    assert client.get(url, {"site": "river", "month": "2026-10"}).status_code == 404
