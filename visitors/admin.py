"""Visit history in the admin is read-only: registrations are never altered
(R6.4) and nobody deletes them; corrections are amendments. Each list is
limited to the office manager's site (reception/backoffice.py, issue #15)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reception.backoffice import STAFF_LABEL_RELATED, AuditedAdmin, SiteScopedAdmin, site_of_request, staff_column
from reception.security import client_ip
from visitors import agreements, privacy, watchlist
from visitors.models import (
    Agreement,
    AgreementVersion,
    Amendment,
    AuditEvent,
    Invitation,
    Notification,
    SecurityHold,
    SignedAgreement,
    Visit,
    VisitEvent,
    Visitor,
    WatchlistEntry,
)


class ReadOnlyAdmin(SiteScopedAdmin):
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
    fields = ["kind", "at", staff_column("by", _("by")), "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(f"by__{STAFF_LABEL_RELATED}")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AmendmentInline(VisitEventInline):
    model = Amendment
    fields = ["field", "old_value", "new_value", "reason", staff_column("by", _("by")), "at"]
    readonly_fields = fields


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = [
        "visitor",
        "site",
        "category",
        "room",
        staff_column("host", _("host")),
        "status",
        "expected_at",
        "checked_in_at",
        "checked_out_at",
    ]
    list_filter = ["site", "status", "category", "room", "source", "night_registration", "legal_hold"]
    list_select_related = ["visitor", "site", "category", "room", f"host__{STAFF_LABEL_RELATED}"]
    search_fields = ["visitor__full_name", "visitor__company", "visitor__phone", "badge_code"]
    date_hierarchy = "registered_at"
    inlines = [VisitEventInline, AmendmentInline]
    actions = ["place_legal_hold", "release_legal_hold"]

    # A legal hold keeps the visitor's identity past retention and blocks
    # erasure; the one who decides erasure decides holds. Audited per visit.
    def has_legal_hold_permission(self, request):
        return request.user.has_perm("visitors.erase_visitor")

    def _legal_hold(self, request, queryset, *, hold: bool):
        address = client_ip(request)
        for visit in queryset:
            privacy.set_legal_hold(visit=visit, hold=hold, by=request.user, client_address=address)
        self.message_user(request, _("Legal hold updated on %(count)s visit(s).") % {"count": len(queryset)})

    @admin.action(description=_("Place on legal hold"), permissions=["legal_hold"])
    def place_legal_hold(self, request, queryset):
        self._legal_hold(request, queryset, hold=True)

    @admin.action(description=_("Release the legal hold"), permissions=["legal_hold"])
    def release_legal_hold(self, request, queryset):
        self._legal_hold(request, queryset, hold=False)


@admin.register(Visitor)
class VisitorAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "company", "created_at", "anonymised_at"]
    search_fields = ["full_name", "company", "phone", "email"]
    exclude = ["id_number"]
    readonly_fields = ["erasure"]

    def limit_to_site(self, request, queryset):
        # A visitor has no site of their own: a site sees those with a visit there.
        if request.user.is_superuser:
            return queryset
        site = site_of_request(request)
        return queryset.none() if site is None else queryset.for_site(site)

    @admin.display(description=_("Erasure on request"))
    def erasure(self, obj):
        if obj.anonymised_at:
            return _("Anonymised")
        return format_html(
            '<a href="{}">{}</a>', reverse("visitors:erase", args=[obj.pk]), _("Erase this visitor's identity…")
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "site", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["site", "action", "object_type"]
    list_select_related = ["site"]
    search_fields = ["actor_label", "object_id", "action"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Every arrival notice, escalation, invitation email and webhook event
    (issue #21) with its delivery state: the delivery log, read-only and of
    the manager's own site. The worker and `manage.py escalate_overdue` retry
    failed ones."""

    list_display = [
        "created_at",
        "site",
        "kind",
        "subject",
        "step",
        "address",
        "status",
        "attempts",
        "response_code",
        "sent_at",
        "last_error",
    ]
    list_filter = ["site", "kind", "status", "channel"]
    list_select_related = ["site"]
    search_fields = ["address", "subject", "last_error", "dedupe_key"]
    date_hierarchy = "created_at"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    site_path = "visit__site"
    list_display = [
        "code",
        "visit",
        staff_column("created_by", _("invited by")),
        "created_at",
        "expires_at",
        "sent_at",
        "confirmed_at",
    ]
    list_filter = ["visit__site"]
    list_select_related = ["visit__visitor", f"created_by__{STAFF_LABEL_RELATED}"]
    search_fields = ["code", "email", "visit__visitor__full_name"]
    date_hierarchy = "created_at"


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(AuditedAdmin):
    """Issue #19: the site's watchlist, kept by security and the office manager
    (no other role holds its permissions). Every change is audited; the keys a
    visitor is matched by are rebuilt with it."""

    list_display = [
        "name",
        "site",
        "company",
        "level",
        "expires_at",
        staff_column("added_by", _("added by")),
        "added_at",
    ]
    list_filter = ["site", "level"]
    list_select_related = ["site", f"added_by__{STAFF_LABEL_RELATED}"]
    search_fields = ["name", "aliases", "company", "phone", "email"]
    fields = ["site", "name", "aliases", "phone", "email", "company", "id_fragment", "reason", "level", "expires_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        watchlist.index_entry(obj)


@admin.register(SecurityHold)
class SecurityHoldAdmin(ReadOnlyAdmin):
    """Issue #19: the visits the watchlist held and security's decisions."""

    list_display = [
        "visit",
        "site",
        "entry",
        "held_at",
        "outcome",
        staff_column("decided_by", _("decided by")),
        "reason",
    ]
    list_filter = ["site", "outcome"]
    list_select_related = ["visit__visitor", "site", "entry", f"decided_by__{STAFF_LABEL_RELATED}"]


# --- agreements (issue #19, A12) ----------------------------------------------------


class AgreementForm(forms.ModelForm):
    """The agreement's settings, and the words of its current version: changed
    words are published as a new version (visitors.agreements.publish_version);
    the versions already signed stay as they were."""

    title_en = forms.CharField(label=_("title (English)"), max_length=150)
    title_zh = forms.CharField(label=_("title (Simplified Chinese)"), max_length=150)
    text_en = forms.CharField(label=_("text (English)"), widget=forms.Textarea, max_length=20000)
    text_zh = forms.CharField(label=_("text (Simplified Chinese)"), widget=forms.Textarea, max_length=20000)

    class Meta:
        model = Agreement
        fields = ["site", "category", "kind", "validity_days", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = self.instance.versions.order_by("-number").first() if self.instance.pk else None
        if latest is not None:
            for name in ("title_en", "title_zh", "text_en", "text_zh"):
                self.fields[name].initial = getattr(latest, name)

    def clean(self):
        data = super().clean()
        for name in ("title_en", "title_zh", "text_en", "text_zh"):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, _("The text contains invalid characters."))
        category, site = data.get("category"), data.get("site")
        if category is not None and site is not None and category.site_id != site.pk:
            self.add_error("category", _("Choose a category of this site."))
        return data


class AgreementVersionInline(admin.TabularInline):
    """Every version, as it was written: read only."""

    model = AgreementVersion
    extra = 0
    can_delete = False
    fields = ["number", "title_en", "title_zh", "written_at", staff_column("written_by", _("written by"))]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(f"written_by__{STAFF_LABEL_RELATED}")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(AuditedAdmin):
    """Issue #19: the agreements visitors sign, per site and category, written
    by the office manager. Settings changes are audited as for every rule; new
    words are a new version, audited by the service. Never deleted: signed
    copies refer to them (switch one off with "asked on arrival")."""

    form = AgreementForm
    inlines = [AgreementVersionInline]
    list_display = ["kind", "category", "site", "validity_days", "active"]
    list_filter = ["site", "kind", "active"]
    list_select_related = ["site", "category"]
    fields = ["site", "category", "kind", "validity_days", "active", "title_en", "title_zh", "text_en", "text_zh"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        data = form.cleaned_data
        agreements.publish_version(
            agreement=form.instance,
            title_en=data["title_en"],
            title_zh=data["title_zh"],
            text_en=data["text_en"],
            text_zh=data["text_zh"],
            by=request.user,
        )


@admin.register(SignedAgreement)
class SignedAgreementAdmin(ReadOnlyAdmin):
    """Issue #19: who signed which version on which visit (the copies
    themselves are downloaded from the visit page)."""

    list_display = ["version", "signed_name", "visit", "site", "signed_at"]
    list_filter = ["site"]
    list_select_related = ["version", "visit", "site"]
    fields = ["site", "visit", "version", "signed_name", "language", "signed_at"]
