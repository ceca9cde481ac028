"""Privacy of the visitor log (R4.1): retention, erasure, legal hold, ID numbers.

A visitor's identity (name, company, phone, email, ID document, notes, any
photo or signature file) is kept only while one of their visits is within its
site's retention period or on legal hold. After that `purge_expired` overwrites
it; the office manager can do the same at once on request (`erase_visitor`).
The visits themselves stay as the statistics' skeleton: time, category, room,
host. Every anonymisation is an audit event that names the visitor's record
and the fields cleared, never their values.

The purge runs daily on the task worker: `schedule_daily_purge` queues one
`purge_expired_daily` task, and each run queues the next.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import models, transaction
from django.db.models import F, Min, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from reception import rulebook
from reception.errors import ReceptionError
from reception.models import Handover, Site
from reception.scheduling import schedule_once
from visitors import audit
from visitors.models import (
    Amendment,
    ConsentWay,
    Invitation,
    Notification,
    PrivacyConsent,
    SignedAgreement,
    Visit,
    Visitor,
    VisitStatus,
)

logger = logging.getLogger(__name__)

# Stored in place of the name; the record stays countable but no longer says who.
ANONYMISED_NAME = "Anonymised visitor"
# Identity fields a visitor record holds, besides files: the visitor's own file
# fields, their visits' photos and their signed agreements (issue #19).
IDENTITY_FIELDS = ("full_name", "company", "phone", "email", "id_type", "id_number", "notes")
# The daily purge runs in the quiet hours of the server's time zone.
PURGE_AT = time(3, 0)


def _last_seen():
    """The latest moment a visit refers to: registered, expected, in or out."""
    registered = F("registered_at")
    return Greatest(
        registered,
        Coalesce("expected_at", registered),
        Coalesce("expected_until", registered),
        Coalesce("checked_in_at", registered),
        Coalesce("checked_out_at", registered),
    )


def _current(now: datetime) -> Q:
    """Visits within their own site's retention period, or on site right now."""
    recent = Q(pk__in=[])
    for site in Site.objects.only("pk", "retention_days"):
        recent |= Q(site_id=site.pk, last_seen__gte=now - timedelta(days=site.retention_days))
    return recent | Q(status=VisitStatus.ON_SITE)


def _visits(condition: Q):
    return Visit.objects.annotate(last_seen=_last_seen()).filter(condition)


def expired_visitors(now: datetime | None = None):
    """Visitors not yet anonymised whose every visit, at every site, is past
    that site's retention period, none on legal hold."""
    now = now or timezone.now()
    keep = _visits(_current(now) | Q(legal_hold=True)).values("visitor_id")
    return (
        Visitor.objects.filter(anonymised_at__isnull=True)
        .filter(pk__in=Visit.objects.values("visitor_id"))
        .exclude(pk__in=keep)
    )


def _file_fields() -> list[models.FileField]:
    return [f for f in Visitor._meta.concrete_fields if isinstance(f, models.FileField)]


@transaction.atomic
def anonymise_visitor(
    *,
    visitor: Visitor,
    by,
    reason: str,
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> bool:
    """Overwrite one visitor's identity; keep their visits. Returns False if
    they were already anonymised (nothing is written twice).

    Refuses (ReceptionError) while a visit is on legal hold or the visitor is
    on site. Also clears the copies of their identity elsewhere: invitation
    addresses, invitation notifications, and the values of amendments that
    corrected their identity (the one write the amendment trigger allows, under
    `lobby.anonymising`). Files are deleted only once the transaction commits.
    One audit event per site they visited, without personal data, with
    `audit_details` added (e.g. which API token asked).
    """
    at = at or timezone.now()
    visitor = Visitor.objects.select_for_update().get(pk=visitor.pk)
    if visitor.anonymised_at is not None:
        return False
    visits = Visit.objects.filter(visitor=visitor)
    if visits.filter(legal_hold=True).exists():
        raise ReceptionError(
            "legal_hold",
            _("A visit of this visitor is under legal hold; their identity is kept until the hold is released."),
        )
    if visits.filter(status=VisitStatus.ON_SITE).exists():
        raise ReceptionError("on_site", _("This visitor is on site now; check them out before erasing their identity."))

    cleared = [name for name in IDENTITY_FIELDS if getattr(visitor, name)]
    visitor.full_name = ANONYMISED_NAME
    for name in IDENTITY_FIELDS[1:]:
        setattr(visitor, name, "")
    files = []
    for field in _file_fields():
        stored = getattr(visitor, field.attname)
        if stored:
            files.append((stored.storage, stored.name))
            cleared.append(field.name)
            setattr(visitor, field.attname, "")
    visitor.anonymised_at = at
    visitor.save()
    # Issue #19: the photos of their visits, their drawn signatures and the
    # signed copies that show them; the rows stay (which version, which visit).
    files += _visit_files(visitor, cleared)

    Invitation.objects.filter(visit__visitor=visitor).exclude(email="").update(email="")
    Notification.objects.filter(visit__visitor=visitor, kind=Notification.Kind.INVITATION).update(
        address="", last_error=""
    )
    with audit.sanctioned("lobby.anonymising"):
        Amendment.objects.filter(visit__visitor=visitor, field__startswith="visitor.").update(
            old_value="", new_value=""
        )
    _clear_handover_snapshots(visitor)
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))

    for site in Site.objects.filter(visits__visitor=visitor).distinct().order_by("pk"):
        audit.record(
            site=site,
            actor=by,
            action="visitor.anonymise",
            obj=visitor,
            changes={"reason": reason, "cleared": sorted(cleared), **(audit_details or {})},
            client_address=client_address,
            at=at,
        )
    return True


