"""Issue #19 (A12): agreements a visitor signs on arrival (NDA, house rules,
safety briefing).

The office manager writes them per site and category, in English and Chinese
(visitors.admin.AgreementAdmin); `publish_version` keeps every version, so a
signed copy always says exactly what was signed. At the kiosk the visitor reads
the category's current versions and signs once for all of them: a typed name
and a signature drawn on the screen (static/js/signature.js sends it as a PNG
data URL, checked by reception.images and re-encoded here). Each signature is
kept as a signed copy: a PDF made by WeasyPrint (imported only when needed),
or, where WeasyPrint is not available, the same page as HTML, which says so.
A returning visitor (the same Visitor record) who signed an unchanged version
within its validity is not asked again. Everything is audited, without the
signature itself.
"""

import base64
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from reception import images
from reception.errors import ReceptionError
from reception.models import VisitorCategory
from visitors import audit
from visitors.models import Agreement, AgreementVersion, SignedAgreement, Visit, Visitor

logger = logging.getLogger(__name__)

MAX_SIGNATURE_BYTES = 512 * 1024
# The signed copy's look in the PDF; the page itself carries no inline style
# (tests/reception/test_no_inline_scripts.py), and the HTML copy needs none.
SIGNED_COPY_CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif; font-size: 11pt; margin: 2cm; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.2em; }
.signature { border: 1px solid #999; max-width: 8cm; max-height: 4cm; }
"""
MAX_NAME = 120


@dataclass(frozen=True)
class Signing:
    """What the visitor gave: their typed name and the drawn signature (PNG)."""

    name: str
    png: bytes
    language: str


def asks_agreements() -> Exists:
    """An annotation for a VisitorCategory query: whether it has agreements to
    sign, so that a category without any costs the kiosk no query."""
    return Exists(Agreement.objects.filter(category=OuterRef("pk"), active=True))


def current_versions(category: VisitorCategory) -> list[AgreementVersion]:
    """The latest version of each active agreement of the category (one query)."""
    newer = AgreementVersion.objects.filter(agreement=OuterRef("agreement"), number__gt=OuterRef("number"))
    return list(
        AgreementVersion.objects.filter(agreement__category=category, agreement__active=True)
        .exclude(Exists(newer))
        .select_related("agreement")
        .order_by("agreement__kind")
    )


def to_sign(
    versions: list[AgreementVersion], visitor: Visitor | None, at: datetime, *, visit: Visit | None = None
) -> list[AgreementVersion]:
    """The versions `visitor` still has to sign: all for a new visitor; for a
    returning one, those not signed within their agreement's validity, nor
    already for `visit` (an invitation signed ahead of the day)."""
    if not versions or visitor is None or visitor.pk is None:
        return list(versions)
    recent = Q(visit=visit) if visit is not None else Q()
    for version in versions:
        days = version.agreement.validity_days
        if days:
            recent |= Q(version=version, signed_at__gte=at - timedelta(days=days))
    if not recent:
        return list(versions)
    signed = set(SignedAgreement.objects.filter(recent, visitor=visitor).values_list("version_id", flat=True))
    return [version for version in versions if version.pk not in signed]


def signature_png(data_url: str) -> bytes:
    """The drawn signature as a clean PNG; ReceptionError "bad_image",
    "file_too_large" or "signature_blank" otherwise."""
    raw = images.bytes_of_data_url(
        data_url, media_types=("image/png",), max_bytes=MAX_SIGNATURE_BYTES, field="signature"
    )
    image = images.open_image(raw, formats=(images.PNG,), max_bytes=MAX_SIGNATURE_BYTES, field="signature")
    with image:
        drawn = image.convert("RGBA")
        white = Image.new("RGBA", drawn.size, "white")
        flat = Image.alpha_composite(white, drawn).convert("L")
        if flat.point(lambda value: 255 if value < 200 else 0).getbbox() is None:
            raise ReceptionError("signature_blank", _("Please sign in the box with your finger."), field="signature")
        out = io.BytesIO()
        flat.save(out, format="PNG", optimize=True)  # nothing of the upload's metadata is kept
    return out.getvalue()


def signing_from_request(data, language: str) -> Signing | None:
    """The signature a form sent (fields signed_name, signature_data), or None
    when it sent none."""
    name = " ".join((data.get("signed_name") or "").split())
    drawn = (data.get("signature_data") or "").strip()
    if not name and not drawn:
        return None
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise ReceptionError("signed_name", _("Please type your full name to sign."), field="signature")
    if not drawn:
        raise ReceptionError("signature_blank", _("Please sign in the box with your finger."), field="signature")
    return Signing(name=name, png=signature_png(drawn), language=language)


def refuse_unsigned(needed: list[AgreementVersion], signing: Signing | None) -> None:
    if needed and signing is None:
        raise ReceptionError(
            "signature_required",
            _("Please read the agreement, type your name and sign it before you check in."),
            field="signature",
        )


def _random(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def signed_copy_html(*, visit: Visit, version: AgreementVersion, signing: Signing, at: datetime, pdf: bool) -> str:
    """The signed copy as a page: the version's exact words in both languages,
    the typed name, the signature, the time and the visit."""
    context = {
        "visit": visit,
        "version": version,
        "signing": signing,
        "signature_url": "data:image/png;base64," + base64.b64encode(signing.png).decode(),
        "signed_at": timezone.localtime(at, visit.site.tzinfo),
        "pdf": pdf,
    }
    with translation.override(signing.language):
        return render_to_string("visitors/agreements/signed_copy.html", context)


def html_to_pdf(html: str) -> bytes | None:
    """The page as PDF, or None where WeasyPrint (or a library it needs) is
    missing. Nothing is fetched: the signature is inline, the page has no links."""
    try:
        import weasyprint  # an optional, heavy dependency: imported only when a copy is made
    except (ImportError, OSError) as error:
        logger.warning("Signed agreement kept as HTML: WeasyPrint is not available (%s)", error)
        return None

    # Only the inline signature (a data: URL) is ever loaded, never a file or the network.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",))
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(string=SIGNED_COPY_CSS)]
    )


def sign(
    *,
    visit: Visit,
    versions: list[AgreementVersion],
    signing: Signing,
    client_address: str | None = None,
    at: datetime | None = None,
) -> list[SignedAgreement]:
    """Record that the visitor of `visit` signed `versions`, in the caller's
    transaction (which holds the visit). One signed copy per version, each a
    PDF where WeasyPrint is available, else HTML. One audit event naming the
    versions, not the signature."""
    at = at or timezone.now()
    copies = []
    kinds = []
    for version in versions:
        copy = SignedAgreement(
            site=visit.site,
            visit=visit,
            visitor=visit.visitor,
            version=version,
            signed_name=signing.name,
            language=signing.language,
            signed_at=at,
        )
        copy.signature.save(_random("png"), ContentFile(signing.png), save=False)
        pdf = html_to_pdf(signed_copy_html(visit=visit, version=version, signing=signing, at=at, pdf=True))
        if pdf is not None:
            copy.document.save(_random("pdf"), ContentFile(pdf), save=False)
            kinds.append("pdf")
        else:
            html = signed_copy_html(visit=visit, version=version, signing=signing, at=at, pdf=False)
            copy.document.save(_random("html"), ContentFile(html.encode()), save=False)
            kinds.append("html")
        copy.save()
        copies.append(copy)
    if copies:
        audit.record(
            site=visit.site,
            actor=None,
            action="visit.agreements_signed",
            obj=visit,
            changes={"versions": [version.pk for version in versions], "copies": kinds},
            client_address=client_address,
            at=at,
        )
    return copies


@transaction.atomic
def publish_version(
    *, agreement: Agreement, title_en: str, title_zh: str, text_en: str, text_zh: str, by
) -> AgreementVersion | None:
    """A new version of `agreement` when its words changed (the first one for a
    new agreement); None when they are the same as the current version's.
    Versions are never edited: signed copies point at the one they signed."""
    agreement = Agreement.objects.select_for_update().select_related("site").get(pk=agreement.pk)
    latest = agreement.versions.order_by("-number").first()
    words = (title_en.strip(), title_zh.strip(), text_en.strip(), text_zh.strip())
    if latest is not None and words == (latest.title_en, latest.title_zh, latest.text_en, latest.text_zh):
        return None
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=(latest.number + 1) if latest else 1,
        title_en=words[0],
        title_zh=words[1],
        text_en=words[2],
        text_zh=words[3],
        written_by=by,
    )
    audit.record(
        site=agreement.site,
        actor=by,
        action="agreement.version",
        obj=agreement,
        changes={"version": version.number, "title_en": version.title_en, "title_zh": version.title_zh},
    )
    return version
