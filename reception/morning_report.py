"""The morning report (R6.8): what happened in the night that ended on a
given morning — the night's visits, who was still on site when it ended,
incidents and lost items — shown at the desk and emailed to the site's office
directors.

The email goes the one delivery path every message takes (visitors.notify
.deliver, which renders it with `render_report`): this module decides who gets
which report, as Notification rows with a dedupe key per site, night and
director, and reception.tasks sends them. So this module imports neither
visitors.notify nor visitors.tasks, which import it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import DutyCode, Incident, LostItem, Site
from reception.night import NightWindow, current_or_last_night, current_or_next_night, night_ending_on
from reception.registers import night_visits
from reception.roles import DUTY_GROUPS
from visitors.models import Notification, Visit, VisitStatus


@dataclass(frozen=True)
class MorningReport:
    site: Site
    day: date
    night: NightWindow
    visits: list
    still_on_site: list
    incidents: list
    lost_items: list

    def is_final(self, now: datetime | None = None) -> bool:
        """Whether the night is over, so nothing more can change the report."""
        return (now or timezone.now()) >= self.night.end


def last_finished_night_day(site: Site, at: datetime | None = None) -> date:
    """The local date on which the most recent finished night ended."""
    at = at or timezone.now()
    night = current_or_last_night(site, at)
    day = site.local(night.end).date()
    return day - timedelta(days=1) if at in night else day


def next_report_time(at: datetime | None = None) -> datetime | None:
    """When the next night ends at any site: the time to send the next report."""
    at = at or timezone.now()
    return min((current_or_next_night(site, at).end for site in Site.objects.all()), default=None)


def build_morning_report(*, site: Site, day: date) -> MorningReport:
    """What happened in the night that ended on the morning of `day`: the
    night's visits, who was still on site when it ended (or is, while the night
    lasts), incidents and lost items. Four queries whatever the size."""
    night = night_ending_on(site, day)
    people = (
        "registered_by__profile__department",
        "checked_in_by__profile__department",
        "checked_out_by__profile__department",
    )
    visits = list(night_visits(site, night).with_people().select_related(*people).order_by("checked_in_at", "pk"))
    still_on_site = list(
        Visit.objects.for_site(site)
        .filter(status__in=[VisitStatus.ON_SITE, VisitStatus.LEFT], checked_in_at__lt=night.end)
        .filter(Q(checked_out_at__isnull=True) | Q(checked_out_at__gte=night.end))
        .with_people()
        .order_by("checked_in_at", "pk")
    )
    incidents = list(
        Incident.objects.filter(site=site)
        .filter(
            Q(occurred_at__gte=night.start, occurred_at__lt=night.end)
            | Q(reported_at__gte=night.start, reported_at__lt=night.end)
        )
        .select_related("reported_by__profile__department", "closed_by__profile__department")
        .order_by("occurred_at", "pk")
    )
    lost_items = list(
        LostItem.objects.filter(site=site)
        .filter(
            Q(found_at__gte=night.start, found_at__lt=night.end)
            | Q(recorded_at__gte=night.start, recorded_at__lt=night.end)
        )
        .select_related("recorded_by__profile__department", "returned_by__profile__department")
        .order_by("found_at", "pk")
    )
    return MorningReport(
        site=site,
        day=day,
        night=night,
        visits=visits,
        still_on_site=still_on_site,
        incidents=incidents,
        lost_items=lost_items,
    )


def report_recipients(site: Site):
    """The office directors of the site who have an email address."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            profile__site=site,
            groups__name=DUTY_GROUPS[DutyCode.DIRECTOR],
        )
        .exclude(email="")
    )


def _dedupe_prefix(site: Site, day: date) -> str:
    return f"morning-report:{site.pk}:{day.isoformat()}:"


def report_notifications(*, site: Site, day: date, at: datetime | None = None) -> list[int]:
    """The report emails of the night ending on `day`, one per office director
    of the site, created once (dedupe key per site, night and director), and
    the ids of those not yet sent or given up, for delivery.

    Refuses, with ReceptionError("night_not_over"), a night that has not ended:
    its report could still change.
    """
    at = at or timezone.now()
    if at < night_ending_on(site, day).end:
        raise ReceptionError("night_not_over", _("The night is not over yet; its report is sent when it ends."))
    prefix = _dedupe_prefix(site, day)
    return Notification.objects.queue_reports(
        site=site,
        kind=Notification.Kind.REPORT,
        day=day,
        prefix=prefix,
        recipients=report_recipients(site),
        at=at,
    )


def render_report(notification: Notification) -> tuple[str, str, str]:
    """(subject, text, html) of a morning report email, built afresh from the
    night it names (notification.report_day), in the site's time zone."""
    site = notification.site
    report = build_morning_report(site=site, day=notification.report_day)
    with translation.override(settings.LANGUAGE_CODE), timezone.override(site.tzinfo):
        context = {"report": report, "site_url": settings.SITE_URL}
        subject = _("Morning report: %(site)s, night to %(day)s") % {
            "site": site.display_name,
            "day": formats.date_format(report.day, "Y-m-d"),
        }
        text = render_to_string("reception/email/morning_report.txt", context)
        html = render_to_string("reception/email/morning_report.html", context)
    return subject, text, html
