"""R4.1 and issue #19: a visitor's photos, drawn signatures and signed copies
are erased from storage with their identity, by the purge and on request."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reception.models import PhotoPolicy
from tests.visitors import pictures
from visitors import agreements, photos, privacy, services
from visitors.models import Agreement, AgreementKind, AuditEvent, SignedAgreement, Visit, Visitor

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def media(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def files_in(media: Path) -> set[Path]:
    return {path for path in media.rglob("*") if path.is_file()} if media.exists() else set()


@pytest.fixture
def nda(ordinary, manager):
    agreement = Agreement.objects.create(site=ordinary.site, category=ordinary, kind=AgreementKind.NDA)
    agreements.publish_version(
        agreement=agreement, title_en="NDA", title_zh="保密协议", text_en="Secret.", text_zh="保密。", by=manager
    )
    return agreement


def photographed_and_signed(*, day, clerk, ordinary, lounge, nda, visitor=None) -> Visit:
    """Maria Rossi's visit on `day`: photographed, the NDA signed, checked out an hour later."""
    ordinary.photo = PhotoPolicy.OPTIONAL
    ordinary.save(update_fields=["photo"])
    visit = services.register_visit(
        visit=Visit(category=ordinary, room=lounge, purpose="Interview"),
        visitor=visitor or Visitor(full_name="Maria Rossi", company="Rossi Design"),
        by=clerk,
        arrive_now=True,
        at=day,
    )
    photos.take_photo(visit=visit, photo=photos.reencode(pictures.picture()), by=clerk, via="desk", at=day)
    signing = agreements.Signing(name="Maria Rossi", png=agreements.signature_png(pictures.signature()), language="en")
    agreements.sign(visit=visit, versions=agreements.current_versions(ordinary), signing=signing, at=day)
    services.check_out_visit(visit=visit, by=clerk, at=day + timedelta(hours=1))
    return Visit.objects.get(pk=visit.pk)


@pytest.fixture
def no_pdf(monkeypatch):
    # The signed copy as HTML: the same file to erase, without WeasyPrint's time.
    monkeypatch.setattr(agreements, "html_to_pdf", lambda html: None)


def test_an_erasure_request_deletes_the_photo_signature_and_signed_copy(
    no_pdf, clerk, manager, ordinary, lounge, nda, media, django_capture_on_commit_callbacks
):
    visit = photographed_and_signed(day=NOW - timedelta(days=2), clerk=clerk, ordinary=ordinary, lounge=lounge, nda=nda)
    copy = SignedAgreement.objects.get()
    stored = {media / visit.photo.name, media / copy.signature.name, media / copy.document.name}
    assert files_in(media) == stored

    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.erase_visitor(visitor=visit.visitor, by=manager)

    assert files_in(media) == set()
    visit.refresh_from_db()
    copy.refresh_from_db()
    assert not visit.photo
    assert (copy.signature.name, copy.document.name, copy.signed_name) == ("", "", "")
    assert copy.version_id and copy.visit_id == visit.pk  # what was signed, on which visit, stays
    event = AuditEvent.objects.get(action="visitor.anonymise")
    assert {"photo", "signed_agreements"} <= set(event.changes["cleared"])


def test_the_purge_deletes_the_files_of_visitors_past_retention_only(
    no_pdf, clerk, ordinary, lounge, nda, media, django_capture_on_commit_callbacks
):
    old = photographed_and_signed(day=NOW - timedelta(days=400), clerk=clerk, ordinary=ordinary, lounge=lounge, nda=nda)
    old_files = files_in(media)
    recent = photographed_and_signed(
        day=NOW - timedelta(days=3),
        clerk=clerk,
        ordinary=ordinary,
        lounge=lounge,
        nda=nda,
        visitor=Visitor(full_name="Kenji Tanaka"),
    )
    recent_files = files_in(media) - old_files
    assert len(old_files) == 3 and len(recent_files) == 3

    with django_capture_on_commit_callbacks(execute=True):
        report = privacy.purge_expired()

    assert report.anonymised == 1
    assert files_in(media) == recent_files
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.photo and recent.photo
    assert SignedAgreement.objects.get(visit=old).document.name == ""


def test_nothing_is_deleted_while_the_erasure_is_refused(
    no_pdf, clerk, manager, ordinary, lounge, nda, media, django_capture_on_commit_callbacks
):
    visit = photographed_and_signed(day=NOW - timedelta(days=2), clerk=clerk, ordinary=ordinary, lounge=lounge, nda=nda)
    privacy.set_legal_hold(visit=visit, hold=True, by=manager)
    before = files_in(media)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="legal hold"):
        privacy.erase_visitor(visitor=visit.visitor, by=manager)

    assert files_in(media) == before and len(before) == 3
