"""The visitor log as CSV, streamed in constant memory.

The file starts with a UTF-8 byte-order mark so that Excel reads Chinese
names correctly, and every cell that a spreadsheet would run as a formula is
prefixed with an apostrophe (FORMULA_START).
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice

from django.db.models import DurationField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from reception.i18n import in_chinese
from reception.models import Site, staff_labels
from visitors.models import VisitSource, VisitStatus

# Visits read from the database at a time (a server-side cursor on PostgreSQL).
CHUNK = 2000
# Characters of CSV per yielded chunk: the WSGI server writes each chunk to the
# socket on its own, so a line per chunk would be a system call per visit.
CHUNK_CHARS = 64 * 1024
# What a cell must not start with: OWASP's list for CSV injection (= + - @,
# tab, carriage return), line feed and NUL (OWASP ASVS 1.2.10 names NUL), and
# the full-width and small forms of = + - @, which spreadsheets in Chinese and
# Japanese locales may read as the ASCII ones; an apostrophe before a harmless
# cell costs nothing, a formula run on the office's PC does (issue #15).
FORMULA_START = frozenset("=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b")

# Django reads PostgreSQL timestamps with a pure-Python loader even when psycopg's
# C extension is installed (Django ticket #36960): about 4 µs a value, which was
# most of the export's time. config.postgresql parses them with psycopg's C
# loader instead, but an interval still loads several times faster (0.2 µs
# against 1.3 µs a value, 300,000 values at 1M visits), so each moment is read
# as the time since this epoch and turned back into the same instant here.
# SQLite takes the same expression (Django computes the difference in
# microseconds).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _since_epoch(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression - Value(_EPOCH), output_field=DurationField())


# Arrival, departure, and the expected or registration time that dates a visit
# not yet arrived.
_MOMENTS = {
    "arrived": _since_epoch(F("checked_in_at")),
    "left": _since_epoch(F("checked_out_at")),
    "planned": _since_epoch(Coalesce("expected_at", "registered_at")),
}
# Each visit is read as a plain tuple in this order: building model instances
# for every visit was most of the export's time. Hosts and desk staff are read
# by id (reception.models.staff_labels).
COLUMNS = (
    "badge_code",
    *_MOMENTS,
    "status",
    "visitor__full_name",
    "visitor__company",
    "visitor__phone",
    "category__name",
    "category__name_zh",
    "room__name",
    "room__name_zh",
    "party_size",
    "purpose",
    "meals",
    "lodging",
    "refreshments",
    "hospitality_notes",
    "materials",
    "night_registration",
    "source",
    "host_id",
    "registered_by_id",
)


def safe_cell(value) -> str:
    """The cell as text, defused if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    # text[:1] is "" for an empty cell, which is not in the set.
    if text[:1] in FORMULA_START:
        return "'" + text
    return text


def _drain(buffer: io.StringIO) -> str:
    """What was written to the buffer, which is left empty for the next chunk."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def visit_log_csv(visits: QuerySet, *, site: Site) -> Iterator[str]:
    """Yield the CSV of `visits`, in their order: the header, then chunks of
    about CHUNK_CHARS characters. Labels are translated now, while the request's
    language is active; times are the site's local time. Visits are read CHUNK
    at a time and staff labels once per user, so memory stays constant however
    long the log, and the queries are one per chunk, not one per visit."""
    yes, no = safe_cell(_("yes")), safe_cell(_("no"))
    # Category and room in the reader's language too, as the labels (issue #16):
    # the Chinese name, or the primary one where it has none.
    chinese, language = in_chinese(), translation.get_language()
    statuses = {value: safe_cell(label) for value, label in VisitStatus.choices}
    sources = {value: safe_cell(label) for value, label in VisitSource.choices}
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
    tz = site.tzinfo
    defuse = FORMULA_START

    def chunks() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # The header goes out before the query runs, so the download starts at once.
        writer.writerow(header)
        yield "\ufeff" + _drain(buffer)
        rows = visits.annotate(**_MOMENTS).values_list(*COLUMNS).iterator(chunk_size=CHUNK)
        labels: dict[int | None, str] = {None: ""}
        while batch := list(islice(rows, CHUNK)):
            # The same few hosts and desk staff recur from visit to visit.
            new_users = {row[-2] for row in batch} | {row[-1] for row in batch}
            new_users -= labels.keys()
            if new_users:
                # Read while the response streams: in the request's language still.
                with translation.override(language):
                    labels.update((pk, safe_cell(label)) for pk, label in staff_labels(new_users).items())
            for (
                badge_code,
                arrived_since,
                left_since,
                planned_since,
                status,
                visitor,
                company,
                phone,
                category,
                category_zh,
                room,
                room_zh,
                party_size,
                purpose,
                meals,
                lodging,
                refreshments,
                hospitality_notes,
                materials,
                night_registration,
                source,
                host_id,
                registered_by_id,
            ) in batch:
                # A visit's day is its arrival, else its expected time, else
                # its registration (as LogFilterForm.apply orders and filters).
                if arrived_since is None:
                    arrived = ""
                    day = (_EPOCH + planned_since).astimezone(tz)
                else:
                    day = (_EPOCH + arrived_since).astimezone(tz)
                    arrived = day.time().isoformat("minutes")
                if left_since is None:
                    left = ""
                else:
                    left = (_EPOCH + left_since).astimezone(tz).time().isoformat("minutes")
                if chinese:
                    category, room = category_zh or category, room_zh or room
                # safe_cell, written out for the text columns (which are never
                # NULL but the room): a call per cell was a tenth of the export.
                writer.writerow(
                    (
                        "'" + badge_code if badge_code[:1] in defuse else badge_code,
                        day.date().isoformat(),
                        arrived,
                        left,
                        statuses[status] if status in statuses else safe_cell(status),
                        "'" + visitor if visitor[:1] in defuse else visitor,
                        "'" + company if company[:1] in defuse else company,
                        "'" + phone if phone[:1] in defuse else phone,
                        "'" + category if category[:1] in defuse else category,
                        safe_cell(room),
                        labels[host_id],
                        party_size,  # never negative: nothing to defuse
                        "'" + purpose if purpose[:1] in defuse else purpose,
                        yes if meals else no,
                        yes if lodging else no,
                        yes if refreshments else no,
                        "'" + hospitality_notes if hospitality_notes[:1] in defuse else hospitality_notes,
                        "'" + materials if materials[:1] in defuse else materials,
                        # Nobody on staff registered a kiosk walk-in: say how it came.
                        labels[registered_by_id] if registered_by_id is not None else sources.get(source, ""),
                        yes if night_registration else no,
                    )
                )
                if buffer.tell() >= CHUNK_CHARS:
                    yield _drain(buffer)
        yield _drain(buffer)

    return chunks()


def table_csv(table, filename: str):
    """One figures table (its `columns` and `rows`, as the insights page and the
    monthly complaint summary show them) as a CSV download, UTF-8 with a
    byte-order mark for Excel. Numbers stay numbers, so a spreadsheet sums
    them (a negative change is no formula); every text cell is defused as the
    visitor log's export does."""

    def cell(value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return safe_cell(value)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(column) for column in table.columns])
    writer.writerows([cell(value) for value in row] for row in table.rows)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