def _visit_files(visitor: Visitor, cleared: list[str]) -> list[tuple]:
    """Blank the file fields that hold this visitor's likeness or signature
    (visit photos, signatures and signed copies of agreements, and the name
    typed to sign); the files to delete once the transaction commits."""
    files = []
    photo_storage = Visit._meta.get_field("photo").storage
    photographed = Visit.objects.filter(visitor=visitor).exclude(photo="")
    names = list(photographed.values_list("photo", flat=True))
    if names:
        files += [(photo_storage, name) for name in names]
        cleared.append("photo")
        photographed.update(photo="")
    copies = SignedAgreement.objects.filter(visitor=visitor)
    rows = list(copies.values_list("signature", "document"))
    if rows:
        storage = SignedAgreement._meta.get_field("signature").storage
        files += [(storage, name) for row in rows for name in row if name]
        cleared.append("signed_agreements")
        copies.update(signature="", document="", signed_name="")
    return files


def _clear_handover_snapshots(visitor: Visitor) -> None:
    """Handovers (R6.6) copy the on-site list by value; blank this visitor's
    name and company there too. Only handovers written since their first
    arrival can hold them, so the scan stays small."""
    first = Visit.objects.filter(visitor=visitor, checked_in_at__isnull=False).aggregate(first=Min("checked_in_at"))
    if first["first"] is None:
        return
    visits = Visit.objects.filter(visitor=visitor)
    visit_ids = set(visits.values_list("pk", flat=True))
    handovers = Handover.objects.select_for_update().filter(
        site_id__in=set(visits.values_list("site_id", flat=True)), written_at__gte=first["first"]
    )
    for handover in handovers:
        changed = False
        for row in handover.on_site_snapshot:
            if row.get("visit") in visit_ids and row.get("visitor") != ANONYMISED_NAME:
                row.update(visitor=ANONYMISED_NAME, company="")
                changed = True
        if changed:
            handover.save(update_fields=["on_site_snapshot"])


