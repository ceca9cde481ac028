"""The sales floor: customers (R10.1, R2.4), the rotation of walk-in customers
(R2.1-R2.3) and the call log (R2.5, R9.2).

Rule IDs refer to docs/reception-rules.md. A customer is linked to the
visitors' records that are theirs from this side (CustomerVisitor), so the
visitors app knows nothing of customers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reception.models import Site, moment_in_range, staff_label

NOTES_MAX = 2000


class Tier(models.TextChoices):
    """R10.1: customers are graded gold, important or general."""

    GOLD = "gold", _("Gold")
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user, site: Site):
        """The customers of `site` this user may see: the whole floor for the
        desk and the floor manager, a salesperson's own customers otherwise."""
        customers = self.filter(site=site)
        if user.has_perm("customers.view_all_customers"):
            return customers
        return customers.filter(owner=user)


class Customer(models.Model):
    """A person or company the business serves (R10.1), and the salesperson
    who served them first and has the first claim when they return (R2.4)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="customers", verbose_name=_("site"))
    name = models.CharField(_("name"), max_length=120)
    company = models.CharField(_("company"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # reception.validators.normalise_phone of `phone`: what a match compares.
    phone_digits = models.CharField(_("phone (digits)"), max_length=40, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, default=Tier.GENERAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
        verbose_name=_("salesperson"),
    )
    notes = models.TextField(_("notes"), max_length=NOTES_MAX, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "pk"]
        permissions = [
            ("view_all_customers", _("Can see every customer of the site")),
            ("link_visitor", _("Can link a visit to a customer")),
        ]
        indexes = [
            models.Index(fields=["site", "phone_digits"], name="customer_site_phone_idx"),
            models.Index(fields=["site", "name"], name="customer_site_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="customer_tier_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.company}" if self.company else self.name


class CustomerVisitor(models.Model):
    """A visitor's record that belongs to a customer: their visits are the
    customer's visits. A visitor belongs to one customer at most."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="visitor_links", verbose_name=_("customer")
    )
    visitor = models.OneToOneField(
        "visitors.Visitor", on_delete=models.CASCADE, related_name="customer_link", verbose_name=_("visitor")
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )

    class Meta:
        verbose_name = _("customer's visitor record")
        verbose_name_plural = _("customers' visitor records")

    def __str__(self) -> str:
        return f"{self.customer} · {self.visitor_id}"


