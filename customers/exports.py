"""The call log as CSV (R9.2), with the visitor log's defusing of cells a
spreadsheet would run as formulas (visitors.exports.safe_cell)."""

import csv
import io
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from customers.models import CallTopic
from reception.models import Site, staff_labels
from visitors.exports import safe_cell

CHUNK = 2000


def call_log_csv(calls: QuerySet, *, site: Site) -> Iterator[str]:
    """Yield the CSV of `calls`, newest first, read as plain values in chunks."""
    header = [
        _("Received at"),
        _("Caller"),
        _("Phone"),
        _("Customer"),
        _("Topic"),
        _("Asked for"),
        _("Receiver"),
        _("Notes"),
    ]
    topics = dict(CallTopic.choices)
    rows = calls.order_by("-received_at", "-pk").values_list(
        "received_at", "caller", "phone", "customer__name", "topic", "asked_for_id", "receiver_id", "notes"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(cell) for cell in header])
    yield buffer.getvalue()
    labels: dict[int, str] = {}
    batch = []
    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield _rows(batch, site, topics, labels)
            batch = []
    if batch:
        yield _rows(batch, site, topics, labels)


def _rows(batch, site, topics, labels) -> str:
    wanted = {pk for row in batch for pk in (row[5], row[6]) if pk and pk not in labels}
    labels.update(staff_labels(wanted))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for received_at, caller, phone, customer, topic, asked_for, receiver, notes in batch:
        cells = [
            site.local(received_at).strftime("%Y-%m-%d %H:%M"),
            caller,
            phone,
            customer or "",
            str(topics.get(topic, topic)),
            labels.get(asked_for, "") if asked_for else "",
            labels.get(receiver, ""),
            notes,
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()
