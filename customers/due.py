"""Due work (R5.3, R9.3, R10.2): what each person has overdue or due within
the week (complaints to reply to, feedback and after-sales requests, follow-
ups), read for the desk page and for the daily digest email, which goes out
through the one delivery path (visitors.notify.deliver), once per person and
day (its dedupe_key).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Complaint, ComplaintHandler, ComplaintStatus, Feedback, FollowUp
from reception.models import Site
from visitors.models import Notification

WEEK = timedelta(days=7)
# The digest goes out at this local time each morning.
DIGEST_AT = time(8, 0)


@dataclass
class DueWork:
    today: date
    complaints: list = field(default_factory=list)
    feedback: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.complaints or self.feedback or self.follow_ups)

    @property
    def count(self) -> int:
        return len(self.complaints) + len(self.feedback) + len(self.follow_ups)


def _complaints_of(user, site: Site, until: date):
    """Complaints waiting for a reply that are this person's: given to them
    or their supervisor's, or routed to a department they handle and not yet
    given to anyone. Overdue, or due by `until`."""
    departments = ComplaintHandler.objects.filter(site=site, user=user).values("department")
    mine = Q(handler=user) | Q(supervisor=user) | Q(handler__isnull=True, department__in=departments)
    return (
        Complaint.objects.filter(site=site, status__in=[ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS])
        .filter(mine)
        .filter(reply_by__lte=until)
    )


def due_work(user, site: Site, today: date) -> DueWork:
    """What `user` has overdue or due within the week at `site`: three queries."""
    until = today + WEEK
    return DueWork(
        today=today,
        complaints=list(_complaints_of(user, site, until).select_related("customer").order_by("reply_by", "pk")),
        feedback=list(
            Feedback.objects.filter(site=site, owner=user, due_on__lte=until)
            .pending()
            .select_related("customer", "department")
            .order_by("due_on", "pk")
        ),
        follow_ups=list(
            FollowUp.objects.filter(site=site, assigned_to=user, due_on__lte=until)
            .pending()
            .select_related("customer")
            .order_by("due_on", "pk")
        ),
    )


def people_with_due_work(site: Site, today: date):
    """Everyone at `site` with something due by the end of the week."""
    until = today + WEEK
    open_complaints = Complaint.objects.filter(
        site=site, status__in=[ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS], reply_by__lte=until
    )
    ids = set(open_complaints.exclude(handler=None).values_list("handler", flat=True))
    ids |= set(open_complaints.exclude(supervisor=None).values_list("supervisor", flat=True))
    ids |= set(
        ComplaintHandler.objects.filter(
            site=site, department__in=open_complaints.filter(handler=None).values("department")
        ).values_list("user", flat=True)
    )
    ids |= set(Feedback.objects.filter(site=site, due_on__lte=until).pending().values_list("owner", flat=True))
    ids |= set(FollowUp.objects.filter(site=site, due_on__lte=until).pending().values_list("assigned_to", flat=True))
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")


def digest_notifications(*, site: Site, day: date, at: datetime | None = None) -> list[int]:
    """The day's digest emails of `site`: one per person with something due,
    created once (dedupe key per site, day and person), written now; the ids
    of those still to be sent."""
    at = at or timezone.now()
    prefix = f"care-digest:{site.pk}:{day.isoformat()}:"
    for user in people_with_due_work(site, day):
        key = f"{prefix}{user.pk}"
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        work = due_work(user, site, day)
        if not work:
            continue
        email = (user.email or "").strip()
        with translation.override(settings.LANGUAGE_CODE):
            context = {"work": work, "url": settings.SITE_URL + reverse("customers:due")}
            subject = _("Due customer work: %(count)s item(s)") % {"count": work.count}
            body = render_to_string("customers/email/digest.txt", context)
        Notification.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "site": site,
                "kind": Notification.Kind.PREPARED,
                "recipient": user,
                "address": email,
                "subject": subject,
                "body": body,
                "created_at": at,
                "status": Notification.Status.PENDING if email else Notification.Status.GAVE_UP,
                "last_error": "" if email else _("No email address."),
            },
        )
    return list(
        Notification.objects.filter(
            dedupe_key__startswith=prefix, status__in=[Notification.Status.PENDING, Notification.Status.FAILED]
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def next_digest_time(at: datetime | None = None) -> datetime | None:
    """The next DIGEST_AT at any site."""
    at = at or timezone.now()
    times = []
    for site in Site.objects.all():
        local = site.local(at)
        when = datetime.combine(local.date(), DIGEST_AT, tzinfo=site.tzinfo)
        times.append(when if when > at else when + timedelta(days=1))
    return min(times, default=None)