def erase_visitor(
    *,
    visitor: Visitor,
    by,
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> bool:
    """Erasure on request (the office manager, or an integration's token with
    the erase_visitors scope): anonymise now, retention or not."""
    return anonymise_visitor(
        visitor=visitor,
        by=by,
        reason="erasure",
        client_address=client_address,
        at=at,
        audit_details=audit_details,
    )


@dataclass
class PurgeReport:
    anonymised: int = 0
    held: int = 0


def purge_expired(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Anonymise every visitor past retention. Idempotent: a second run finds
    nothing to do. Each visitor is its own transaction, re-checked under lock,
    so a visitor who returns while the purge runs keeps their identity."""
    now = now or timezone.now()
    report = PurgeReport()
    # Kept only because of a hold: past retention otherwise.
    report.held = (
        Visitor.objects.filter(
            anonymised_at__isnull=True, pk__in=Visit.objects.filter(legal_hold=True).values("visitor_id")
        )
        .exclude(pk__in=_visits(_current(now)).values("visitor_id"))
        .count()
    )
    candidates = list(expired_visitors(now).order_by("pk").values_list("pk", flat=True))
    if dry_run:
        report.anonymised = len(candidates)
        return report
    for pk in candidates:
        with transaction.atomic():
            visitor = Visitor.objects.select_for_update().get(pk=pk)
            # Checked again under the lock: a visitor registered again meanwhile stays.
            if not expired_visitors(now).filter(pk=pk).exists():
                continue
            if anonymise_visitor(visitor=visitor, by=None, reason="retention", at=now):
                report.anonymised += 1
    return report


@transaction.atomic
def set_legal_hold(
    *, visit: Visit, hold: bool, by, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """Place a visit on legal hold (or release it): its visitor's identity is
    then kept past retention and cannot be erased."""
    visit = Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)
    if visit.legal_hold == hold:
        return visit
    visit.legal_hold = hold
    visit.save(update_fields=["legal_hold"])
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.legal_hold" if hold else "visit.legal_hold_released",
        obj=visit,
        changes={"legal_hold": hold},
        client_address=client_address,
        at=at,
    )
    return visit


@transaction.atomic
def reveal_id_number(*, visit: Visit, by, client_address: str | None = None, at: datetime | None = None) -> str:
    """The full ID number of the visit's visitor, for security only (the view
    checks `visitors.view_id_number`). Every reveal is an audit event; the event
    names the visit, not the number."""
    visit = Visit.objects.select_related("site", "visitor").get(pk=visit.pk)
    number = visit.visitor.id_number
    if not number:
        raise ReceptionError("no_id_number", _("No ID number is recorded for this visitor."))
    audit.record(
        site=visit.site,
        actor=by,
        action="visitor.view_id_number",
        obj=visit.visitor,
        changes={"visit": visit.pk},
        client_address=client_address,
        at=at,
    )
    return number


# --- the privacy notice a visitor accepts -------------------------------------------


def notice_version(site: Site) -> str:
    """The version of the site's privacy notice: a digest of what it says in
    both languages, and of what the generic notice shown without one names.
    It changes whenever the office manager edits the notice."""
    parts = (site.privacy_notice_en.strip(), site.privacy_notice_zh.strip(), site.name, str(site.retention_days))
    version = rulebook.current_version(site)
    if version is not None and (version.privacy_notice_en.strip() or version.privacy_notice_zh.strip()):
        # The notice of the written rules in force is the one shown (issue #22).
        parts += (version.privacy_notice_en.strip(), version.privacy_notice_zh.strip())
    if site.name_zh.strip():
        # Named by the generic notice shown in Chinese; left out when empty, so
        # the versions of notices accepted before names had two languages stand.
        parts += (site.name_zh.strip(),)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def new_consent(*, visit: Visit, way: ConsentWay, by=None, at: datetime | None = None) -> PrivacyConsent:
    """The record, not yet saved, that the visitor accepted the site's privacy
    notice for `visit`: at the kiosk, with the invitation, or shown by the
    desk clerk `by`, with the version of the notice as it stands now."""
    return PrivacyConsent(
        visit=visit,
        way=way,
        notice_version=notice_version(visit.site),
        accepted_at=at or timezone.now(),
        shown_by=by if getattr(by, "pk", None) else None,
    )


def record_consent(*, visit: Visit, way: ConsentWay, by=None, at: datetime | None = None) -> PrivacyConsent:
    """Record the visitor's acceptance (see new_consent) in the caller's
    transaction, which holds the visit's lock. The first consent of a visit
    stands; a later one returns it unchanged."""
    earlier = PrivacyConsent.objects.filter(visit=visit).first()
    if earlier is not None:
        return earlier
    consent = new_consent(visit=visit, way=way, by=by, at=at)
    consent.save()
    return consent


# --- the daily purge on the task worker -------------------------------------------


def next_purge_at(now: datetime | None = None) -> datetime:
    """Tomorrow at PURGE_AT, server time."""
    local = timezone.localtime(now or timezone.now(), timezone.get_default_timezone())
    return datetime.combine(local.date() + timedelta(days=1), PURGE_AT, tzinfo=local.tzinfo)


@task()
def purge_expired_daily() -> int:
    """Run the purge and queue tomorrow's run."""
    report = purge_expired()
    logger.info("Daily purge: %s visitor(s) anonymised, %s kept under legal hold", report.anonymised, report.held)
    schedule_daily_purge()
    return report.anonymised


def schedule_daily_purge(*, now: datetime | None = None) -> datetime | None:
    """Make sure the next daily purge is queued; idempotent.

    Returns when the queued run is due, or None where the task backend is not
    the database queue (the immediate backend would recurse).
    """
    queued = schedule_once(purge_expired_daily, run_after=next_purge_at(now))
    return None if queued is None else queued.run_after
