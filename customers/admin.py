"""The office manager's back office for the sales floor: the rotation queue
and its greeting limit (R2.1, R2.2), customers' tiers and salespeople (R10.1,
R2.4), all audited; assignments and calls read-only. Scoped to the manager's
site (reception/backoffice.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Assignment,
    Call,
    CareSettings,
    Complaint,
    ComplaintHandler,
    Customer,
    Feedback,
    FollowUp,
    RotationMember,
    RotationQueue,
)
from reception.backoffice import AuditedAdmin, SiteScopedAdmin


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 1
    fields = ["position", "user"]
    autocomplete_fields = ["user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only staff of the manager's own site may join its rotation.
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        site = getattr(request, "site", None)
        if db_field.name == "user" and not request.user.is_superuser:
            formfield.queryset = formfield.queryset.filter(profile__site=site) if site else formfield.queryset.none()
        return formfield


@admin.register(RotationQueue)
class RotationQueueAdmin(AuditedAdmin):
    list_display = ["site", "greeting_limit_minutes"]
    list_select_related = ["site"]
    inlines = [RotationMemberInline]

    def audit_snapshot(self, obj):
        # The order of the salespeople is the rule that matters (R2.1).
        values = super().audit_snapshot(obj)
        if obj.pk is not None:
            values["members"] = [[member.position, member.user_id] for member in obj.members.order_by("position")]
        return values


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = ["name", "company", "tier", "owner", "created_at"]
    list_filter = ["tier"]
    list_select_related = ["owner"]
    search_fields = ["name", "company", "phone"]
    fields = ["site", "name", "company", "phone", "email", "tier", "owner", "notes"]
    # Names and phone numbers never go into the trail (visitors.audit); the tier and salesperson do.
    audit_exclude = ("name", "company", "phone", "phone_digits", "email", "notes", "created_at", "created_by")

    readonly_fields = ["site", "name", "company", "phone", "email"]

    def has_add_permission(self, request, obj=None):
        # Customers are made at the desk, where a duplicate phone is refused
        # unless confirmed (customers.services); here the manager sets the
        # tier and the salesperson.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly(SiteScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ["assigned_at", "salesperson", "kind", "channel", "customer", "greeted_at"]
    list_filter = ["kind", "channel"]
    list_select_related = ["salesperson", "customer"]
    date_hierarchy = "assigned_at"


@admin.register(Call)
class CallAdmin(ReadOnly):
    list_display = ["received_at", "caller", "topic", "receiver", "customer"]
    list_filter = ["topic"]
    list_select_related = ["receiver", "customer"]
    search_fields = ["caller", "phone"]
    date_hierarchy = "received_at"
    verbose_name = _("call")


# --- customer care (R5, R9.3, R10.2; issue #18) ----------------------------------------


@admin.register(CareSettings)
class CareSettingsAdmin(AuditedAdmin):
    """The site's acknowledgement limit (R5.2), reply-by default (R5.3) and
    each tier's follow-up interval (R10.2)."""

    list_display = ["site", "major_ack_minutes", "reply_by_days", "gold_days", "important_days", "general_days"]
    list_select_related = ["site"]


@admin.register(ComplaintHandler)
class ComplaintHandlerAdmin(AuditedAdmin):
    """Who handles each department's complaints, and its head (R5.2, R5.3)."""

    list_display = ["department", "user", "is_head"]
    list_filter = ["department", "is_head"]
    list_select_related = ["department", "user__profile__department"]
    autocomplete_fields = ["user"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    """Read only: complaints change through the desk's audited services and
    are never deleted (R5.1)."""

    list_display = ["opened_at", "document_number", "customer", "channel", "severity", "department", "status"]
    list_filter = ["status", "severity", "channel"]
    list_select_related = ["customer", "department"]
    search_fields = ["document_number"]
    date_hierarchy = "opened_at"
    exclude = ["letter", "reply_letter"]  # served by the desk's permission-checked view only


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnly):
    list_display = ["due_on", "customer", "method", "assigned_to", "done_at", "satisfaction"]
    list_filter = ["method", "origin"]
    list_select_related = ["customer", "assigned_to"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    list_display = ["due_on", "kind", "customer", "department", "owner", "done_at"]
    list_filter = ["kind", "department"]
    list_select_related = ["customer", "department", "owner"]
