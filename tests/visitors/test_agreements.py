"""Issue #19 (A12): agreements a visitor reads and signs at the kiosk,
versioned, kept as signed PDFs, downloadable by staff who may see the visit."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tests.visitors import pictures
from visitors import agreements, services
from visitors.models import Agreement, AgreementKind, AgreementVersion, AuditEvent, SignedAgreement, Visit


@pytest.fixture
def nda(ordinary, manager):
    """The NDA every ordinary (category C) visitor signs, valid for 30 days."""
    agreement = Agreement.objects.create(
        site=ordinary.site, category=ordinary, kind=AgreementKind.NDA, validity_days=30
    )
    agreements.publish_version(
        agreement=agreement,
        title_en="Non-disclosure agreement",
        title_zh="保密协议",
        text_en="What you see here stays here.",
        text_zh="您在此处看到的一切须保密。",
        by=manager,
    )
    return agreement


def signed(**extra):
    return {"signed_name": "Maria Rossi", "signature_data": pictures.signature(), **extra}


# --- versions ------------------------------------------------------------------------


def test_changed_words_make_a_new_version_and_the_old_one_stays(nda, manager):
    first = nda.versions.get()

    same = agreements.publish_version(
        agreement=nda,
        title_en="Non-disclosure agreement",
        title_zh="保密协议",
        text_en="What you see here stays here.",
        text_zh="您在此处看到的一切须保密。",
        by=manager,
    )
    second = agreements.publish_version(
        agreement=nda, title_en="NDA", title_zh="保密协议", text_en="New words.", text_zh="新的条款。", by=manager
    )

    assert same is None
    assert second.number == 2
    first.refresh_from_db()
    assert first.text_en == "What you see here stays here."
    assert list(AuditEvent.objects.filter(action="agreement.version").values_list("changes__version", flat=True)) == [
        1,
        2,
    ]


def test_the_office_manager_writes_an_agreement_in_the_back_office(client, manager, ordinary):
    client.force_login(manager)
    form = {
        "site": ordinary.site_id,
        "category": ordinary.pk,
        "kind": "house_rules",
        "validity_days": "90",
        "active": "on",
        "title_en": "House rules",
        "title_zh": "来访须知",
        "text_en": "No photographs.",
        "text_zh": "禁止拍照。",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }

    response = client.post("/admin/visitors/agreement/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    agreement = Agreement.objects.get(kind="house_rules")
    form |= {"text_en": "No photographs, no recordings.", "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1"}
    form["versions-0-id"] = str(agreement.versions.get().pk)
    form["versions-0-agreement"] = str(agreement.pk)
    response = client.post(f"/admin/visitors/agreement/{agreement.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(agreement.versions.order_by("number").values_list("number", "text_en")) == [
        (1, "No photographs."),
        (2, "No photographs, no recordings."),
    ]
    assert AuditEvent.objects.filter(action="agreement.add", object_id=str(agreement.pk)).exists()
    assert AuditEvent.objects.filter(action="agreement.version").count() == 2


# --- at the kiosk --------------------------------------------------------------------


def test_the_kiosk_shows_the_agreement_and_registers_nobody_unsigned(nda, walk_in, kiosk_client):
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()
    assert "What you see here stays here." in page and "js/signature.js" in page

    response = walk_in()

    assert response.status_code == 200
    assert "Please read the agreement, type your name and sign it before you check in." in response.content.decode()
    assert not Visit.objects.exists() and not SignedAgreement.objects.exists()


def test_the_agreement_is_in_chinese_for_a_chinese_visitor(nda, daytime, kiosk_client, lounge):
    kiosk_client.cookies["django_language"] = "zh-hans"

    page = kiosk_client.get("/kiosk/walk-in/").content.decode()

    assert "您在此处看到的一切须保密。" in page and "What you see here stays here." not in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (signed(signature_data=pictures.signature(blank=True)), "Please sign in the box with your finger."),
        (signed(signature_data=pictures.data_url(pictures.picture(), "image/png")), "not a picture we can read"),
        (signed(signed_name=""), "Please type your full name to sign."),
        (signed(signature_data=""), "Please sign in the box with your finger."),
    ],
    ids=["blank", "jpeg-posing-as-png", "no-name", "no-drawing"],
)
def test_a_bad_signature_is_explained_and_nothing_is_kept(nda, walk_in, fields, message, settings):
    response = walk_in(**fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Visit.objects.exists() and not SignedAgreement.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_a_signed_walk_in_keeps_a_signed_pdf(nda, walk_in):
    pytest.importorskip("weasyprint")

    response = walk_in(**signed())

    assert response.status_code == 302
    visit = Visit.objects.get()
    copy = SignedAgreement.objects.get()
    assert (copy.visit, copy.visitor, copy.version) == (visit, visit.visitor, nda.versions.get())
    assert copy.signed_name == "Maria Rossi"
    assert copy.document.name.endswith(".pdf") and copy.document.open("rb").read(5) == b"%PDF-"
    assert copy.signature.open("rb").read(8) == b"\x89PNG\r\n\x1a\n"
    event = AuditEvent.objects.get(action="visit.agreements_signed")
    assert event.changes == {"versions": [copy.version_id], "copies": ["pdf"]}


def test_without_weasyprint_the_copy_is_kept_as_html_and_says_so(nda, walk_in, monkeypatch):
    monkeypatch.setattr(agreements, "html_to_pdf", lambda html: None)

    walk_in(**signed())

    copy = SignedAgreement.objects.get()
    html = copy.document.open("rb").read().decode()
    assert copy.document.name.endswith(".html")
    assert "no PDF could be made" in html and "What you see here stays here." in html and "保密协议" in html
    assert "data:image/png;base64," in html


def test_a_returning_visitor_is_not_asked_again_within_the_validity(nda, walk_in, kiosk_client, manager):
    monkeypatch_pdf = pytest.MonkeyPatch()
    monkeypatch_pdf.setattr(agreements, "html_to_pdf", lambda html: None)
    walk_in(**signed())
    first = Visit.objects.get()
    services.check_out_visit(visit=first, by=None)
    kiosk_client.get("/kiosk/")  # the screen resets for the next visitor

    again = walk_in()

    assert again.status_code == 302
    assert Visit.objects.count() == 2 and Visit.objects.exclude(pk=first.pk).get().visitor_id == first.visitor_id
    assert SignedAgreement.objects.count() == 1

    # A new version is asked for, even within the validity.
    agreements.publish_version(
        agreement=nda, title_en="NDA", title_zh="保密协议", text_en="Changed.", text_zh="已更改。", by=manager
    )
    services.check_out_visit(visit=Visit.objects.exclude(pk=first.pk).get(), by=None)
    kiosk_client.get("/kiosk/")
    assert "Please read the agreement" in walk_in().content.decode()
    monkeypatch_pdf.undo()


def test_a_signature_past_its_validity_is_asked_again(nda, walk_in, kiosk_client, daytime, monkeypatch):
    monkeypatch.setattr(agreements, "html_to_pdf", lambda html: None)
    walk_in(**signed())
    services.check_out_visit(visit=Visit.objects.get(), by=None)
    daytime.move_to(timezone.now() + timedelta(days=31), tick=False)
    kiosk_client.get("/kiosk/")

    response = walk_in()

    assert "Please read the agreement" in response.content.decode()
    assert Visit.objects.count() == 1


# --- staff download the signed copy --------------------------------------------------


@pytest.fixture
def signed_visit(nda, walk_in, monkeypatch):
    monkeypatch.setattr(agreements, "html_to_pdf", lambda html: b"%PDF-1.7 test copy %%EOF")
    walk_in(**signed())
    return Visit.objects.get()


def test_the_desk_downloads_the_signed_pdf_from_the_visit_page(client, clerk, signed_visit):
    client.force_login(clerk)
    copy = SignedAgreement.objects.get()

    page = client.get(f"/desk/visits/{signed_visit.pk}/").content.decode()
    response = client.get(f"/desk/visits/{signed_visit.pk}/agreements/{copy.pk}/")

    assert f"/desk/visits/{signed_visit.pk}/agreements/{copy.pk}/" in page and "Download the signed PDF" in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_host_and_another_site_cannot_download_it(host, other_clerk, signed_visit):
    copy = SignedAgreement.objects.get()
    url = f"/desk/visits/{signed_visit.pk}/agreements/{copy.pk}/"
    as_host, as_other = Client(), Client()
    as_host.force_login(host)
    as_other.force_login(other_clerk)

    assert as_host.get(url).status_code == 403
    assert as_other.get(url).status_code == 404


def test_a_copy_is_found_only_under_its_own_visit(client, clerk, signed_visit, daytime, business, business_room):
    from tests.visitors.desk import walk_in as register_walk_in

    other = register_walk_in(category=business, room=business_room, by=clerk, name="Li Lei")
    copy = SignedAgreement.objects.get()
    client.force_login(clerk)

    assert client.get(f"/desk/visits/{other.pk}/agreements/{copy.pk}/").status_code == 404
    assert AgreementVersion.objects.count() == 1
    assert timezone.now() - copy.signed_at < timedelta(minutes=1)


# --- on the invitation page -----------------------------------------------------------


@pytest.fixture
def business_nda(business, manager):
    """Business (category B) visitors sign the NDA, every visit."""
    agreement = Agreement.objects.create(site=business.site, category=business, kind=AgreementKind.NDA, validity_days=0)
    agreements.publish_version(
        agreement=agreement,
        title_en="Business NDA",
        title_zh="商务保密协议",
        text_en="Our prices are confidential.",
        text_zh="我方价格保密。",
        by=manager,
    )
    return agreement


def confirm(client, invitation, **extra):
    from visitors import links

    token = links.invitation_token(invitation)
    form = {"full_name": "Kenji Tanaka", "company": "Tanaka Industries", "phone": "", "accept_privacy": "on"}
    return token, client.post(f"/i/{token}/", {**form, **extra})


def test_an_invited_visitor_signs_on_the_invitation_page(client, invitation, business_nda, monkeypatch):
    from visitors import links

    monkeypatch.setattr(agreements, "html_to_pdf", lambda html: None)
    token = links.invitation_token(invitation)
    page = client.get(f"/i/{token}/").content.decode()
    assert "Our prices are confidential." in page and "js/signature.js" in page

    _, unsigned = confirm(client, invitation)
    assert unsigned.status_code == 200 and "Please read the agreement" in unsigned.content.decode()
    invitation.refresh_from_db()
    assert invitation.confirmed_at is None and not SignedAgreement.objects.exists()

    _, response = confirm(client, invitation, signed_name="Kenji Tanaka", signature_data=pictures.signature())

    assert response.status_code == 302
    invitation.refresh_from_db()
    copy = SignedAgreement.objects.get()
    assert invitation.confirmed_at and copy.visit_id == invitation.visit_id and copy.signed_name == "Kenji Tanaka"
    # Signed for this visit: not asked again on the page, even at zero days' validity.
    again = client.get(f"/i/{token}/").content.decode()
    assert "Our prices are confidential." not in again
    _, resaved = confirm(client, invitation, company="Tanaka Industries Ltd")
    assert resaved.status_code == 302 and SignedAgreement.objects.count() == 1
