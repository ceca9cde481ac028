"""The visitor log as CSV, streamed in constant memory.

The file starts with a UTF-8 byte-order mark so that Excel reads Chinese
names correctly, and every cell that a spreadsheet would run as a formula
(= + - @, tab, carriage return) is prefixed with an apostrophe.
"""

import csv
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from reception.models import Site, staff_label
from visitors.models import Visit, VisitStatus

CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() hands the line back to the caller."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value) -> str:
    """The cell as text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def visit_log_csv(visits: Iterable[Visit], *, site: Site) -> Iterator[str]:
    """Yield the CSV line by line. Labels are translated now, while the
    request's language is active; rows are read from the database in chunks."""
    writer = csv.writer(_Echo())
    yes, no = _("yes"), _("no")
    statuses = {value: str(label) for value, label in VisitStatus.choices}
    header = [
        _("Badge code"),
        _("Date"),
        _("Arrived"),
        _("Left"),
        _("Status"),
        _("Visitor"),
        _("Company"),
        _("Phone"),
        _("Category"),
        _("Room"),
        _("Host"),
        _("Party size"),
        _("Purpose"),
        _("Meals"),
        _("Lodging"),
        _("Refreshments"),
        _("Hospitality notes"),
        _("Materials handed out"),
        _("Registered by"),
        _("Registered at night"),
    ]

    def local(moment, fmt="%Y-%m-%d %H:%M") -> str:
        return site.local(moment).strftime(fmt) if moment else ""

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for visit in visits.iterator(chunk_size=CHUNK):
            day = visit.checked_in_at or visit.expected_at or visit.registered_at
            yield writer.writerow(
                [
                    safe_cell(cell)
                    for cell in (
                        visit.badge_code,
                        local(day, "%Y-%m-%d"),
                        local(visit.checked_in_at, "%H:%M"),
                        local(visit.checked_out_at, "%H:%M"),
                        statuses.get(visit.status, visit.status),
                        visit.visitor.full_name,
                        visit.visitor.company,
                        visit.visitor.phone,
                        visit.category.name,
                        visit.room.name if visit.room else "",
                        staff_label(visit.host),
                        visit.party_size,
                        visit.purpose,
                        yes if visit.meals else no,
                        yes if visit.lodging else no,
                        yes if visit.refreshments else no,
                        visit.hospitality_notes,
                        visit.materials,
                        staff_label(visit.registered_by),
                        yes if visit.night_registration else no,
                    )
                ]
            )

    return rows()
