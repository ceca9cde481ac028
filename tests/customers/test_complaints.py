"""The complaint register (R5.1-R5.5): the five clears, the lifecycle, written
complaints' document numbers and letters (R5.4), and a closed complaint's
follow-up (R5.5). Services only; the desk pages are test_complaint_pages.py."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import complaints
from customers.models import CareSettings, Complaint, ComplaintStatus, DocumentCounter, FollowUp
from reception.errors import ReceptionError
from tests.customers.care import pdf, png
from visitors.audit import verify_chain
from visitors.models import AuditEvent


def _phone_complaint(gao, clerk, **extra):
    return complaints.open_complaint(
        site=gao.site, by=clerk, customer=gao, channel="phone", heard="The delivery was a week late.", **extra
    )


def test_a_complaint_records_what_was_heard_and_is_audited(gao, clerk):
    complaint = _phone_complaint(gao, clerk, asked="Order 1183, promised for the 20th.")

    assert complaint.status == ComplaintStatus.OPEN
    assert complaint.document_number == ""
    event = AuditEvent.objects.get(action="complaint.open")
    assert event.object_id == str(complaint.pk)
    assert "late" not in str(event.changes)  # what the customer said stays out of the trail


def test_routing_gives_it_to_a_department_with_the_sites_reply_by_date(gao, clerk, after_sales, department_head):
    CareSettings.objects.create(site=gao.site, reply_by_days=3)
    complaint = _phone_complaint(gao, clerk)

    complaints.route(complaint=complaint, by=clerk, department=after_sales, handler=department_head)

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    assert complaint.reply_by == date(2026, 11, 30)  # Friday 27th + 3 days
    assert complaint.handler == department_head


def test_beyond_the_desks_authority_it_goes_to_the_supervisor_with_the_promised_date(gao, clerk, floor_manager):
    complaint = _phone_complaint(gao, clerk)

    complaints.pass_to_supervisor(
        complaint=complaint, by=clerk, supervisor=floor_manager, promised_on=date(2026, 12, 2)
    )

    complaint.refresh_from_db()
    assert (complaint.supervisor, complaint.handler) == (floor_manager, floor_manager)
    assert complaint.promised_on == complaint.reply_by == date(2026, 12, 2)


def test_the_lifecycle_runs_open_replied_closed_and_each_step_is_in_the_chain(gao, clerk, after_sales):
    complaint = _phone_complaint(gao, clerk, department=after_sales)

    complaints.record_reply(complaint=complaint, by=clerk, reply="A refund of the delivery fee.")
    complaints.close(complaint=complaint, by=clerk, outcome="Customer accepted the refund.")

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.first_replied_at is not None and complaint.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="complaint.").order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["complaint.open", "complaint.reply", "complaint.close"]
    assert verify_chain(gao.site).intact


def test_a_complaint_cannot_close_before_it_is_replied_to(gao, clerk):
    complaint = _phone_complaint(gao, clerk)

    with pytest.raises(ReceptionError) as refusal:
        complaints.close(complaint=complaint, by=clerk, outcome="Done")

    assert refusal.value.code == "wrong_status"
    assert Complaint.objects.get().status == ComplaintStatus.OPEN


def test_every_closed_complaint_gets_one_follow_up_due_after_the_tiers_interval(gao, clerk, salesperson):
    """R5.5, R10.2: gold, 14 days by default; reopened and closed again, still one."""
    complaint = _phone_complaint(gao, clerk)
    complaints.record_reply(complaint=complaint, by=clerk, reply="Refund")
    complaints.close(complaint=complaint, by=clerk, outcome="Accepted")
    complaints.reopen(complaint=complaint, by=clerk, reason="Refund never arrived")
    complaints.record_reply(complaint=complaint, by=clerk, reply="Refund sent again")
    complaints.close(complaint=complaint, by=clerk, outcome="Received")

    follow_up = FollowUp.objects.get()
    assert follow_up.complaint == complaint
    assert follow_up.due_on == date(2026, 11, 27) + timedelta(days=14)
    assert follow_up.assigned_to == salesperson  # the customer's salesperson


def test_a_reopened_complaint_is_in_progress_again(gao, clerk):
    complaint = _phone_complaint(gao, clerk)
    complaints.record_reply(complaint=complaint, by=clerk, reply="Refund")
    complaints.close(complaint=complaint, by=clerk, outcome="Accepted")

    complaints.reopen(complaint=complaint, by=clerk, reason="Not received")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.closed_at, complaint.outcome) == (ComplaintStatus.IN_PROGRESS, None, "Accepted")


# --- R5.4: written complaints ---------------------------------------------------------


def _written(gao, clerk, letter):
    return complaints.open_complaint(
        site=gao.site, by=clerk, customer=gao, channel="written", heard="See the letter.", letter=letter
    )


def test_a_written_complaint_takes_the_next_document_number_and_keeps_the_letter(gao, clerk, media):
    first = _written(gao, clerk, pdf())
    second = _written(gao, clerk, png("scan.PNG"))

    assert [first.document_number, second.document_number] == ["HQ-2026-0001", "HQ-2026-0002"]
    stored = media / first.letter.name
    assert stored.read_bytes().startswith(b"%PDF-")
    assert "letter" not in first.letter.name  # stored under a name of its own


def test_document_numbers_run_per_site_and_year(gao, clerk, media, time_machine):
    _written(gao, clerk, pdf())
    time_machine.move_to("2027-01-04 10:00:00+08:00", tick=False)

    assert _written(gao, clerk, pdf()).document_number == "HQ-2027-0001"


def test_a_written_complaint_that_fails_leaves_no_gap(gao, clerk, media, other_site):
    _written(gao, clerk, pdf())
    with pytest.raises(ReceptionError):
        _written(gao, clerk, pdf(content=b""))

    assert _written(gao, clerk, pdf()).document_number == "HQ-2026-0002"
    assert DocumentCounter.objects.get().last == 2


def test_many_written_complaints_in_a_row_have_no_gaps_and_no_duplicates(gao, clerk, media):
    numbers = [_written(gao, clerk, pdf()).document_number for _ in range(12)]

    assert numbers == [f"HQ-2026-{n:04d}" for n in range(1, 13)]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("letter.pdf", b"GIF89a not a pdf at all"), "bad_file_type"),
        (SimpleUploadedFile("letter.pdf", b"\x89PNG\r\n\x1a\nnot really"), "bad_file_type"),
        (SimpleUploadedFile("letter.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "bad_file_type"),
        (SimpleUploadedFile("letter.pdf", b"%PDF-1.4 and no end"), "bad_file_type"),
        (SimpleUploadedFile("letter.exe", b"%PDF-1.4\n%%EOF"), "bad_file_type"),
        (SimpleUploadedFile("letter.pdf", b""), "empty_file"),
        (SimpleUploadedFile("..\\letter.pdf", b"%PDF-1.4\n%%EOF"), "bad_file_name"),
    ],
)
def test_a_bad_letter_is_refused_and_nothing_is_stored(gao, clerk, media, upload, code):
    with pytest.raises(ReceptionError) as refusal:
        _written(gao, clerk, upload)

    assert refusal.value.code == code
    assert not Complaint.objects.exists()
    assert not DocumentCounter.objects.filter(last__gt=0).exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_a_path_in_the_letters_name_never_leaves_the_media_folder(gao, clerk, media):
    # Django keeps only the last part of an uploaded name; a backslash path is
    # refused above; whatever is left, the letter is stored under a name of its own.
    complaint = _written(gao, clerk, pdf("../../../etc/passwd.pdf"))

    stored = (media / complaint.letter.name).resolve()
    assert stored.is_relative_to(media.resolve() / "complaints")
    assert "passwd" not in stored.name


def test_an_oversized_letter_is_refused(gao, clerk, media):
    big = SimpleUploadedFile("letter.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF")

    with pytest.raises(ReceptionError) as refusal:
        _written(gao, clerk, big)

    assert refusal.value.code == "file_too_large"
    assert not Complaint.objects.exists()


def test_a_written_complaint_needs_its_letter(gao, clerk):
    with pytest.raises(ReceptionError) as refusal:
        complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="written", heard="By post")

    assert refusal.value.code == "letter_required"


def test_a_written_complaint_closes_only_with_its_written_reply_attached(gao, clerk, media):
    complaint = _written(gao, clerk, pdf())
    complaints.record_reply(complaint=complaint, by=clerk, reply="We wrote back.")

    with pytest.raises(ReceptionError) as refusal:
        complaints.close(complaint=complaint, by=clerk, outcome="Answered")
    complaints.record_reply(complaint=complaint, by=clerk, reply="We wrote back.", reply_letter=pdf("reply.pdf"))
    complaints.close(complaint=complaint, by=clerk, outcome="Answered")

    assert refusal.value.code == "reply_letter_required"
    assert Complaint.objects.get().status == ComplaintStatus.CLOSED


# --- who sees which complaint -----------------------------------------------------------


def test_a_salesperson_sees_the_complaints_of_their_own_customers_only(gao, clerk, salesperson, sales2):
    complaint = _phone_complaint(gao, clerk)

    assert list(Complaint.objects.visible_to(salesperson, gao.site)) == [complaint]
    assert list(Complaint.objects.visible_to(sales2, gao.site)) == []


def test_a_department_handler_sees_what_is_routed_to_the_department(
    gao, clerk, after_sales, department_head, security_guard
):
    routed = _phone_complaint(gao, clerk, department=after_sales)
    _phone_complaint(gao, clerk)

    assert list(Complaint.objects.visible_to(department_head, gao.site)) == [routed]
    assert list(Complaint.objects.visible_to(security_guard, gao.site)) == []
