"""The desk pages of customer care (R5, R9.3, R10.2-R10.3): recording a
complaint with its letter, the letter served only to permitted staff, the
lifecycle through the forms, the completion form of a follow-up, and each
person's due work (with its query count) and daily digest."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import complaints, followups
from customers.models import CareSettings, Complaint, ComplaintStatus, Feedback, FollowUp
from customers.tasks import send_digests
from tests.customers.care import pdf
from visitors.models import AuditEvent, Notification


def _form(gao, **extra):
    return {"customer": str(gao.pk), "channel": "phone", "source": "desk", "severity": "general", **extra}


def test_the_desk_records_a_written_complaint_with_its_letter(client, gao, clerk, media):
    client.force_login(clerk)

    response = client.post(
        reverse("customers:complaint_new"),
        _form(gao, channel="written", heard="Letter about the invoice", letter=pdf("scan.pdf")),
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:complaint_detail", args=[complaint.pk])
    assert complaint.document_number == "HQ-2026-0001"
    assert (media / complaint.letter.name).exists()


def test_a_letter_of_the_wrong_kind_is_shown_as_a_form_error_and_nothing_is_stored(client, gao, clerk, media):
    client.force_login(clerk)
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 an executable")

    response = client.post(
        reverse("customers:complaint_new"), _form(gao, channel="written", heard="Letter", letter=fake)
    )

    assert response.status_code == 200
    assert "Only PDF, JPEG or PNG" in response.content.decode()
    assert not Complaint.objects.exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_the_letter_is_served_privately_to_staff_who_may_see_the_complaint(
    client, gao, clerk, salesperson, sales2, media
):
    complaint = complaints.open_complaint(
        site=gao.site, by=clerk, customer=gao, channel="written", heard="Letter", letter=pdf()
    )
    url = reverse("customers:complaint_file", args=[complaint.pk, "letter"])

    client.force_login(salesperson)  # Gao Feng is theirs
    mine = client.get(url)
    client.force_login(sales2)
    other = client.get(url)

    assert mine.status_code == 200
    assert mine["Content-Type"] == "application/pdf"
    assert mine["Cache-Control"] == "private, no-store"
    assert mine["X-Content-Type-Options"] == "nosniff"
    assert b"".join(mine.streaming_content).startswith(b"%PDF-")
    assert other.status_code == 404


def test_a_complaint_is_routed_replied_and_closed_from_its_page(client, gao, clerk, after_sales, department_head):
    complaint = complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Late")
    client.force_login(department_head)
    client.force_login(clerk)
    base = reverse("customers:complaint_detail", args=[complaint.pk])

    client.post(f"{base}route/", {"department": str(after_sales.pk), "handler": str(department_head.pk)})
    client.force_login(department_head)
    client.post(f"{base}reply/", {"reply": "Refund of the delivery fee"})
    response = client.post(f"{base}close/", {"outcome": "Accepted"})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.handler == department_head
    assert FollowUp.objects.filter(complaint=complaint).exists()


def test_closing_without_an_outcome_is_refused_with_a_message(client, gao, clerk):
    complaint = complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Late")
    complaints.record_reply(complaint=complaint, by=clerk, reply="Sorry")
    client.force_login(clerk)

    response = client.post(reverse("customers:complaint_close", args=[complaint.pk]), {"outcome": " "}, follow=True)

    assert response.status_code == 200
    assert Complaint.objects.get().status == ComplaintStatus.REPLIED


def test_a_follow_up_is_completed_with_satisfaction_and_schedules_the_next(client, gao, salesperson, clerk):
    follow_up = followups.schedule_follow_up(customer=gao, by=clerk)
    client.force_login(salesperson)

    response = client.post(
        reverse("customers:follow_up_done", args=[follow_up.pk]),
        {"satisfaction": "4", "shortcomings": "Slow delivery", "relationship_note": "Warm", "schedule_next": "on"},
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.satisfaction, follow_up.done_by) == (4, salesperson)
    assert follow_up.next.due_on == date(2026, 11, 27) + timedelta(days=14)


@pytest.mark.parametrize("satisfaction", ["0", "6", "x"])
def test_a_satisfaction_outside_one_to_five_is_refused(client, gao, salesperson, clerk, satisfaction):
    follow_up = followups.schedule_follow_up(customer=gao, by=clerk)
    client.force_login(salesperson)

    response = client.post(reverse("customers:follow_up_done", args=[follow_up.pk]), {"satisfaction": satisfaction})

    assert response.status_code == 200
    assert FollowUp.objects.get().done_at is None


@pytest.fixture
def busy_week(gao, clerk, salesperson, after_sales, department_head, time_machine):
    """The salesperson's overdue follow-up and one due in five days; an
    after-sales request and a complaint of the department head's."""
    followups.schedule_follow_up(customer=gao, by=clerk, due_on=date(2026, 11, 27))
    followups.schedule_follow_up(customer=gao, by=clerk, due_on=date(2026, 12, 2))
    followups.schedule_follow_up(customer=gao, by=clerk, due_on=date(2027, 1, 20))  # not this week
    followups.log_feedback(
        customer=gao,
        by=clerk,
        kind="after_sales",
        summary="Filter",
        department=after_sales,
        owner=department_head,
        due_on=date(2026, 11, 30),
    )
    complaints.open_complaint(
        site=gao.site,
        by=clerk,
        customer=gao,
        channel="phone",
        heard="Late",
        department=after_sales,
        handler=department_head,
    )
    time_machine.move_to("2026-11-28 10:00:00+08:00", tick=False)


