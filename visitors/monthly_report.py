"""The monthly insights report (issue #20): each site's figures for a whole
calendar month (visitors.insights), emailed on the 1st to the site's office
directors, as HTML with a PDF attached where WeasyPrint is installed.

As the morning report (reception.morning_report), this module decides who
gets which report, as Notification rows (kind MONTHLY_REPORT, report_day the
month's first day) with a dedupe key per site, month and director, and
renders one when visitors.notify.deliver sends it: one delivery path, one
retry schedule. visitors.tasks sends them and queues the next month's run.
"""

import logging
from datetime import date, datetime, time

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Site
from reception.morning_report import report_recipients
from visitors.charts import draw
from visitors.insights import add_months, build_insights, month_period
from visitors.models import Notification

logger = logging.getLogger(__name__)

# The report of a month goes out at this local time on the 1st of the next:
# after the night (R6.8), whose visits before midnight belong to the month.
SEND_AT = time(8, 30)


def send_time(site: Site, first: date) -> datetime:
    """When the report of the month starting on `first` is due: SEND_AT local
    time on the first day of the next month."""
    return datetime.combine(add_months(first, 1), SEND_AT, tzinfo=site.tzinfo)


def last_due_month(site: Site, at: datetime | None = None) -> date:
    """The first day of the latest month whose report is due at `at`."""
    at = at or timezone.now()
    last = add_months(site.local(at).date().replace(day=1), -1)
    return last if send_time(site, last) <= at else add_months(last, -1)


def next_send_time(at: datetime | None = None) -> datetime | None:
    """When the next monthly report is due at any site."""
    at = at or timezone.now()
    times = []
    for site in Site.objects.all():
        month = add_months(last_due_month(site, at), 1)
        times.append(send_time(site, month))
    return min(times, default=None)


def _dedupe_prefix(site: Site, first: date) -> str:
    return f"monthly-report:{site.pk}:{first:%Y-%m}:"


def report_notifications(*, site: Site, first: date, at: datetime | None = None) -> list[int]:
    """The monthly report emails of the month starting on `first`, one per
    office director of the site, created once (dedupe key per site, month and
    director), and the ids of those not yet sent or given up, for delivery.

    Refuses, with ReceptionError("month_not_over"), a month whose report is
    not due yet: its figures could still change."""
    at = at or timezone.now()
    if at < send_time(site, first):
        raise ReceptionError("month_not_over", _("The month is not over yet; its report is sent on the 1st."))
    prefix = _dedupe_prefix(site, first)
    return Notification.objects.queue_reports(
        site=site,
        kind=Notification.Kind.MONTHLY_REPORT,
        day=first,
        prefix=prefix,
        recipients=report_recipients(site),
        at=at,
    )


def report_html(*, site: Site, first: date, pdf_available: bool) -> tuple[str, str, str]:
    """(subject, text, html) of a month's report for `site`, in the site's
    time zone and the installation's language."""
    period = month_period(first)
    with translation.override(settings.LANGUAGE_CODE), timezone.override(site.tzinfo):
        figures = build_insights(site=site, period=period, now=min(timezone.now(), send_time(site, first)))
        query = f"?site={site.slug}&preset=custom&start={period.start:%Y-%m-%d}&end={period.last_day:%Y-%m-%d}"
        context = {
            "site": site,
            "insights": figures,
            "charts": [(table, draw(table)) for table in figures.tables],
            "page_url": f"{settings.SITE_URL}{reverse('visitors:insights')}{query}",
            "pdf_available": pdf_available,
        }
        subject = _("Monthly report: %(site)s, %(month)s") % {"site": site.name, "month": f"{first:%Y-%m}"}
        text = render_to_string("visitors/email/monthly_report.txt", context)
        html = render_to_string("visitors/email/monthly_report.html", context)
    return subject, text, html


def html_to_pdf(html: str) -> bytes | None:
    """The report as PDF, or None where WeasyPrint (and the system libraries it
    needs) is not installed: the HTML email then stands alone and says so."""
    try:
        import weasyprint  # an optional, heavy dependency: imported only when a PDF is made
    except (ImportError, OSError) as error:
        logger.warning("Monthly report sent without PDF: WeasyPrint is not available (%s)", error)
        return None
    return weasyprint.HTML(string=html).write_pdf()


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_monthly_report(notification: Notification) -> tuple[str, str, str, bytes | None]:
    """(subject, text, html, pdf or None) of a monthly report email, built
    afresh from the month it names (notification.report_day)."""
    available = pdf_available()
    subject, text, html = report_html(site=notification.site, first=notification.report_day, pdf_available=available)
    return subject, text, html, html_to_pdf(html) if available else None
