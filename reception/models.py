"""How the desk is run: sites, visitor categories, rooms, duties and the roster.

Rule IDs refer to docs/reception-rules.md.
"""

from datetime import datetime, time
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reception.i18n import BilingualName, localized
from reception.validators import EARLIEST, LATEST, validate_webhook_url


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}) from None


class KioskMode(models.TextChoices):
    OPEN = "open", _("Open: walk-ins and invitations")
    INVITATIONS_ONLY = "invitations", _("Invitations only")
    CLOSED = "closed", _("Closed")


class Site(BilingualName, models.Model):
    """One reception base (R1.1). Its rules are fields here, edited in the admin."""

    name = models.CharField(_("name (English)"), max_length=120, unique=True)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=120, blank=True)
    slug = models.SlugField(_("short name"), max_length=50, unique=True)
    address = models.CharField(_("address (English)"), max_length=255, blank=True)
    address_zh = models.CharField(_("address (Simplified Chinese)"), max_length=255, blank=True)
    desk_phone = models.CharField(_("front-desk phone"), max_length=40, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    # R6.8: from 20:00 to 08:00 registration is done by the night-duty officer.
    night_starts = models.TimeField(_("night duty starts"), default=time(20, 0))
    night_ends = models.TimeField(_("night duty ends"), default=time(8, 0))
    retention_days = models.PositiveIntegerField(
        _("retention period (days)"),
        default=180,
        help_text=_("Visitor identities are anonymised this many days after the visit."),
    )
    kiosk_mode = models.CharField(_("kiosk by day"), max_length=20, choices=KioskMode.choices, default=KioskMode.OPEN)
    kiosk_night_mode = models.CharField(
        _("kiosk at night"), max_length=20, choices=KioskMode.choices, default=KioskMode.CLOSED
    )
    collect_id_numbers = models.BooleanField(
        _("record ID numbers"),
        default=False,
        help_text=_("Off by default. When on, ID numbers are masked for every role but security."),
    )
    privacy_notice_en = models.TextField(_("privacy notice (English)"), blank=True)
    privacy_notice_zh = models.TextField(_("privacy notice (Simplified Chinese)"), blank=True)
    # Issue #19 (A13): invitations beyond it are refused; blank means no limit.
    max_visitors_per_day = models.PositiveIntegerField(
        _("maximum visitors a day"),
        null=True,
        blank=True,
        help_text=_("Invitations for a day that already expects this many visitors are refused. Blank: no limit."),
    )
    # Issue #19 (A13): a walk-up waits for their host's approval before check-in
    # (visitors.approvals), for every category here or per category.
    walk_ups_need_approval = models.BooleanField(
        _("walk-ups need the host's approval"),
        default=False,
        help_text=_("Every walk-in, at the kiosk or the desk, waits for the host to approve before check-in."),
    )
    host_approval_minutes = models.PositiveSmallIntegerField(
        _("host approval time (minutes)"),
        default=10,
        help_text=_("A host who has not answered a walk-up in this time leaves the decision to the front desk."),
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(retention_days__gte=1), name="site_retention_positive"),
            models.CheckConstraint(
                condition=Q(max_visitors_per_day__isnull=True) | Q(max_visitors_per_day__gte=1),
                name="site_max_visitors_positive",
            ),
            models.CheckConstraint(
                condition=~Q(night_starts=models.F("night_ends")), name="site_night_window_not_empty"
            ),
            models.CheckConstraint(condition=Q(host_approval_minutes__gte=1), name="site_approval_minutes_positive"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def needs_host_approval(self, category: "VisitorCategory") -> bool:
        """Issue #19 (A13): whether a walk-up of `category` here waits for the host."""
        return self.walk_ups_need_approval or category.walk_ups_need_approval

    def approval_minutes(self, category: "VisitorCategory") -> int:
        """How long the host has to answer a walk-up of `category` (the category's own time, else the site's)."""
        return category.host_approval_minutes or self.host_approval_minutes

    @property
    def display_address(self) -> str:
        return localized(self.address, self.address_zh)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tzinfo)

    def in_night_window(self, at: datetime | None = None) -> bool:
        """R6.8: is `at` inside the night window, in the site's own wall-clock time?

        The window may cross midnight (20:00-08:00) and is read on local wall time,
        so it stays 20:00-08:00 on both sides of a daylight-saving change.
        """
        wall = self.local(at or timezone.now()).time()
        if self.night_starts < self.night_ends:
            return self.night_starts <= wall < self.night_ends
        return wall >= self.night_starts or wall < self.night_ends

    def current_kiosk_mode(self, at: datetime | None = None) -> str:
        return self.kiosk_night_mode if self.in_night_window(at) else self.kiosk_mode


class Department(BilingualName, models.Model):
    """A handling department (R1.5.4); staff appear as "Department-Name" (R3.1)."""

    name = models.CharField(_("name (English)"), max_length=80, unique=True)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="staff", verbose_name=_("site"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("department")
    )
    real_name = models.CharField(_("real name"), max_length=80)
    work_phone = models.CharField(_("work phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        ordering = ["department__name", "real_name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """R3.1: "Department-Name", e.g. Sales-Zhang San."""
        return department_label(self.real_name, self.department.display_name if self.department_id else None)


def department_label(real_name: str, department: str | None) -> str:
    """R3.1: "Department-Name" (Sales-Zhang San), or the real name alone for staff
    without a department. Built only here, from plain values, so that pages that
    hold a StaffProfile and the CSV export, which reads columns, say the same."""
    if department is None:
        return real_name
    return f"{department}-{real_name}"


# What staff_label_of reads of a user, each behind a prefix such as "host__".
STAFF_LABEL_VALUES = (
    "username",
    "first_name",
    "last_name",
    "profile__real_name",
    "profile__department__name",
    "profile__department__name_zh",
)


def staff_label_of(row: dict, prefix: str) -> str:
    """staff_label for a user read with .values() (the STAFF_LABEL_VALUES behind
    `prefix`), for lists too long to build a user, profile and department for
    each row: the profile's label, else the full name or the username."""
    real_name = row[f"{prefix}profile__real_name"]  # never null, so None means no profile
    if real_name is not None:
        department = row[f"{prefix}profile__department__name"]
        if department is not None:
            department = localized(department, row[f"{prefix}profile__department__name_zh"])
        return department_label(real_name, department)
    return f"{row[f'{prefix}first_name']} {row[f'{prefix}last_name']}".strip() or row[f"{prefix}username"]


def staff_labels(user_ids) -> dict[int, str]:
    """staff_label_of each of these users, by id, in one query: for lists that
    name the same few hosts or desk staff over and over."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=user_ids).values("pk", *STAFF_LABEL_VALUES)
    return {user["pk"]: staff_label_of(user, "") for user in users}


def staff_label(user) -> str:
    """The R3.1 label for any user, falling back to the full name or username without a profile."""
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    try:
        return profile.label if profile else (user.get_full_name() or user.get_username())
    except StaffProfile.DoesNotExist:
        return user.get_full_name() or user.get_username()


# Who took a step of a visit that no member of staff took: the visitor, at the
# kiosk, the one place a visit is registered, checked in or out without staff.
# Pages and emails say so rather than leave the actor blank (issue #16).
SELF_SERVICE = _("Kiosk")


def actor_label(user, *, done: bool = True) -> str:
    """Who did a step of a visit: the member of staff (R3.1 "Department-Name"),
    or the kiosk when nobody on staff did; blank for a step not yet taken."""
    if not done:
        return ""
    return staff_label(user) if user is not None else str(SELF_SERVICE)


class PhotoPolicy(models.TextChoices):
    """Issue #19 (A12): whether a visitor of a category is photographed on arrival."""

    OFF = "off", _("no photo")
    OPTIONAL = "optional", _("photo optional")
    REQUIRED = "required", _("photo required")


class VisitorCategory(BilingualName, models.Model):
    """R1.2: A VIP, B business, C ordinary, edited by the office manager."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="categories", verbose_name=_("site"))
    code = models.CharField(_("code"), max_length=8)
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=80, blank=True)
    description = models.TextField(_("who belongs here"), blank=True)
    ack_deadline_minutes = models.PositiveSmallIntegerField(
        _("host acknowledgement deadline (minutes)"),
        default=30,
        help_text=_("R3.2: the host acknowledges an arrival within this time, or it escalates."),
    )
    escort_required = models.BooleanField(_("escort required"), default=False)
    notify_director_on_arrival = models.BooleanField(_("notify the office director on arrival"), default=False)
    photo = models.CharField(
        _("visitor photo"),
        max_length=8,
        choices=PhotoPolicy.choices,
        default=PhotoPolicy.OFF,
        help_text=_("Issue #19: whether the kiosk and the desk take the visitor's photo for the badge."),
    )
    # Issue #19 (A13): walk-ups of this category wait for their host's approval.
    walk_ups_need_approval = models.BooleanField(
        _("walk-ups need the host's approval"),
        default=False,
        help_text=_("A walk-in of this category, at the kiosk or the desk, waits for the host to approve."),
    )
    host_approval_minutes = models.PositiveSmallIntegerField(
        _("host approval time (minutes)"),
        null=True,
        blank=True,
        help_text=_("Blank: the site's time."),
    )
    # Issue #19 (A13): invitations beyond it, for this category, are refused; blank means no limit.
    max_visitors_per_day = models.PositiveIntegerField(
        _("maximum visitors a day"),
        null=True,
        blank=True,
        help_text=_(
            "Invitations of this category for a day that already expects this many of its visitors are refused. "
            "Blank: no limit of its own."
        ),
    )

    class Meta:
        verbose_name = _("visitor category")
        verbose_name_plural = _("visitor categories")
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="category_code_unique_per_site"),
            models.CheckConstraint(condition=Q(ack_deadline_minutes__gte=1), name="category_deadline_positive"),
            models.CheckConstraint(
                condition=Q(host_approval_minutes__isnull=True) | Q(host_approval_minutes__gte=1),
                name="category_approval_minutes_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_visitors_per_day__isnull=True) | Q(max_visitors_per_day__gte=1),
                name="category_max_visitors_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.display_name}"


class RoomQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def allowed_for(self, category: VisitorCategory):
        """R1.3: the rooms a visit of this category may be received in."""
        return (
            self.filter(site_id=category.site_id, active=True)
            .filter(Q(any_category=True) | Q(categories=category))
            .distinct()
        )


class ReceptionRoom(BilingualName, models.Model):
    """R1.3: a designated reception venue; only these rooms may receive visitors."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("site"))
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Simplified Chinese)"), max_length=80, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity (people)"))
    exclusive = models.BooleanField(_("exclusive use"), default=False, help_text=_("Receives one party at a time."))
    categories = models.ManyToManyField(
        VisitorCategory, blank=True, related_name="rooms", verbose_name=_("categories received")
    )
    any_category = models.BooleanField(
        _("any category"),
        default=False,
        help_text=_("The one exception of R1.3: the general manager's office may receive any visitor."),
    )
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("reception room")
        verbose_name_plural = _("reception rooms")
        ordering = ["site", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_name_unique_per_site"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def allows(self, category: VisitorCategory) -> bool:
        if not self.active or self.site_id != category.site_id:
            return False
        # A room read through allowed_for(category) in this request (see
        # visitors.selectors.rooms_with_space) is known to allow it: no second query.
        if self.any_category or category.pk in getattr(self, "read_as_allowed_for", ()):
            return True
        return self.categories.filter(pk=category.pk).exists()


class DutyCode(models.TextChoices):
    """R1.5 and R6.8: the duties of reception."""

    RECEPTION_CENTRE = "reception_centre", _("Reception centre")
    SECURITY = "security", _("Security on duty")
    CLERK = "clerk", _("Front-desk clerk")
    HOST = "host", _("Host (handling department)")
    SECRETARY = "secretary", _("Secretary")
    DIRECTOR = "director", _("Office director")
    NIGHT_OFFICER = "night_officer", _("Night-duty officer")
    # R2: the sales floor. Salespeople on the roster take walk-in customers in
    # turn; the floor manager keeps the order fair (customers/rotation.py).
    SALESPERSON = "salesperson", _("Salesperson")
    FLOOR_MANAGER = "floor_manager", _("Sales floor manager")


class Duty(models.Model):
    """A duty is a Django group with permissions (see reception/roles.py)."""

    code = models.CharField(_("code"), max_length=32, choices=DutyCode.choices, unique=True)
    group = models.OneToOneField("auth.Group", on_delete=models.PROTECT, related_name="duty", verbose_name=_("group"))
    description = models.TextField(_("responsibilities"), blank=True)

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


def moment_in_range(field: str, *, nullable: bool = False) -> Q:
    """A CheckConstraint's condition: a moment a person typed lies between
    EARLIEST and LATEST (reception.validators), so no row holds a time that
    cannot be read back on a site's clock (issue #15)."""
    condition = Q(**{f"{field}__gte": EARLIEST, f"{field}__lt": LATEST})
    return Q(**{f"{field}__isnull": True}) | condition if nullable else condition


class RosterQuerySet(models.QuerySet):
    def at(self, moment: datetime):
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)

    def overlapping(self, start: datetime, end: datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class RosterEntry(models.Model):
    """Who holds which duty at which site, from when to when (R1.5, R4.2, R6.8)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="roster", verbose_name=_("site"))
    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, related_name="roster", verbose_name=_("duty"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="roster", verbose_name=_("staff member")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster")
        ordering = ["site", "starts_at"]
        indexes = [models.Index(fields=["site", "duty", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="roster_ends_after_start"),
            models.CheckConstraint(condition=moment_in_range("starts_at"), name="roster_starts_in_range"),
            models.CheckConstraint(condition=moment_in_range("ends_at"), name="roster_ends_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.duty} · {staff_label(self.user)}"


def on_duty(site: Site, duty: str, at: datetime | None = None):
    """The users holding `duty` at `site` at the given moment, per the roster."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    entries = RosterEntry.objects.filter(site=site, duty__code=duty).at(at or timezone.now())
    return User.objects.filter(pk__in=entries.values("user_id"), is_active=True).select_related("profile__department")


class KioskDevice(models.Model):
    """A lobby tablet. Its secret link enrols the browser; revoking it locks the kiosk."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="kiosks", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=80)
    token = models.CharField(_("device key"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("kiosk device")
        verbose_name_plural = _("kiosk devices")
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="kiosk_name_unique_per_site")]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ChannelKind(models.TextChoices):
    GENERIC = "generic", _("Generic webhook (JSON, HMAC-SHA256 signed)")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class WebhookEvent(models.TextChoices):
    """What a generic webhook channel may subscribe to (issue #21): each is sent
    by the service that did it, once its transaction commits (visitors.webhooks)."""

    REGISTERED = "visit.registered", _("Visit registered")
    CHECKED_IN = "visit.checked_in", _("Visitor checked in")
    CHECKED_OUT = "visit.checked_out", _("Visitor checked out")
    ACKNOWLEDGED = "visit.acknowledged", _("Arrival acknowledged by the host")
    ESCALATED = "visit.escalated", _("Arrival escalated")
    AMENDED = "visit.amended", _("Registration amended")


class NotificationChannel(models.Model):
    """A work-chat group (R3) or other webhook that hears about arrivals and
    escalations; a generic one may also subscribe to visit events (issue #21)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="channels", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices, default=ChannelKind.GENERIC)
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    on_arrival = models.BooleanField(_("arrivals"), default=True)
    on_escalation = models.BooleanField(_("escalations"), default=True)
    # Issue #21: the WebhookEvent values this channel receives as signed JSON.
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Checked here rather than as a field validator: it depends on a setting
        # (LOBBY_ALLOW_PRIVATE_WEBHOOKS), which a migration should not record.
        # The sender checks again, with the addresses the name resolves to.
        try:
            validate_webhook_url(self.url)
        except ValidationError as error:
            raise ValidationError({"url": error.error_list}) from None
        if self.events:
            unknown = sorted(set(self.events) - set(WebhookEvent.values))
            if unknown:
                raise ValidationError({"events": _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}})
            if self.kind != ChannelKind.GENERIC:
                raise ValidationError({"events": _("Only a generic webhook receives events; a chat robot cannot.")})
            if not self.secret:
                raise ValidationError(
                    {"secret": _("Events are signed: give a signing secret, which the receiver checks.")}
                )

    def receives(self, event: str) -> bool:
        return self.kind == ChannelKind.GENERIC and event in (self.events or [])


# Issue #24: whether a site has any channel subscribing to visit events is asked
# on every visit change (visitors.webhooks.emit), and the answer is nearly
# always "no". It is cached; every write of a channel marks the site's answer
# UNSETTLED (before its transaction commits and again once it has), and while
# it is, readers ask the database and cache nothing. A reader stores an answer
# only where none is (cache.add), so an answer read before a write committed
# can never overwrite the mark the write left: the next reader after the write
# asks the database. A settled answer is kept for at most SUBSCRIBERS_CACHED.
# Channels are written through save() and delete() (the admin, scripts):
# queryset.update() and bulk_create() send no signal, so they must not be used
# on channels without unsettling the answer themselves.
SUBSCRIBERS_UNSETTLED_FOR = 60
SUBSCRIBERS_CACHED = 3600
UNSETTLED = "unsettled"


def _subscribers_key(site_id: int) -> str:
    return f"channels:event-subscribers:{site_id}"


def site_has_event_subscribers(site_id: int) -> bool:
    """Whether any active generic channel of the site subscribes to visit
    events (issue #21): one cache read, the database only after a change."""
    key = _subscribers_key(site_id)
    known = cache.get(key)
    if isinstance(known, bool):
        return known
    subscribed = any(
        NotificationChannel.objects.filter(site_id=site_id, active=True, kind=ChannelKind.GENERIC)
        .order_by()
        .values_list("events", flat=True)
    )
    if known is None:
        cache.add(key, subscribed, SUBSCRIBERS_CACHED)
    return subscribed


def _unsettle_subscribers(site_id: int) -> None:
    cache.set(_subscribers_key(site_id), UNSETTLED, SUBSCRIBERS_UNSETTLED_FOR)


@receiver(post_save, sender=NotificationChannel)
@receiver(post_delete, sender=NotificationChannel)
def _channel_written(sender, instance: NotificationChannel, **kwargs) -> None:
    """Every save or delete of a channel (the admin's, a script's, a site's
    cascade) unsettles its site's cached answer, now and once it commits. A
    channel moved to another site leaves the old site's answer "yes" for a
    while, which costs that site's visits one query each, never an event."""
    _unsettle_subscribers(instance.site_id)
    transaction.on_commit(partial(_unsettle_subscribers, instance.site_id), robust=True)


class EscalationStep(models.Model):
    """R3.2: who is told, in order, when a host has not acknowledged in time.

    Step n fires `delay_minutes` after the category's acknowledgement deadline.
    """

    category = models.ForeignKey(
        VisitorCategory, on_delete=models.CASCADE, related_name="escalation_steps", verbose_name=_("category")
    )
    position = models.PositiveSmallIntegerField(_("order"))
    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, related_name="+", verbose_name=_("duty"))
    delay_minutes = models.PositiveSmallIntegerField(_("minutes after the deadline"), default=0)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["category", "position"]
        constraints = [
            models.UniqueConstraint(fields=["category", "position"], name="escalation_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.duty}"


class Handover(models.Model):
    """R6.6: what the outgoing shift hands to the incoming one."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("site"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    written_at = models.DateTimeField(_("written at"), default=timezone.now)
    shift_started_at = models.DateTimeField(_("shift started at"))
    open_items = models.TextField(_("open items"), blank=True)
    incidents = models.TextField(_("incidents"), blank=True)
    keys_and_items = models.TextField(_("keys and items handed over"), blank=True)
    on_site_snapshot = models.JSONField(_("on site at handover"), default=list, blank=True)
    shift_visits = models.ManyToManyField(
        "visitors.Visit", blank=True, related_name="+", verbose_name=_("shift's visits")
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        ordering = ["-written_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="handover_ack_has_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{staff_label(self.written_by)} · {self.written_at:%Y-%m-%d %H:%M}"


class LostItem(models.Model):
    """R6.2: something a visitor left behind, from finding to return."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="lost_items", verbose_name=_("site"))
    description = models.CharField(_("item"), max_length=200)
    found_at = models.DateTimeField(_("found at"))
    found_where = models.CharField(_("found where"), max_length=120)
    found_by = models.CharField(_("found by"), max_length=120)
    stored_where = models.CharField(_("stored where"), max_length=120)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    returned_to = models.CharField(_("returned to"), max_length=120, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )

    class Meta:
        verbose_name = _("lost item")
        verbose_name_plural = _("lost and found")
        ordering = ["-found_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | (~Q(returned_to="") & Q(returned_by__isnull=False)),
                name="lostitem_return_is_complete",
            ),
            models.CheckConstraint(condition=moment_in_range("found_at"), name="lostitem_found_in_range"),
        ]

    def __str__(self) -> str:
        return self.description


class IncidentKind(models.TextChoices):
    DAMAGE = "damage", _("Damaged or broken item (R6.3)")
    REST_AREA = "rest_area", _("Rest-area problem: sleeping, smoking (R6.5)")
    SECURITY = "security", _("Security")
    OTHER = "other", _("Other")


class Incident(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("site"))
    kind = models.CharField(_("category"), max_length=20, choices=IncidentKind.choices)
    description = models.TextField(_("description"))
    location = models.CharField(_("where"), max_length=120, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    follow_up = models.TextField(_("follow-up"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentKind.values), name="incident_kind_valid"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_by__isnull=False), name="incident_close_has_actor"
            ),
            models.CheckConstraint(condition=moment_in_range("occurred_at"), name="incident_occurred_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"


# --- the written rules (issue #22) ----------------------------------------------------


class RulesQuerySet(models.QuerySet):
    def in_force(self, site: Site, day) -> "RulesQuerySet":
        """The site's versions in force on the local `day`, the current one first."""
        return self.filter(site=site, effective_from__lte=day).order_by("-effective_from", "-number")


class RulesVersion(models.Model):
    """One published version of a site's written reception rules, in English
    and Simplified Chinese (Markdown, rendered by reception.rulebook). Never
    changed nor deleted once saved: a new version is a new row. The version
    in force on a day is the latest one effective by then."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rules_versions", verbose_name=_("site"))
    number = models.PositiveIntegerField(_("version"), editable=False)
    effective_from = models.DateField(_("effective from"))
    summary = models.CharField(_("what changed"), max_length=200, blank=True)
    body_en = models.TextField(_("rules for staff (English, Markdown)"))
    body_zh = models.TextField(_("rules for staff (Simplified Chinese, Markdown)"), blank=True)
    house_rules_en = models.TextField(_("house rules for visitors (English, Markdown)"), blank=True)
    house_rules_zh = models.TextField(_("house rules for visitors (Simplified Chinese, Markdown)"), blank=True)
    privacy_notice_en = models.TextField(
        _("privacy notice (English)"), blank=True, help_text=_("Empty: the site's own privacy notice is shown.")
    )
    privacy_notice_zh = models.TextField(_("privacy notice (Simplified Chinese)"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )

    objects = RulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("written rules version")
        verbose_name_plural = _("written rules")
        ordering = ["site", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="rules_version_unique_per_site"),
            models.CheckConstraint(condition=Q(number__gte=1), name="rules_version_positive"),
        ]

    def __str__(self) -> str:
        return _("%(site)s rules, version %(number)s") % {"site": self.site, "number": self.number}

    @property
    def display_body(self) -> str:
        return localized(self.body_en, self.body_zh)

    @property
    def display_house_rules(self) -> str:
        return localized(self.house_rules_en, self.house_rules_zh)


class RulesAcknowledgement(models.Model):
    """A staff member has read a version of the written rules (issue #22)."""

    version = models.ForeignKey(
        RulesVersion, on_delete=models.PROTECT, related_name="acknowledgements", verbose_name=_("version")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("staff member")
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"))

    class Meta:
        verbose_name = _("rules acknowledgement")
        verbose_name_plural = _("rules acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="rules_acknowledged_once"),
        ]

    def __str__(self) -> str:
        return f"{self.version} · {staff_label(self.user)}"


class ApiScope(models.TextChoices):
    """What an integration's token may do through /api/v1/ (issue #21)."""

    READ_VISITS = "read_visits", _("Read visits, rooms, hosts and visitors")
    WRITE_VISITS = "write_visits", _("Create expected visits, check in and out")
    READ_AUDIT = "read_audit", _("Read the audit trail")
    ON_SITE_LIST = "on_site_list", _("Read the on-site list")
    ERASE_VISITORS = "erase_visitors", _("Erase a visitor's identity on request (R4.1)")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, at: datetime | None = None):
        """Tokens neither revoked nor expired at `at` (now)."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class ApiToken(models.Model):
    """An integration's key to the API of one site (issue #21).

    Only the SHA-256 digest of the secret is stored; the secret is shown once,
    when the office manager creates the token. `prefix` (the token's first
    characters) lets people tell tokens apart without holding the secret."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=80)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="api_token_name_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])
