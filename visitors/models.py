"""Who comes and what happened: visitors, visits, their timeline, amendments and
the audit trail. Rule IDs refer to docs/reception-rules.md.
"""

import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Exists, Expression, F, Func, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reception.models import (
    SELF_SERVICE,
    Department,
    ReceptionRoom,
    Site,
    VisitorCategory,
    actor_label,
    moment_in_range,
    staff_label,
)

# No 0/O/1/I: badge and invitation codes are read aloud and typed on tablets.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class IdType(models.TextChoices):
    NONE = "", _("None")
    NATIONAL_ID = "national_id", _("National ID card")
    PASSPORT = "passport", _("Passport")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    OTHER = "other", _("Other document")


def text_contains(term: str, *, via: str = "") -> Q:
    """The visitor log's search: name, company or phone contains `term`,
    ignoring case. `via` reaches the visitor from another model ("visitor__")."""
    return (
        Q(**{f"{via}full_name__icontains": term})
        | Q(**{f"{via}company__icontains": term})
        | Q(**{f"{via}phone__icontains": term})
    )


class AmongIds(Expression):
    """`column IN (ids)`, with the ids sent to PostgreSQL as one array
    (`= ANY(%s)`): a search's few thousand visitor ids are then one parameter,
    not thousands for the ORM and the driver to handle one by one (issue #24).
    Other databases get the plain IN list."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, column: str, ids):
        super().__init__()
        self.column = F(column)
        self.ids = list(ids)

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        if not self.ids:
            raise EmptyResultSet
        return f"{sql} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s::bigint[])", (*params, self.ids)


class FoldedTerm(Func):
    """A term of one or two characters as the one gram it is: ARRAY[UPPER(term)],
    the fold that `icontains` uses on PostgreSQL. A text that contains the
    term contains it among its grams (lobby_grams of migration 0006 holds
    every character and two-character piece). Its own characters add nothing
    to that and are the index's longest lists: "L" and "I" are in most names
    (issue #24)."""

    template = "ARRAY[UPPER(%(expressions)s)]"
    output_field = ArrayField(models.TextField())


class VisitorGrams(Func):
    """Grams of a visitor's name, company and phone, the expression that the
    visitor_grams index holds (PostgreSQL only, migration 0006)."""

    function = "lobby_visitor_grams"
    output_field = ArrayField(models.TextField())

    def __init__(self):
        super().__init__(F("full_name"), F("company"), F("phone"))


class VisitorQuerySet(models.QuerySet):
    def matching(self, term: str):
        """Visitors whose name, company or phone contains `term`, ignoring case.

        On PostgreSQL the trigram indexes (migration 0005) serve a term of
        three characters or more. A shorter one, such as the Chinese name 张伟,
        has no trigram, so it goes through the grams index (migration 0006)
        first: a text that contains the term contains each of its characters
        and pieces, so the index drops no match, and `icontains` still decides.
        """
        found = self.filter(text_contains(term))
        if len(term) <= 2 and connections[self.db].vendor == "postgresql":
            found = found.alias(grams=VisitorGrams()).filter(grams__contains=FoldedTerm(Value(term)))
        return found

    def for_site(self, site: Site):
        """The visitors a site's staff see (R4.1): those with a visit there.
        An EXISTS, not a join, so a visitor of many visits comes once."""
        return self.filter(Exists(Visit.objects.filter(site=site, visitor=OuterRef("pk"))))

    def identified(self):
        """Visitors whose identity is still on record: not anonymised (R4.1)."""
        return self.filter(anonymised_at__isnull=True)


class Visitor(models.Model):
    full_name = models.CharField(_("full name"), max_length=120)
    company = models.CharField(_("company"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    id_type = models.CharField(_("ID document"), max_length=20, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("first registered"), auto_now_add=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    objects = VisitorQuerySet.as_manager()

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        ordering = ["full_name"]
        indexes = [
            models.Index(fields=["full_name"]),
            # Issue #24: the kiosk's returning-visitor lookup (R2.4) compares
            # names ignoring case on every walk-in; the trigram index can answer
            # that too, but reads every posting list of the name's trigrams.
            # LOWER, not UPPER: PostgreSQL keeps statistics on an indexed
            # expression, and statistics on UPPER(full_name) steered the log's
            # searches (UPPER(...) LIKE) to a scan of every visitor for a broad
            # term ("Xu": 150 ms instead of a walk of the log's index).
            models.Index(Lower("full_name"), name="visitor_full_name_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name


class VisitStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    ON_SITE = "on_site", _("On site")
    LEFT = "left", _("Left")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")
    # Issue #19: a watchlist match at arrival holds the visit for security
    # (not on site, not in any room's count) until security clears it (on
    # site) or refuses it.
    PENDING_SECURITY = "pending_security", _("Pending security")
    REFUSED = "refused", _("Refused by security")
    # Issue #19 (A13): a walk-up whose category (or site) needs the host's
    # approval waits for it, not on site and in no room's count, until the
    # host (or, once their time is up, the desk) approves (on site) or
    # declines (declined). See visitors.approvals.
    AWAITING_HOST = "awaiting_host", _("Waiting for the host")
    DECLINED = "declined", _("Declined")


class VisitSource(models.TextChoices):
    DESK = "desk", _("Front desk")
    INVITATION = "invitation", _("Invitation")
    KIOSK = "kiosk", _("Kiosk")


def log_day():
    """A visit's day in the visitor log: its arrival, else its expected time,
    else its registration. The log is ordered by it (newest first, then by
    pk), and visit_site_day_idx indexes exactly this expression."""
    return Coalesce("checked_in_at", "expected_at", "registered_at")


# R3.2 as plain functions, so that a list read as values (the desk dashboard's
# hundreds of rows) applies the same rule as Visit's methods below.


def ack_due_at(checked_in_at: datetime, deadline_minutes: int) -> datetime:
    """R3.2: when the host's acknowledgement of an arrival falls due."""
    return checked_in_at + timezone.timedelta(minutes=deadline_minutes)


def ack_minutes(stored: int | None, category_minutes: int) -> int:
    """R3.2: the deadline in force when the visit arrived, which the arrival
    stored on the visit (issue #16): a later change to the category's deadline
    is no promise to a visitor already waiting. Only a row made outside the
    arrival service (a fixture, the benchmark's data) lacks it, and falls back
    to the category's current deadline, as the SQL of overdue_visits does."""
    return category_minutes if stored is None else stored


def ack_overdue(due_at: datetime, acknowledged_at: datetime | None, now: datetime) -> bool:
    """R3.2: a visit on site is overdue when unacknowledged past its deadline."""
    return acknowledged_at is None and now > due_at


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from start to end, never negative (minutes waiting)."""
    return max(0, int((end - start).total_seconds() // 60))


def _photo_path(instance, filename: str) -> str:
    # The name is always a random one made by visitors.photos.
    return f"visitors/photos/{instance.site_id}/{filename}"


class VisitQuerySet(models.QuerySet):
    def for_site(self, site: Site):
        return self.filter(site=site)

    def on_site(self):
        return self.filter(status=VisitStatus.ON_SITE)

    def expected_on(self, site: Site, day: datetime | None = None):
        """Expected visits whose expected time falls on the site's local `day`."""
        local = site.local(day or timezone.now())
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timezone.timedelta(days=1)
        return self.filter(site=site, status=VisitStatus.EXPECTED, expected_at__gte=start, expected_at__lt=end)

    def with_people(self):
        return self.select_related("visitor", "category", "room", "department", "host__profile__department")


class Visit(models.Model):
    """One visit: a registration record (R6.4) and its reception (R1.4, R1.5)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="visits", verbose_name=_("site"))
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="visits", verbose_name=_("visitor"))
    category = models.ForeignKey(
        VisitorCategory, on_delete=models.PROTECT, related_name="visits", verbose_name=_("category")
    )
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_visits",
        verbose_name=_("host"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("handling department"),
    )
    room = models.ForeignKey(
        ReceptionRoom,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("room"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    expected_at = models.DateTimeField(_("expected at"), null=True, blank=True)
    expected_until = models.DateTimeField(_("expected until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.EXPECTED)
    source = models.CharField(_("registered via"), max_length=12, choices=VisitSource.choices, default=VisitSource.DESK)
    badge_code = models.CharField(_("badge code"), max_length=12, unique=True, default=new_code, editable=False)

    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_visits",
        verbose_name=_("registered by"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked out by"),
    )
    # R3.2: the category's acknowledgement deadline when the visitor arrived,
    # kept with the visit: a promise made at arrival (issue #16).
    ack_deadline_minutes = models.PositiveSmallIntegerField(
        _("host acknowledgement deadline (minutes)"), null=True, blank=True, editable=False
    )
    acknowledged_at = models.DateTimeField(_("host acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    # R1.5.3: the clerk arranges meals and lodging; the secretary hospitality.
    meals = models.BooleanField(_("meals"), default=False)
    lodging = models.BooleanField(_("lodging"), default=False)
    refreshments = models.BooleanField(_("refreshments"), default=False)
    hospitality_notes = models.CharField(_("hospitality notes"), max_length=200, blank=True)
    # R9.1: brochures and materials handed out.
    materials = models.CharField(_("materials handed out"), max_length=200, blank=True)

    # R6.8: registrations in the night window carry these extra facts.
    night_registration = models.BooleanField(_("registered at night"), default=False)
    id_sighted = models.BooleanField(_("ID sighted"), default=False)
    id_sighted_type = models.CharField(_("ID type sighted"), max_length=20, choices=IdType.choices, blank=True)
    host_contacted = models.BooleanField(_("host or escort contacted"), default=False)
    night_override_reason = models.CharField(_("night-duty override reason"), max_length=200, blank=True)

    legal_hold = models.BooleanField(_("legal hold"), default=False)
    # Issue #19 (A12): the photo taken on arrival, re-encoded (visitors.photos),
    # served only by visitors.file_views; erased with the visitor (R4.1).
    photo = models.FileField(_("photo"), upload_to=_photo_path, blank=True, editable=False)
    # Kiosk and invitation forms carry a one-time key: a double tap, a retry or the
    # back button finds the visit the first submission made instead of a second one.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-registered_at"]
        permissions = [
            ("register_visit", _("Can register a visit at the desk")),
            ("check_in_visit", _("Can check a visitor in")),
            ("check_out_visit", _("Can check a visitor out")),
            ("invite_visitor", _("Can invite a visitor")),
            ("acknowledge_visit", _("Can acknowledge an arriving visitor")),
            ("view_visitor_log", _("Can search the visitor log")),
            ("export_visitor_log", _("Can export the visitor log")),
            ("amend_visit", _("Can amend a registration")),
            ("view_id_number", _("Can see full ID numbers")),
            ("override_night_duty", _("Can register in place of the night-duty officer")),
            ("erase_visitor", _("Can erase a visitor's identity on request")),
            ("serve_hospitality", _("Can record hospitality served")),
            ("view_insights", _("Can see the insights of their site")),
            ("clear_security_hold", _("Can clear or refuse a visitor held for security")),
        ]
        indexes = [
            models.Index(fields=["site", "status", "expected_at"]),
            models.Index(fields=["site", "checked_in_at"]),
            models.Index(fields=["site", "registered_at"]),
            # The dashboard's "recently left" and today's activity; without it
            # they scan the site's whole history.
            models.Index(fields=["site", "checked_out_at"], name="visit_site_checked_out_idx"),
            # The visitor log's order: a page of the newest visits, within a
            # date range or not, is read from here instead of sorting the
            # site's history.
            models.Index(F("site"), log_day().desc(), F("id").desc(), name="visit_site_day_idx"),
            # A room's occupancy (R1.3 capacity), asked on every walk-in and
            # room choice: read from the index alone, only the visits on site.
            models.Index(
                fields=["room", "party_size"],
                condition=models.Q(status=VisitStatus.ON_SITE),
                name="visit_room_on_site_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=VisitStatus.values), name="visit_status_valid"),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="visit_party_size_positive"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | (Q(checked_in_at__isnull=False) & Q(checked_out_at__gte=F("checked_in_at"))),
                name="visit_check_out_after_check_in",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.ON_SITE) | Q(checked_in_at__isnull=False, checked_out_at__isnull=True),
                name="visit_on_site_is_checked_in",
            ),
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.LEFT) | Q(checked_out_at__isnull=False),
                name="visit_left_is_checked_out",
            ),
            # R1.3: every visitor on site is in a designated room.
            models.CheckConstraint(
                condition=~Q(status=VisitStatus.ON_SITE) | Q(room__isnull=False),
                name="visit_on_site_has_room",
            ),
            models.CheckConstraint(
                condition=Q(expected_until__isnull=True) | Q(expected_until__gt=F("expected_at")),
                name="visit_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=moment_in_range("expected_at", nullable=True), name="visit_expected_at_in_range"
            ),
            models.CheckConstraint(
                condition=moment_in_range("expected_until", nullable=True), name="visit_expected_until_in_range"
            ),
            models.UniqueConstraint(
                fields=["site", "visitor"],
                condition=Q(status=VisitStatus.ON_SITE),
                name="visit_one_open_per_visitor_and_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} · {self.get_status_display()}"

    @property
    def ack_deadline(self) -> datetime | None:
        if self.checked_in_at is None:
            return None
        minutes = self.ack_deadline_minutes
        if minutes is None:  # see ack_minutes; read the category only then
            minutes = self.category.ack_deadline_minutes
        return ack_due_at(self.checked_in_at, minutes)

    def is_ack_overdue(self, now: datetime | None = None) -> bool:
        """R3.2: on site, not acknowledged, and past the deadline in force at arrival."""
        deadline = self.ack_deadline
        return (
            self.status == VisitStatus.ON_SITE
            and deadline is not None
            and ack_overdue(deadline, self.acknowledged_at, now or timezone.now())
        )

    def minutes_waiting(self, now: datetime | None = None) -> int | None:
        if self.checked_in_at is None:
            return None
        return minutes_between(self.checked_in_at, self.acknowledged_at or now or timezone.now())

    @property
    def registered_by_label(self) -> str:
        """Who registered the visit: the member of staff, else the way it came
        (the kiosk, for a walk-in who registered themself)."""
        return staff_label(self.registered_by) if self.registered_by_id else str(self.get_source_display())

    @property
    def arrival_actor_label(self) -> str:
        """Who checked the visitor in (the kiosk, when they did it themself); blank before arrival."""
        return actor_label(self.checked_in_by if self.checked_in_by_id else None, done=self.checked_in_at is not None)

    @property
    def departure_actor_label(self) -> str:
        """Who checked the visitor out (the kiosk, when they did it themself); blank until they leave."""
        return actor_label(
            self.checked_out_by if self.checked_out_by_id else None, done=self.checked_out_at is not None
        )

    def check_in(self, *, by, at: datetime | None = None) -> None:
        self.status = VisitStatus.ON_SITE
        self.checked_in_at = at or timezone.now()
        self.checked_in_by = by

    def check_out(self, *, by, at: datetime | None = None) -> None:
        self.status = VisitStatus.LEFT
        self.checked_out_at = at or timezone.now()
        self.checked_out_by = by


class VisitStep(models.TextChoices):
    """R1.4: the steps of a reception, recorded on each visit's timeline."""

    REGISTERED = "registered", _("Registered")
    ARRIVED = "arrived", _("Arrived")
    ESCORTED = "escorted", _("Escorted to the room")
    SEATED = "seated", _("Seated in room")
    HOST_MET = "host_met", _("Host met the visitor")
    TALKS = "talks", _("Talks")
    TOUR = "tour", _("Guided tour")
    HOSPITALITY = "hospitality", _("Hospitality served")
    MATERIALS = "materials", _("Materials handed out")
    ACKNOWLEDGED = "acknowledged", _("Host acknowledged")
    ESCALATED = "escalated", _("Escalated")
    AMENDED = "amended", _("Amended")
    LEFT = "left", _("Left")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")
    HELD = "held", _("Held for security")
    CLEARED = "cleared", _("Cleared by security")
    REFUSED = "refused", _("Refused by security")
    AWAITING_HOST = "awaiting_host", _("Waiting for the host's approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    NO_ANSWER = "no_answer", _("Host did not answer")


# The steps a visitor takes at the kiosk without staff (see SELF_SERVICE).
SELF_SERVICE_STEPS = (VisitStep.REGISTERED, VisitStep.ARRIVED, VisitStep.LEFT)


class VisitEvent(models.Model):
    """The reception timeline of a visit (R1.4): who did what, when."""

    Kind = VisitStep

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="events", verbose_name=_("visit"))
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("visit step")
        verbose_name_plural = _("visit steps")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=VisitStep.values), name="visitevent_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_label(self) -> str:
        """Who took the step: the member of staff; the kiosk for a registration,
        arrival or departure nobody on staff made; blank for the system's own
        steps (an escalation)."""
        if self.by_id:
            return staff_label(self.by)
        return str(SELF_SERVICE) if self.kind in SELF_SERVICE_STEPS else ""


class HospitalityItem(models.TextChoices):
    """R1.5.3: what a visit may ask for; OTHER is a request made only in the
    hospitality notes."""

    MEALS = "meals", _("Meals")
    LODGING = "lodging", _("Lodging")
    REFRESHMENTS = "refreshments", _("Refreshments")
    OTHER = "other", _("As noted")


class ServedHospitality(models.Model):
    """R1.5.3: one requested item of hospitality served to a visit, by whom
    and when. Served once: the registration's request stays as registered."""

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="hospitality_served", verbose_name=_("visit")
    )
    item = models.CharField(_("item"), max_length=20, choices=HospitalityItem.choices)
    served_at = models.DateTimeField(_("served at"), default=timezone.now)
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("served by")
    )

    class Meta:
        verbose_name = _("hospitality served")
        verbose_name_plural = _("hospitality served")
        ordering = ["served_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "item"], name="hospitality_served_once"),
            models.CheckConstraint(condition=Q(item__in=HospitalityItem.values), name="hospitality_item_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} · {self.served_at:%Y-%m-%d %H:%M}"


class Amendment(models.Model):
    """R6.4: a correction to a registration; the original value stays readable."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="amendments", verbose_name=_("visit"))
    field = models.CharField(_("field"), max_length=60)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class AuditEvent(models.Model):
    """An append-only, hash-chained record of every action on the log (R6.4).

    Written through visitors.audit.record() in the same transaction as the change.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="audit_events", verbose_name=_("site"))
    seq = models.PositiveBigIntegerField(_("sequence"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["site", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["site", "seq"], name="audit_seq_unique_per_site"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class Invitation(models.Model):
    """Pre-registration of an expected visit; the visitor confirms on their phone.

    The link carries a signed token of this row's id, never personal data; the
    short code is what a visitor types at the kiosk.
    """

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="invitation", verbose_name=_("visit"))
    email = models.EmailField(_("visitor's email"))
    code = models.CharField(_("short code"), max_length=12, unique=True, default=new_code, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    privacy_accepted_at = models.DateTimeField(_("privacy notice accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class ConsentWay(models.TextChoices):
    KIOSK = "kiosk", _("Accepted at the kiosk")
    INVITATION = "invitation", _("Accepted with the invitation")
    DESK = "desk", _("Shown by the desk")


class PrivacyConsent(models.Model):
    """R4.1: the visitor was shown the site's privacy notice for this visit and
    accepted it: which version of the notice, when, and how (the kiosk, the
    invitation link, or the desk, whose clerk is named). The first one of a
    visit stands."""

    visit = models.OneToOneField(
        Visit, on_delete=models.PROTECT, related_name="privacy_consent", verbose_name=_("visit")
    )
    way = models.CharField(_("how"), max_length=12, choices=ConsentWay.choices)
    notice_version = models.CharField(_("privacy notice version"), max_length=16)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    shown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shown by"),
    )

    class Meta:
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        constraints = [
            models.CheckConstraint(condition=Q(way__in=ConsentWay.values), name="privacyconsent_way_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_way_display()} · {self.notice_version}"


class NotificationQuerySet(models.QuerySet):
    def queue_reports(self, *, site, kind, day, prefix: str, recipients, at, **fields) -> list[int]:
        """One notice of a site's report (`kind`, for `day`) to each of
        `recipients`, keyed `prefix` + their id so that a second call queues
        none twice; returns the ids of the report's notices still to send
        (pending or failed), oldest first. `fields` are further columns of
        a new notice (a subject, a body)."""
        for user in recipients:
            self.get_or_create(
                dedupe_key=f"{prefix}{user.pk}",
                defaults={
                    "site": site,
                    "kind": kind,
                    "report_day": day,
                    "recipient": user,
                    "address": user.email,
                    "created_at": at,
                    **fields,
                },
            )
        return list(
            self.filter(
                site=site,
                kind=kind,
                dedupe_key__startswith=prefix,
                status__in=[Notification.Status.PENDING, Notification.Status.FAILED],
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )


class Notification(models.Model):
    """One message to one recipient about a visit, with its delivery state.

    `dedupe_key` is unique: a task that runs twice (retry, two workers) never
    tells the same person the same thing twice.
    """

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival")
        ESCALATION = "escalation", _("Escalation")
        INVITATION = "invitation", _("Invitation")
        REPORT = "report", _("Report")
        MONTHLY_REPORT = "monthly_report", _("Monthly report")
        SECURITY = "security", _("Security")
        # Issue #19 (A13): a walk-up waits for the host's approval.
        APPROVAL = "approval", _("Host approval")
        # Issue #18: a message the customers app wrote when it decided to send
        # it (a major complaint, a daily digest): `subject` and `body` are
        # sent as they are, so this app never imports that one.
        PREPARED = "prepared", _("Customer care")
        # Issue #21: a visit event (or a test "ping") for a generic webhook
        # channel that subscribes to it; `subject` holds the event's name.
        EVENT = "event", _("Webhook event")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed")

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications", verbose_name=_("visit")
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    channel = models.ForeignKey(
        "reception.NotificationChannel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel"),
    )
    address = models.CharField(_("sent to"), max_length=500, blank=True)
    # A morning report (kind REPORT) is about a night, not a visit: the local
    # date the night ended, from which the report is rendered when it is sent.
    # A monthly report (MONTHLY_REPORT): the first day of its month.
    report_day = models.DateField(_("Morning report"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"), blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # A webhook's last HTTP status (issue #21: the delivery log); null for email.
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["site", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "gave_up"]), name="notification_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.address}"


class WatchlistLevel(models.TextChoices):
    """Issue #19: what a match does. DENY holds the arrival for security;
    ALERT lets it proceed and tells security at once."""

    DENY = "deny", _("Deny: hold for security")
    ALERT = "alert", _("Alert security")


class WatchlistEntry(models.Model):
    """Issue #19: someone a site's security wants to know about at the door.
    Seen only by security and the office manager (reception.roles); matched by
    visitors.watchlist through its WatchlistKey rows."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=120)
    aliases = models.TextField(
        _("aliases"), blank=True, help_text=_("Other names, Latin or Chinese: one a line, or separated by commas.")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    company = models.CharField(_("company"), max_length=120, blank=True)
    id_fragment = models.CharField(
        _("ID number ending"),
        max_length=18,
        blank=True,
        help_text=_("The last characters of the ID number (at least 4), if known."),
    )
    reason = models.CharField(_("reason"), max_length=300)
    level = models.CharField(_("level"), max_length=8, choices=WatchlistLevel.choices, default=WatchlistLevel.DENY)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
        editable=False,
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=WatchlistLevel.values), name="watchlist_level_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class WatchlistKey(models.Model):
    """One normalised way a watchlist entry is recognised ("n:" name or alias,
    "p:" phone, "e:" email, "i:" ID ending), kept by visitors.watchlist.index_entry
    so that a match is one indexed query (the kiosk's morning rush)."""

    entry = models.ForeignKey(WatchlistEntry, on_delete=models.CASCADE, related_name="keys")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["site", "key"], name="watchlist_site_key_idx")]
        constraints = [models.UniqueConstraint(fields=["entry", "key"], name="watchlist_key_once")]

    def __str__(self) -> str:
        return self.key


class HoldOutcome(models.TextChoices):
    WAITING = "", _("Waiting for security")
    CLEARED = "cleared", _("Cleared")
    REFUSED = "refused", _("Refused")


class SecurityHold(models.Model):
    """Issue #19: a visit held at arrival by a watchlist match, and security's
    decision. The entry and the reason are security's: the desk and the host
    see only that the visit is pending security."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="security_hold", verbose_name=_("visit"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    entry = models.ForeignKey(
        WatchlistEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("watchlist entry"),
    )
    held_at = models.DateTimeField(_("held at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=8, choices=HoldOutcome.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security hold")
        verbose_name_plural = _("security holds")
        ordering = ["held_at", "pk"]
        indexes = [models.Index(fields=["site", "outcome"], name="securityhold_site_outcome_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=HoldOutcome.values), name="securityhold_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.get_outcome_display()}"


# --- agreements a visitor signs (issue #19, A12) --------------------------------------


class AgreementKind(models.TextChoices):
    NDA = "nda", _("Non-disclosure agreement")
    HOUSE_RULES = "house_rules", _("House rules")
    SAFETY = "safety", _("Safety briefing")


class Agreement(models.Model):
    """A document a visitor of one category at one site reads and signs on
    arrival (NDA, house rules, safety briefing), written by the office manager.
    Its words live in AgreementVersion rows: editing them makes a new version;
    a version once written is never changed, so every signed copy says exactly
    what was signed (visitors.agreements)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    category = models.ForeignKey(
        VisitorCategory, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("visitor category")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementKind.choices)
    validity_days = models.PositiveSmallIntegerField(
        _("valid for (days)"),
        default=365,
        help_text=_("Days a signature of this version counts for a returning visitor; 0: sign at every visit."),
    )
    active = models.BooleanField(_("asked on arrival"), default=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["site", "category", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["category", "kind"], name="agreement_one_kind_per_category"),
            models.CheckConstraint(condition=Q(kind__in=AgreementKind.values), name="agreement_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.category.code}"


class AgreementVersion(models.Model):
    """The words of one version of an agreement, in both languages. Written
    once by visitors.agreements.publish_version, never edited."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="versions", verbose_name=_("agreement")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    title_en = models.CharField(_("title (English)"), max_length=150)
    title_zh = models.CharField(_("title (Simplified Chinese)"), max_length=150)
    text_en = models.TextField(_("text (English)"))
    text_zh = models.TextField(_("text (Simplified Chinese)"))
    written_at = models.DateTimeField(_("written at"), default=timezone.now)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["agreement", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="agreement_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title_en} (v{self.number})"

    def title(self, language: str) -> str:
        return self.title_zh if language.startswith("zh") and self.title_zh else self.title_en

    def text(self, language: str) -> str:
        return self.text_zh if language.startswith("zh") and self.text_zh else self.text_en


def _signed_path(instance, filename: str) -> str:
    # Always a random name made by visitors.agreements.
    return f"visitors/agreements/{instance.site_id}/{filename}"


class SignedAgreement(models.Model):
    """A visitor's signature of one agreement version on one visit: the typed
    name, the drawn signature (PNG) and the signed copy (PDF, or HTML where no
    PDF could be made). Erased with the visitor (R4.1, visitors.privacy)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="signed_agreements", verbose_name=_("visit")
    )
    visitor = models.ForeignKey(
        Visitor, on_delete=models.PROTECT, related_name="signed_agreements", verbose_name=_("visitor")
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("agreement version")
    )
    signed_name = models.CharField(_("name as typed"), max_length=120)
    language = models.CharField(_("language"), max_length=10)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    signature = models.FileField(_("signature"), upload_to=_signed_path, blank=True)
    document = models.FileField(_("signed copy"), upload_to=_signed_path, blank=True)

    class Meta:
        verbose_name = _("signed agreement")
        verbose_name_plural = _("signed agreements")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "version"], name="agreement_signed_once_per_visit"),
        ]
        indexes = [models.Index(fields=["visitor", "version", "signed_at"], name="signed_by_visitor_idx")]

    def __str__(self) -> str:
        return f"{self.version} · {self.signed_name}"


class ApprovalOutcome(models.TextChoices):
    WAITING = "", _("Waiting for the host")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class HostApproval(models.Model):
    """Issue #19 (A13): a walk-up waiting for their host's approval, and the
    decision. `due_at` is when the host's time is up; `unanswered_at` when the
    timeout task found no answer and left the decision to the desk."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="host_approval", verbose_name=_("visit"))
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due by"))
    unanswered_at = models.DateTimeField(_("host did not answer"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=ApprovalOutcome.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # How the decision came: "link" (the emailed link), "app" (the host signed
    # in) or "desk" (the desk, once the host's time was up).
    decided_via = models.CharField(_("decided via"), max_length=8, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("host approval")
        verbose_name_plural = _("host approvals")
        ordering = ["asked_at", "pk"]
        indexes = [models.Index(fields=["site", "outcome"], name="hostapproval_site_outcome_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=ApprovalOutcome.values), name="hostapproval_outcome_valid"),
            models.CheckConstraint(condition=Q(due_at__gte=F("asked_at")), name="hostapproval_due_after_asked"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.get_outcome_display()}"