class RotationQueue(models.Model):
    """R2.1: a site's salespeople in their set order, and where the turn is.

    `last_position` is the position of the member who took the last turn; the
    next turn starts after it. The office manager edits the order (admin)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="rotation", verbose_name=_("site"))
    last_position = models.PositiveIntegerField(_("last turn at position"), default=0, editable=False)
    greeting_limit_minutes = models.PositiveSmallIntegerField(
        _("greeting limit (minutes)"),
        default=3,
        help_text=_("R2.2: a customer waiting longer than this for a salesperson is highlighted at the desk."),
    )

    class Meta:
        verbose_name = _("rotation queue")
        verbose_name_plural = _("rotation queues")
        constraints = [
            models.CheckConstraint(condition=Q(greeting_limit_minutes__gte=1), name="rotation_greeting_limit_positive"),
        ]

    def __str__(self) -> str:
        return str(self.site)


class RotationMember(models.Model):
    queue = models.ForeignKey(RotationQueue, on_delete=models.CASCADE, related_name="members", verbose_name=_("queue"))
    position = models.PositiveSmallIntegerField(_("order"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="rotation_memberships",
        verbose_name=_("salesperson"),
    )

    class Meta:
        verbose_name = _("salesperson in the rotation")
        verbose_name_plural = _("salespeople in the rotation")
        ordering = ["queue", "position"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "position"], name="rotation_position_unique"),
            models.UniqueConstraint(fields=["queue", "user"], name="rotation_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {staff_label(self.user)}"


class AwayMarkQuerySet(models.QuerySet):
    def at(self, moment):
        return self.filter(starts_at__lte=moment).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=moment))


class AwayMark(models.Model):
    """R2.1: a salesperson away from the floor (lunch, a site visit): passed
    over while it lasts. Marked by themself or the floor manager, with a reason."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="away_marks", verbose_name=_("site"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="away_marks", verbose_name=_("salesperson")
    )
    reason = models.CharField(_("reason"), max_length=200)
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("marked by")
    )

    objects = AwayMarkQuerySet.as_manager()

    class Meta:
        verbose_name = _("away mark")
        verbose_name_plural = _("away marks")
        ordering = ["-starts_at"]
        permissions = [("mark_others_away", _("Can mark another salesperson away"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")), name="away_ends_after_start"
            ),
            models.CheckConstraint(condition=moment_in_range("ends_at", nullable=True), name="away_ends_in_range"),
        ]

    def __str__(self) -> str:
        return f"{staff_label(self.user)} · {self.reason}"


class AssignmentKind(models.TextChoices):
    TURN = "turn", _("In turn")
    OWNER = "owner", _("Returning customer to their salesperson")
    OVERRIDE = "override", _("Floor manager's override")
    ASKED_FOR = "asked_for", _("Caller asked for them")


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    CALL = "call", _("Call")


class Assignment(models.Model):
    """One customer (a walk-in visit or a call) given to one salesperson, and
    why: their turn, the returning customer's own salesperson (R2.4), the
    floor manager's override with its reason, or the caller's request (R2.5).
    Who was passed over on the way, and why, is in `skips`."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("site"))
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("salesperson")
    )
    kind = models.CharField(_("how"), max_length=12, choices=AssignmentKind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("customer"),
    )
    visit = models.ForeignKey(
        "visitors.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("visit"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    arrived_at = models.DateTimeField(_("customer arrived at"))
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    greeted_at = models.DateTimeField(_("greeted at"), null=True, blank=True)
    greeted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("greeting recorded by"),
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-assigned_at", "-pk"]
        permissions = [
            ("assign_turn", _("Can give a customer to the next salesperson")),
            ("override_turn", _("Can give a customer out of turn, with a reason")),
            ("greet_customer", _("Can record a customer greeted")),
            ("view_fairness", _("Can see the rotation's fairness")),
        ]
        indexes = [models.Index(fields=["site", "assigned_at"], name="assignment_site_at_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AssignmentKind.values), name="assignment_kind_valid"),
            # R2.3: out of turn only with a reason.
            models.CheckConstraint(
                condition=~Q(kind=AssignmentKind.OVERRIDE) | ~Q(reason=""), name="assignment_override_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(greeted_at__isnull=True) | Q(greeted_by__isnull=False), name="assignment_greeting_has_actor"
            ),
            # One salesperson per walk-in visit.
            models.UniqueConstraint(fields=["visit"], name="assignment_one_per_visit"),
        ]

    def __str__(self) -> str:
        return f"{staff_label(self.salesperson)} · {self.get_kind_display()}"


class SkipReason(models.TextChoices):
    OFF_ROSTER = "off_roster", _("Not on the roster now")
    AWAY = "away", _("Marked away")
    BUSY = "busy", _("Serving a customer")
    OWNER_UNAVAILABLE = "owner_unavailable", _("Owner unavailable")


class Skip(models.Model):
    """R2.1: a salesperson passed over by an assignment, and why."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=SkipReason.choices)

    class Meta:
        verbose_name = _("salesperson passed over")
        verbose_name_plural = _("salespeople passed over")
        constraints = [models.CheckConstraint(condition=Q(reason__in=SkipReason.values), name="skip_reason_valid")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.reason}"


class CallTopic(models.TextChoices):
    ENQUIRY = "enquiry", _("Enquiry")
    FEEDBACK = "feedback", _("Feedback")
    AFTER_SALES = "after_sales", _("After-sales")
    COMPLAINT = "complaint", _("Complaint")


class CallQuerySet(models.QuerySet):
    def visible_to(self, user, site: Site):
        """The calls of `site` this user may see: all of them for the desk and
        the floor manager, the calls a salesperson received otherwise."""
        calls = self.filter(site=site)
        if user.has_perm("customers.view_all_calls"):
            return calls
        return calls.filter(receiver=user)


class Call(models.Model):
    """R2.5, R9.2: an incoming call and the salesperson recorded as taking it."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="calls", verbose_name=_("site"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    caller = models.CharField(_("caller"), max_length=120)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.CharField(_("phone (digits)"), max_length=40, blank=True, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="calls", verbose_name=_("customer")
    )
    topic = models.CharField(_("topic"), max_length=12, choices=CallTopic.choices)
    notes = models.TextField(_("notes"), max_length=NOTES_MAX, blank=True)
    asked_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked for"),
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls_received", verbose_name=_("receiver")
    )
    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="call", verbose_name=_("assignment")
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("logged by")
    )

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-received_at", "-pk"]
        permissions = [
            ("view_all_calls", _("Can see every call of the site")),
            ("export_calls", _("Can export the call log")),
        ]
        indexes = [
            models.Index(fields=["site", "received_at"], name="call_site_received_idx"),
            models.Index(fields=["site", "phone_digits"], name="call_site_phone_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(topic__in=CallTopic.values), name="call_topic_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} · {self.received_at:%Y-%m-%d %H:%M}"


# --- complaints, feedback and follow-ups (R5, R9.3, R10.2-R10.3; issue #18) ---------


class CareSettings(models.Model):
    """A site's customer-care limits, set by the office manager: how long a
    major complaint may wait for an acknowledgement (R5.2), the default
    reply-by of a general one (R5.3), and each tier's follow-up interval
    (R10.2: gold 14 days, important 21, general 30 unless changed)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="care", verbose_name=_("site"))
    major_ack_minutes = models.PositiveSmallIntegerField(
        _("major complaint acknowledged within (minutes)"),
        default=30,
        help_text=_("R5.2: unacknowledged after this long, a major complaint goes to the office director again."),
    )
    reply_by_days = models.PositiveSmallIntegerField(
        _("reply within (days)"), default=5, help_text=_("R5.3: the default reply-by date of a complaint.")
    )
    gold_days = models.PositiveSmallIntegerField(_("gold follow-up after (days)"), default=14)
    important_days = models.PositiveSmallIntegerField(_("important follow-up after (days)"), default=21)
    general_days = models.PositiveSmallIntegerField(_("general follow-up after (days)"), default=30)

    class Meta:
        verbose_name = _("customer care settings")
        verbose_name_plural = _("customer care settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(major_ack_minutes__gte=1, reply_by_days__gte=1, gold_days__gte=1)
                & Q(important_days__gte=1, general_days__gte=1),
                name="care_settings_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.site)

    @classmethod
    def of(cls, site: Site) -> "CareSettings":
        """The site's settings; the defaults where the manager set none."""
        return cls.objects.filter(site=site).first() or cls(site=site)

    def follow_up_days(self, tier: str) -> int:
        return {Tier.GOLD: self.gold_days, Tier.IMPORTANT: self.important_days}.get(tier, self.general_days)


class ComplaintHandler(models.Model):
    """Who handles the complaints a department is given at a site (R5.3), and
    which of them is its head, told at once of a major one (R5.2)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="complaint_handlers", verbose_name=_("site"))
    department = models.ForeignKey(
        "reception.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="complaint_duties", verbose_name=_("handler")
    )
    is_head = models.BooleanField(_("department head"), default=False)

    class Meta:
        verbose_name = _("complaint handler")
        verbose_name_plural = _("complaint handlers")
        ordering = ["department__name", "-is_head", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "department", "user"], name="complaint_handler_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {staff_label(self.user)}"


class DocumentCounter(models.Model):
    """R5.4: the last incoming-document number given at a site in a year. The
    row is locked while a number is taken, in the transaction that uses it,
    so the numbers have no gaps and no duplicates."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "year"], name="document_counter_unique")]

    def __str__(self) -> str:
        return f"{self.site_id}-{self.year}: {self.last}"


class ComplaintChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    WRITTEN = "written", _("Written")
    ONLINE = "online", _("Online")


class ComplaintSource(models.TextChoices):
    DESK = "desk", _("At the desk")
    CALL = "call", _("From a call")
    VISIT = "visit", _("From a visit")
    SALESPERSON = "salesperson", _("By a salesperson")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user, site: Site):
        """R5: the complaints of `site` this user may see: all of them for the
        desk, the floor manager and the director; otherwise those of their own
        customers, those routed to them or their department, and those they
        opened."""
        complaints = self.filter(site=site)
        if user.has_perm("customers.view_all_complaints"):
            return complaints
        departments = ComplaintHandler.objects.filter(site=site, user=user).values("department")
        return complaints.filter(
            Q(customer__owner=user)
            | Q(handler=user)
            | Q(supervisor=user)
            | Q(department__in=departments)
            | Q(opened_by=user)
        )

    def open(self):
        return self.exclude(status=ComplaintStatus.CLOSED)