def test_each_person_sees_their_overdue_and_due_this_week_work(
    client, busy_week, salesperson, django_assert_max_num_queries
):
    client.force_login(salesperson)

    # session, user, its two permission reads, the three lists (complaints,
    # requests, follow-ups: whatever their length), and the idle timer's
    # session save (savepoint, update, release)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("customers:due"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("2026-11-27") == 1 and "2026-12-02" in page and "2027-01-20" not in page
    assert "overdue" in page


def test_the_head_sees_the_complaint_and_the_request_given_to_them(client, busy_week, department_head):
    client.force_login(department_head)

    page = client.get(reverse("customers:due")).content.decode()

    assert "C-" in page and "Filter" in page


def test_the_daily_digest_goes_once_to_each_person_with_something_due(busy_week, mailoutbox, salesperson):
    first = send_digests()
    again = send_digests()

    assert (first, again) == (2, 0)
    assert sorted(mail.to[0] for mail in mailoutbox) == ["head@lobby.test", "salesperson@lobby.test"]
    assert Notification.objects.filter(dedupe_key__startswith="care-digest:").count() == 2
    assert "&amp;" not in mailoutbox[0].body


def test_feedback_is_dealt_with_from_the_due_page(client, busy_week, department_head):
    item = Feedback.objects.get()
    client.force_login(department_head)

    response = client.post(reverse("customers:feedback_resolve", args=[item.pk]), {"resolution": "Filter changed"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None and item.resolution == "Filter changed"


def test_the_office_manager_sets_the_tier_intervals_in_the_back_office_audited(client, manager, site):
    client.force_login(manager)

    response = client.post(
        reverse("admin:customers_caresettings_add"),
        {
            "site": str(site.pk),
            "major_ack_minutes": "20",
            "reply_by_days": "5",
            "gold_days": "10",
            "important_days": "21",
            "general_days": "30",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert CareSettings.of(site).gold_days == 10
    assert AuditEvent.objects.filter(object_type="customers.caresettings").exists()


def test_nobody_deletes_a_complaint_in_the_back_office(client, manager, gao, clerk):
    complaint = complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Late")
    client.force_login(manager)

    response = client.post(reverse("admin:customers_complaint_delete", args=[complaint.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_the_customer_page_shows_their_complaints_and_follow_ups(client, gao, clerk):
    complaint = complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Late")
    complaints.record_reply(complaint=complaint, by=clerk, reply="Refund")
    complaints.close(complaint=complaint, by=clerk, outcome="Accepted")
    client.force_login(clerk)

    response = client.get(reverse("customers:customer_detail", args=[gao.pk]))

    kinds = [entry.kind for entry in response.context["history"]]
    assert kinds == ["complaint", "follow_up"]
    assert f"C-{complaint.pk}" in response.content.decode()
    assert "2026-12-11" in response.content.decode()  # due 14 days on (gold)
