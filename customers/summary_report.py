"""The monthly complaint summary emailed on the 1st (R5.5; issue #18 item 5):
each site's summary of the month just over (customers.summary), to its office
directors, as HTML with the PDF attached where WeasyPrint is installed.

The insights report's way (visitors.monthly_report), whose send time, PDF
maker and recipients this reuses: this module decides who gets which summary,
as Notification rows (kind PREPARED, report_day the month's first day) with a
dedupe key per site, month and director, so a month's summary goes to each
director once however often the worker or cron asks; and it draws the email
when visitors.notify.deliver sends it (registered in CustomersConfig.ready),
so there is one delivery path with one retry schedule.
"""

from datetime import date, datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.summary import Summary, build_summary
from reception.errors import ReceptionError
from reception.models import Site
from reception.morning_report import report_recipients
from visitors.charts import draw
from visitors.models import Notification
from visitors.monthly_report import html_to_pdf, pdf_available, send_time

PREFIX = "complaint-summary"


def _dedupe_prefix(site: Site, first: date) -> str:
    return f"{PREFIX}:{site.pk}:{first:%Y-%m}:"


def _subject(site: Site, first: date) -> str:
    return _("Complaint summary: %(site)s, %(month)s") % {"site": site.name, "month": f"{first:%Y-%m}"}


def summary_notifications(*, site: Site, first: date, at: datetime | None = None) -> list[int]:
    """The summary emails of the month starting on `first`, one per office
    director of the site, created once (dedupe key per site, month and
    director), and the ids of those not yet sent or given up, for delivery.

    Refuses, with ReceptionError("month_not_over"), a month whose summary is
    not due yet (visitors.monthly_report.send_time): its figures could still change."""
    at = at or timezone.now()
    if at < send_time(site, first):
        raise ReceptionError("month_not_over", _("The month is not over yet; its summary is sent on the 1st."))
    prefix = _dedupe_prefix(site, first)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _subject(site, first)
    return Notification.objects.queue_reports(
        site=site,
        kind=Notification.Kind.PREPARED,
        day=first,
        prefix=prefix,
        recipients=report_recipients(site),
        at=at,
        subject=subject,
        # Drawn afresh when sent (render_summary_email); this is what the admin lists.
        body=subject,
    )


def summary_of(site: Site, first: date, at: datetime | None = None) -> Summary:
    """The month's summary as it stood when it was due (a retry later draws
    the same overdue list): seen on the site's day of sending, or today if
    asked before that."""
    at = min(at or timezone.now(), send_time(site, first))
    return build_summary(site=site, first=first, today=site.local(at).date())


def summary_html(*, site: Site, first: date, with_pdf: bool) -> tuple[str, str, str]:
    """(subject, text, html) of a month's summary for `site`, in the site's
    time zone and the installation's language."""
    with translation.override(settings.LANGUAGE_CODE), timezone.override(site.tzinfo):
        summary = summary_of(site, first)
        context = {
            "site": site,
            "summary": summary,
            "month": first,
            "charts": [(table, draw(table)) for table in summary.tables],
            "page_url": f"{settings.SITE_URL}{reverse('customers:complaint_summary')}?month={first:%Y-%m}",
            "pdf_available": with_pdf,
        }
        subject = _subject(site, first)
        text = render_to_string("customers/email/complaint_summary.txt", context)
        html = render_to_string("customers/email/complaint_summary.html", context)
    return subject, text, html


def render_summary_email(notification: Notification):
    """(subject, text, html, attachments) of a summary email, drawn from the
    month it names (notification.report_day): the PDF attached, or, where
    WeasyPrint is missing, the HTML alone, saying so."""
    site, first = notification.site, notification.report_day
    available = pdf_available()
    subject, text, html = summary_html(site=site, first=first, with_pdf=available)
    pdf = html_to_pdf(html) if available else None
    attachments = [] if pdf is None else [(f"complaints-{site.slug}-{first:%Y-%m}.pdf", pdf, "application/pdf")]
    return subject, text, html, attachments