def _letter_path(instance, filename: str) -> str:
    # The name typed by whoever scanned it is never used (customers.uploads).
    return f"complaints/{instance.site_id}/{filename}"


class Complaint(models.Model):
    """R5.1: a complaint recorded by the "five clears": what the customer said
    (heard), the clarifying answers (asked), the responsible department and
    person (followed through), the reply and when (replied), the outcome
    (recorded). Never deleted: closed with an outcome, reopened if need be.
    Every change is a service in customers.complaints, audited."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("site"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=ComplaintChannel.choices)
    source = models.CharField(_("source"), max_length=12, choices=ComplaintSource.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("call")
    )
    visit = models.ForeignKey(
        "visitors.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("visit"),
    )
    # R5.4: a written complaint's incoming-document number, e.g. HQ-2026-0042.
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    letter = models.FileField(_("scanned letter"), upload_to=_letter_path, blank=True, max_length=200)
    reply_letter = models.FileField(_("written reply"), upload_to=_letter_path, blank=True, max_length=200)
    # heard, asked
    heard = models.TextField(_("what the customer said"), max_length=NOTES_MAX)
    asked = models.TextField(_("clarifying answers"), max_length=NOTES_MAX, blank=True)
    # followed through
    department = models.ForeignKey(
        "reception.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible department"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_handled",
        verbose_name=_("responsible person"),
    )
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    # R5.3: beyond the desk's authority, passed to the supervisor with the
    # date promised to the customer.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_supervised",
        verbose_name=_("supervisor"),
    )
    promised_on = models.DateField(_("promised to the customer for"), null=True, blank=True)
    # replied
    reply = models.TextField(_("reply given"), max_length=NOTES_MAX, blank=True)
    first_replied_at = models.DateTimeField(_("first replied at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    # recorded
    outcome = models.TextField(_("outcome"), max_length=NOTES_MAX, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # R5.2: a major complaint's acknowledgement, which stops its escalation.
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at", "-pk"]
        permissions = [
            ("view_all_complaints", _("Can see every complaint of the site")),
            ("handle_complaint", _("Can route, reply to and close complaints")),
            ("view_complaint_summary", _("Can read the monthly complaint summary")),
        ]
        indexes = [
            models.Index(fields=["site", "status"], name="complaint_site_status_idx"),
            models.Index(fields=["site", "opened_at"], name="complaint_site_opened_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=ComplaintChannel.values), name="complaint_channel_valid"),
            models.CheckConstraint(condition=Q(source__in=ComplaintSource.values), name="complaint_source_valid"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="complaint_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=ComplaintStatus.values), name="complaint_status_valid"),
            # R5.4: a written complaint has its document number and its letter.
            models.CheckConstraint(
                condition=~Q(channel=ComplaintChannel.WRITTEN) | (~Q(document_number="") & ~Q(letter="")),
                name="complaint_written_registered",
            ),
            models.UniqueConstraint(
                fields=["document_number"], condition=~Q(document_number=""), name="complaint_document_number_unique"
            ),
            # Closed only with an outcome and a reply (R5.1 "recorded", "replied").
            models.CheckConstraint(
                condition=~Q(status=ComplaintStatus.CLOSED)
                | (~Q(outcome="") & ~Q(reply="") & Q(closed_at__isnull=False)),
                name="complaint_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return self.document_number or f"C-{self.pk}"

    def is_overdue(self, today) -> bool:
        return self.status not in (ComplaintStatus.REPLIED, ComplaintStatus.CLOSED) and bool(
            self.reply_by and self.reply_by < today
        )


class FollowUpOrigin(models.TextChoices):
    VISIT = "visit", _("A visit")
    CALL = "call", _("A call")
    COMPLAINT = "complaint", _("A complaint")
    MANUAL = "manual", _("By hand")
    PREVIOUS = "previous", _("The last follow-up")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user, site: Site):
        follow_ups = self.filter(site=site)
        if user.has_perm("customers.view_all_complaints"):
            return follow_ups
        return follow_ups.filter(Q(assigned_to=user) | Q(customer__owner=user))

    def pending(self):
        return self.filter(done_at__isnull=True)


class FollowUp(models.Model):
    """R10.2-R10.3: a return visit, call or letter to a customer, due by the
    tier's interval; done with the customer's satisfaction (1-5), the
    shortcomings they raised and a note on the relationship. Every closed
    complaint gets one (R5.5)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("site"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("customer")
    )
    origin = models.CharField(_("scheduled from"), max_length=12, choices=FollowUpOrigin.choices)
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("complaint"),
    )
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next", verbose_name=_("previous")
    )
    method = models.CharField(_("method"), max_length=8, choices=FollowUpMethod.choices, default=FollowUpMethod.PHONE)
    due_on = models.DateField(_("due on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("assigned to")
    )
    scheduled_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    shortcomings = models.TextField(_("shortcomings raised"), max_length=NOTES_MAX, blank=True)
    relationship_note = models.TextField(_("relationship note"), max_length=NOTES_MAX, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["site", "assigned_to", "due_on"], name="followup_site_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(origin__in=FollowUpOrigin.values), name="followup_origin_valid"),
            models.CheckConstraint(condition=Q(method__in=FollowUpMethod.values), name="followup_method_valid"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="followup_done_has_satisfaction",
            ),
            # R5.5: one automatic follow-up per complaint, however often it is closed.
            models.UniqueConstraint(
                fields=["complaint"], condition=Q(origin="complaint"), name="followup_one_per_complaint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.due_on}"


class FeedbackKind(models.TextChoices):
    FEEDBACK = "feedback", _("Feedback")
    AFTER_SALES = "after_sales", _("After-sales request")


class FeedbackQuerySet(models.QuerySet):
    def visible_to(self, user, site: Site):
        items = self.filter(site=site)
        if user.has_perm("customers.view_all_complaints"):
            return items
        departments = ComplaintHandler.objects.filter(site=site, user=user).values("department")
        return items.filter(Q(owner=user) | Q(customer__owner=user) | Q(department__in=departments))

    def pending(self):
        return self.filter(done_at__isnull=True)


class Feedback(models.Model):
    """R9.3: a customer's feedback or after-sales request, lighter than a
    complaint: routed to a department with an owner and a due date."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("site"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FeedbackKind.choices)
    summary = models.TextField(_("summary"), max_length=NOTES_MAX)
    department = models.ForeignKey(
        "reception.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_owned", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), max_length=NOTES_MAX, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback or after-sales request")
        verbose_name_plural = _("feedback and after-sales requests")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FeedbackKind.values), name="feedback_kind_valid"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | ~Q(resolution=""), name="feedback_done_has_resolution"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer}"
