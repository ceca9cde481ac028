"""Template helpers of the front desk."""

from html import escape

import segno
from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from reception.models import staff_label

register = template.Library()


@register.filter
def staff(user) -> str:
    """R3.1: a staff member as "Department-Name"."""
    return staff_label(user)


@register.simple_tag
def qr_svg(data: str, scale: int = 4, title: str = "") -> str:
    """The QR code of `data` as inline SVG: printed pages load nothing from
    outside. segno escapes the title; the drawing itself is numbers only."""
    return mark_safe(segno.make_qr(str(data), error="m").svg_inline(scale=scale, title=title or None))  # noqa: S308


# --- the dashboard's two long tables ------------------------------------------------
# With 300 visitors on site and 120 expected, a template loop spends ~50 µs a
# row on variable lookups alone (~20 ms a page); these tags write the rows
# visitors.dashboard has formatted in ~10 µs each, as Django's admin writes its
# change list's cells in Python (issue #7). Every value goes through escape(): the
# standard library's html.escape, which django.utils.html.escape wraps (with a
# lazy-string check that costs more than the escaping here).

# The R3.2 acknowledgement cell for each state a row can be in.
ACK_BADGES = {
    "no_host": '<span class="text-muted">{}</span>',
    "acknowledged": '<span class="badge bg-success">{}</span>',
    "overdue": '<span class="badge bg-danger" data-testid="overdue">{}</span>',
    "waiting": '<span class="badge bg-warning text-dark">{}</span>',
}


def _visitor_cell(row: dict, party_title: str) -> str:
    """The visitor's name linking to the visit, the party size, the company."""
    html = f'<td><a href="{escape(row["url"])}">{escape(row["name"])}</a>'
    if row["party_size"] > 1:
        html += f' <span class="badge bg-secondary"{party_title}>×{row["party_size"]}</span>'
    if row["company"]:
        html += f'<div class="small text-muted">{escape(row["company"])}</div>'
    return html + "</td>"


def _button(url: str, label: str, style: str) -> str:
    """A submit button of the table's form, posting to `url` (label escaped)."""
    return f'<button class="btn btn-sm {style}" type="submit" formaction="{escape(url)}">{label}</button>'


@register.simple_tag
def on_site_rows(rows: list[dict], can_check_out: bool) -> SafeString:
    """The on-site table's rows: arrival, visitor, category, room, host,
    minutes waiting, the R3.2 state, and the check-out button."""
    party_title = f' title="{escape(gettext("Party size"))}"'
    check_out = escape(gettext("Check out"))
    html = []
    for row in rows:
        overdue = ' class="overdue"' if row["overdue"] else ""
        ack = ACK_BADGES[row["ack"]].format(escape(row["ack_text"]))
        button = _button(row["check_out_url"], check_out, "btn-outline-primary") if can_check_out else ""
        html.append(
            f'<tr data-filter-row data-visit="{row["pk"]}"{overdue}><td>{escape(row["arrived"])}</td>'
            f"{_visitor_cell(row, party_title)}<td>{escape(row['category'])}</td><td>{escape(row['room'])}</td>"
            f"<td>{escape(row['host'])}</td><td>{escape(row['waiting'])}</td><td>{ack}</td>"
            f'<td class="text-end d-print-none">{button}</td></tr>'
        )
    return mark_safe("\n".join(html))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def expected_rows(rows: list[dict], can_check_in: bool, can_register: bool) -> SafeString:
    """The expected table's rows: time, visitor, category, room, host, and the
    check-in, no-show and cancel buttons."""
    check_in, no_show, cancel = escape(gettext("Check in")), escape(gettext("No-show")), escape(gettext("Cancel"))
    html = []
    for row in rows:
        buttons = []
        if can_check_in:
            buttons.append(_button(row["check_in_url"], check_in, "btn-primary"))
        if can_register:
            buttons.append(_button(row["no_show_url"], no_show, "btn-outline-secondary"))
            buttons.append(_button(row["cancel_url"], cancel, "btn-outline-secondary"))
        html.append(
            f'<tr data-filter-row data-visit="{row["pk"]}"><td>{escape(row["time"])}</td>'
            f"{_visitor_cell(row, '')}<td>{escape(row['category'])}</td><td>{escape(row['room'])}</td>"
            f'<td>{escape(row["host"])}</td><td class="text-end text-nowrap d-print-none">{" ".join(buttons)}</td></tr>'
        )
    return mark_safe("\n".join(html))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def log_rows(rows: list[dict]) -> SafeString:
    """The visitor log's rows: day, arrived, left, visitor, company, category,
    room, host and status."""
    html = []
    for row in rows:
        party = f" ×{row['party_size']}" if row["party_size"] > 1 else ""
        html.append(
            f"<tr><td>{row['day']}</td><td>{row['arrived']}</td><td>{row['left']}</td>"
            f'<td><a href="{escape(row["url"])}">{escape(row["name"])}</a>{party}</td>'
            f"<td>{escape(row['company'])}</td><td>{escape(row['category'])}</td><td>{escape(row['room'])}</td>"
            f"<td>{escape(row['host'])}</td><td>{escape(row['status'])}</td></tr>"
        )
    return mark_safe("\n".join(html))  # noqa: S308 (every text above is escaped; times are digits)


@register.simple_tag
def filter_field(field) -> SafeString:
    """One field of a filter bar (the visitor log's) in Bootstrap's markup, as
    crispy-forms writes it (label, control, each error below it), without its
    templates: seven fields through crispy cost the log page ~8 ms (issue #7)."""
    css = "form-select" if isinstance(field.field.widget, forms.Select) else "form-control"
    if field.errors:
        css += " is-invalid"
    errors = format_html_join("", "<p><strong>{}</strong></p>", ((e,) for e in field.errors))
    if errors:
        errors = format_html('<div id="{}_error" class="invalid-feedback">{}</div>', field.auto_id, errors)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}</div>',
        field.auto_id,
        field.id_for_label,
        field.label,
        field.as_widget(attrs={"class": css}),
        errors,
    )
