"""Visit history in the admin is read-only: registrations are never altered
(R6.4) and nobody deletes them; corrections are amendments."""

from django.contrib import admin

from visitors.models import Amendment, AuditEvent, Visit, VisitEvent, Visitor


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VisitEventInline(admin.TabularInline):
    model = VisitEvent
    extra = 0
    can_delete = False
    fields = ["kind", "at", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AmendmentInline(VisitEventInline):
    model = Amendment
    fields = ["field", "old_value", "new_value", "reason", "by", "at"]
    readonly_fields = fields


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = [
        "visitor",
        "site",
        "category",
        "room",
        "host",
        "status",
        "expected_at",
        "checked_in_at",
        "checked_out_at",
    ]
    list_filter = ["site", "status", "category", "room", "source", "night_registration"]
    list_select_related = ["visitor", "site", "category", "room", "host"]
    search_fields = ["visitor__full_name", "visitor__company", "visitor__phone", "badge_code"]
    date_hierarchy = "registered_at"
    inlines = [VisitEventInline, AmendmentInline]


@admin.register(Visitor)
class VisitorAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "company", "created_at", "anonymised_at"]
    search_fields = ["full_name", "company", "phone", "email"]
    exclude = ["id_number"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "site", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["site", "action", "object_type"]
    list_select_related = ["site"]
    search_fields = ["actor_label", "object_id", "action"]
