"""Hospitality as work (R1.5.3, R1.5.5): the meals, lodging and refreshments
that visits asked for become a to-serve list for the secretary, the reception
centre and the desk, and each item is recorded as served, by whom and when.

The request is a registered fact of the visit (R6.4) and is never edited
here; serving it is a ServedHospitality row, a timeline step and an audit
event, written together.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Site
from visitors import audit
from visitors.models import HospitalityItem, ServedHospitality, Visit, VisitEvent, VisitStatus

# Visits whose hospitality may still be served: expected, or on site.
SERVABLE = (VisitStatus.EXPECTED, VisitStatus.ON_SITE)


def requested_items(visit: Visit) -> list[HospitalityItem]:
    """What the visit asked for at registration: its ticked items, or, when
    only the hospitality notes ask for something, OTHER ("as noted")."""
    flags = (HospitalityItem.MEALS, HospitalityItem.LODGING, HospitalityItem.REFRESHMENTS)
    items = [item for item in flags if getattr(visit, item.value)]
    if not items and visit.hospitality_notes:
        items = [HospitalityItem.OTHER]
    return items


@dataclass
class ItemRow:
    item: HospitalityItem
    served: ServedHospitality | None


@dataclass
class VisitRow:
    visit: Visit
    items: list[ItemRow]

    @property
    def outstanding(self) -> int:
        return sum(1 for row in self.items if row.served is None)


def visit_row(visit: Visit) -> VisitRow:
    """One visit's requested items, each served or not (the visit page)."""
    served = {entry.item: entry for entry in visit.hospitality_served.select_related("served_by__profile")}
    return VisitRow(visit, [ItemRow(item, served.get(item.value)) for item in requested_items(visit)])


def requesting() -> Q:
    return Q(meals=True) | Q(lodging=True) | Q(refreshments=True) | ~Q(hospitality_notes="")


def to_serve(site: Site, now: datetime | None = None) -> list[VisitRow]:
    """Today's hospitality at the site: every visit on site, or expected on
    the site's local today, that asked for any, with each item served or not:
    those with something left to serve first, then on site by arrival, then
    expected by time. Two queries."""
    now = now or timezone.now()
    today = Visit.objects.expected_on(site, now).values("pk")
    visits = (
        Visit.objects.filter(site=site)
        .filter(Q(status=VisitStatus.ON_SITE) | Q(pk__in=today))
        .filter(requesting())
        .with_people()
        .prefetch_related(
            Prefetch("hospitality_served", queryset=ServedHospitality.objects.select_related("served_by__profile"))
        )
        .order_by(F("checked_in_at").asc(nulls_last=True), F("expected_at").asc(nulls_last=True), "pk")
    )
    rows = []
    for visit in visits:
        served = {entry.item: entry for entry in visit.hospitality_served.all()}
        rows.append(VisitRow(visit, [ItemRow(item, served.get(item.value)) for item in requested_items(visit)]))
    return sorted(rows, key=lambda row: row.outstanding == 0)


@transaction.atomic
def serve_hospitality(
    *, visit: Visit, item: str, by, client_address: str | None = None, at: datetime | None = None
) -> ServedHospitality:
    """Record one requested item as served to an expected or on-site visit.

    Locks the visit, so two people marking the same item give one record and
    one refusal; refuses an item the visit did not ask for. Writes the served
    record, a HOSPITALITY step on the timeline and one audit event.
    """
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)
    if item not in HospitalityItem.values or item not in requested_items(visit):
        raise ReceptionError("not_requested", _("That was not requested for this visit."), field="item")
    label = HospitalityItem(item).label
    if visit.status not in SERVABLE:
        raise ReceptionError(
            "not_servable", _("Hospitality is served to visitors who are expected or on site."), field="item"
        )
    if ServedHospitality.objects.filter(visit=visit, item=item).exists():
        raise ReceptionError("already_served", _("%(item)s: already recorded as served.") % {"item": label})
    served = ServedHospitality.objects.create(visit=visit, item=item, served_at=at, served_by=by)
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.HOSPITALITY, at=at, by=by, note=str(label))
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.hospitality_served",
        obj=visit,
        changes={"item": item},
        client_address=client_address,
        at=at,
    )
    return served
