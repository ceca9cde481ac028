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
