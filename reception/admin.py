"""The office manager's back office. Every site-owned model is scoped to the
manager's site and every rule change is audited (reception/backoffice.py);
the few global models are listed in tests/reception/test_admin_scoping.py."""

import secrets

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from reception import api_tokens, rulebook
from reception.admin_users import StaffUserAdmin
from reception.backoffice import (
    AuditedAdmin,
    SiteScopedAdmin,
    StaffAutocompleteJsonView,
    mask_secret,
    mask_url,
    site_of_request,
)
from reception.forms import RosterEntryForm
from reception.models import (
    ApiScope,
    ApiToken,
    ChannelKind,
    Department,
    Duty,
    EscalationStep,
    Handover,
    Incident,
    KioskDevice,
    LostItem,
    NotificationChannel,
    ReceptionRoom,
    RosterEntry,
    RulesVersion,
    Site,
    StaffProfile,
    VisitorCategory,
    WebhookEvent,
    staff_label,
)
from reception.security import client_ip
from visitors import change_preview, links, rule_tester, webhooks
from visitors.escalation import Step
from visitors.models import Notification

admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffUserAdmin)
# The people pickers' matches read "Department-Name" (R3.1), not the account name.
admin.site.autocomplete_view = StaffAutocompleteJsonView.as_view(admin_site=admin.site)


# --- the change preview (issue #22 item 3) -------------------------------------------
# A change that would affect visits expected today or tomorrow is shown first
# (visitors.change_preview) and saved only once the manager ticks "confirm".

CONFIRM = "confirm_preview"


def _refuse_unconfirmed(impacts: list[str], data) -> None:
    if impacts and not data.get(CONFIRM):
        raise ValidationError(
            [
                _("For the visits expected today and tomorrow:"),
                *impacts,
                _("Tick “I have read what this changes” below and save again to make the change."),
            ]
        )


class PreviewedChangeForm(forms.ModelForm):
    confirm_preview = forms.BooleanField(
        label=_("I have read what this changes"),
        required=False,
        help_text=_("Asked only when the change affects visits expected today or tomorrow."),
    )

    def impacts(self, data: dict) -> list[str]:
        return []

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and not self.errors:
            _refuse_unconfirmed(self.impacts(data), self.data)
        return data


class SiteForm(PreviewedChangeForm):
    def impacts(self, data):
        starts, ends = data.get("night_starts"), data.get("night_ends")
        if starts is None or ends is None:
            return []
        return change_preview.night_window_change(self.instance, starts=starts, ends=ends)


class CategoryForm(PreviewedChangeForm):
    def impacts(self, data):
        minutes = data.get("ack_deadline_minutes")
        return [] if minutes is None else change_preview.deadline_change(self.instance, minutes=minutes)


class RoomForm(PreviewedChangeForm):
    def impacts(self, data):
        if data.get("capacity") is None:
            return []
        return change_preview.room_change(
            self.instance,
            categories=data.get("categories") or [],
            any_category=data.get("any_category", False),
            active=data.get("active", False),
            capacity=data["capacity"],
        )


class EscalationStepFormSet(BaseInlineFormSet):
    """The category's chain as it would be saved, previewed (R3.2)."""

    def clean(self):
        super().clean()
        if self.instance.pk is None or any(self.errors):
            return
        steps = [
            Step(form.cleaned_data["position"], form.cleaned_data["duty"].code, form.cleaned_data["delay_minutes"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("duty")
        ]
        _refuse_unconfirmed(change_preview.chain_change(self.instance, steps), self.data)


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    site_path = "pk"
    form = SiteForm
    list_display = ["name", "slug", "timezone", "night_starts", "night_ends", "retention_days", "kiosk_mode"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        # Each name and text in English and Chinese on one row (issue #16 item 14).
        (None, {"fields": [("name", "name_zh"), "slug", ("address", "address_zh"), "desk_phone", "timezone"]}),
        (_("Night duty (R6.8)"), {"fields": ["night_starts", "night_ends"]}),
        (_("Confirm"), {"fields": [CONFIRM]}),
        (_("Kiosk"), {"fields": ["kiosk_mode", "kiosk_night_mode"]}),
        (_("Capacity"), {"fields": ["max_visitors_per_day"]}),
        (_("Walk-ups"), {"fields": ["walk_ups_need_approval", "host_approval_minutes"]}),
        (
            _("Privacy"),
            {"fields": ["retention_days", "collect_id_numbers", ("privacy_notice_en", "privacy_notice_zh")]},
        ),
    ]

    def has_add_permission(self, request):
        # A new site is the installation administrator's: its office manager
        # could not see it anyway (issue #15).
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # A site's visit history is evidence; sites are retired, not deleted.
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    # Global: one list of departments serves every site. Office managers may
    # add one; renaming relabels staff everywhere (R3.1), so only the
    # installation administrator changes them (reception/roles.py).
    list_display = ["name"]
    search_fields = ["name"]
    fields = [("name", "name_zh")]


@admin.register(StaffProfile)
class StaffProfileAdmin(SiteScopedAdmin):
    list_display = ["label", "user", "site", "department", "work_phone"]
    list_filter = ["site", "department"]
    list_select_related = ["user", "site", "department"]
    search_fields = ["real_name", "user__username", "department__name"]
    autocomplete_fields = ["user", "department"]

    @admin.display(description=_("staff member (R3.1)"), ordering="real_name")
    def label(self, profile):
        return profile.label


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    formset = EscalationStepFormSet
    extra = 0
    fields = ["position", "duty", "delay_minutes"]
    # R3.2: what happens when a category has no steps (visitors.escalation.DEFAULT_CHAIN).
    verbose_name_plural = _(
        "escalation chain (none: the host and the secretary at the deadline, the office director 15 minutes later)"
    )


@admin.register(VisitorCategory)
class VisitorCategoryAdmin(AuditedAdmin):
    form = CategoryForm
    inlines = [EscalationStepInline]
    list_display = ["code", "name", "site", "ack_deadline_minutes", "escort_required", "notify_director_on_arrival"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["code", "name"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "site",
                    "code",
                    ("name", "name_zh"),
                    "description",
                    "ack_deadline_minutes",
                    "escort_required",
                    "notify_director_on_arrival",
                    "photo",
                ]
            },
        ),
        (_("Walk-ups"), {"fields": ["walk_ups_need_approval", "host_approval_minutes"]}),
        (_("Capacity"), {"fields": ["max_visitors_per_day"]}),
        (_("Confirm"), {"fields": [CONFIRM]}),
    ]

    def get_urls(self):
        tester = self.admin_site.admin_view(self.rule_tester_view)
        return [path("rule-tester/", tester, name="reception_rule_tester"), *super().get_urls()]

    def rule_tester_view(self, request):
        """Issue #22: "what happens if…", answered by the desk's own rules
        (visitors.rule_tester) for a site the user may see. Reads only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        own = site_of_request(request)
        sites = list(Site.objects.all()) if request.user.is_superuser else [own] if own else []
        form = rule_tester.RuleTesterForm(request.GET or None, sites=sites)
        verdict = None
        if form.is_valid():
            data = form.cleaned_data
            verdict = rule_tester.evaluate(
                site=data["site"],
                category=data["category"],
                host=data["host"],
                room=data["room"],
                at=form.moment(),
                party_size=data["party_size"],
                entry=data["entry"],
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Rule tester"),
            "form": form,
            "verdict": verdict,
            "refusal": verdict.refusal(form.cleaned_data["entry"]) if verdict else None,
        }
        return TemplateResponse(request, "admin/reception/rule_tester.html", context)

    def audit_snapshot(self, category):
        # The escalation chain (R3.2) is edited inline; its steps are part of
        # the category's rule, audited with it.
        values = super().audit_snapshot(category)
        if category.pk is not None:
            values["escalation_steps"] = [
                f"{step.position}. {step.duty.code} +{step.delay_minutes} min"
                for step in category.escalation_steps.select_related("duty").order_by("position")
            ]
        return values


@admin.register(ReceptionRoom)
class ReceptionRoomAdmin(AuditedAdmin):
    form = RoomForm
    list_display = ["name", "site", "capacity", "exclusive", "any_category", "allowed_categories", "active"]
    list_filter = ["site", "active", "exclusive", "any_category"]
    list_select_related = ["site"]
    search_fields = ["name"]
    filter_horizontal = ["categories"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "site",
                    ("name", "name_zh"),
                    "capacity",
                    "exclusive",
                    "categories",
                    "any_category",
                    "active",
                    "sort_order",
                ]
            },
        ),
        (_("Confirm"), {"fields": [CONFIRM]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    @admin.display(description=_("categories received"))
    def allowed_categories(self, room):
        if room.any_category:
            return _("any")
        return ", ".join(c.code for c in room.categories.all())


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    # Global: the duties of R1.5 are the same at every site; office managers
    # read them, the installation administrator edits their descriptions.
    list_display = ["__str__", "code", "group"]
    list_select_related = ["group"]
    readonly_fields = ["code", "group"]

    def has_add_permission(self, request):
        return False  # the duties of R1.5 are fixed; their groups are editable

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RosterEntry)
class RosterEntryAdmin(AuditedAdmin):
    list_display = ["duty", "user_label", "site", "starts_at", "ends_at", "note"]
    list_filter = ["site", "duty"]
    list_select_related = ["duty", "site", "user__profile__department"]
    search_fields = ["user__username", "user__profile__real_name", "note"]
    autocomplete_fields = ["user"]
    date_hierarchy = "starts_at"
    form = RosterEntryForm  # refuses the same person twice in one duty at once

    @admin.display(description=_("staff member"), ordering="user__profile__real_name")
    def user_label(self, entry):
        return str(entry.user.profile) if hasattr(entry.user, "profile") else entry.user.get_username()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for other in form.double_booked():
            messages.warning(
                request,
                _("%(name)s also holds %(duty)s in these hours (%(start)s–%(end)s).")
                % {
                    "name": staff_label(obj.user),
                    "duty": other.duty,
                    "start": formats.date_format(obj.site.local(other.starts_at), "Y-m-d H:i"),
                    "end": formats.date_format(obj.site.local(other.ends_at), "Y-m-d H:i"),
                },
            )


@admin.register(KioskDevice)
class KioskDeviceAdmin(AuditedAdmin):
    list_display = ["name", "site", "created_at", "last_seen_at", "revoked_at"]
    list_filter = ["site"]
    list_select_related = ["site"]
    search_fields = ["name"]
    readonly_fields = ["enrolment_link", "created_at", "last_seen_at"]
    actions = ["revoke"]
    audit_exclude = ("created_at", "last_seen_at")
    audit_masked = {"token": mask_secret}

    def save_model(self, request, obj, form, change):
        if not obj.token:
            obj.token = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("enrolment link"))
    def enrolment_link(self, device):
        """Opened once on the tablet, it makes that browser this kiosk (issue 4)."""
        if not device.token:
            return _("Save the kiosk to get its link.")
        if not device.active:
            return _("Revoked.")
        url = links.kiosk_enrolment_url(device)
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.action(description=_("Revoke the selected kiosks"))
    def revoke(self, request, queryset):
        now = timezone.now()
        # The changelist's queryset is already this site's; lock what we change.
        pks = list(queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        with transaction.atomic():
            for device in KioskDevice.objects.select_for_update().filter(pk__in=pks).select_related("site"):
                device.revoked_at = now
                device.save(update_fields=["revoked_at"])
                self.audit(request, device, "revoke", {"revoked_at": {"before": None, "after": now}})
        self.message_user(request, _("%(count)s kiosk(s) revoked.") % {"count": len(pks)})

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: visits keep pointing at the kiosk that made them


class NotificationChannelForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Generic webhooks only, with a signing secret: each is sent as signed JSON."),
    )

    class Meta:
        model = NotificationChannel
        # The admin adds the fieldsets' fields, with its https-first URL field.
        fields = ["events"]


# How many deliveries the channel's page lists; the notifications list has them all.
DELIVERIES_SHOWN = 10


@admin.register(NotificationChannel)
class NotificationChannelAdmin(AuditedAdmin):
    form = NotificationChannelForm
    list_display = ["name", "site", "kind", "on_arrival", "on_escalation", "event_list", "active"]
    audit_masked = {"url": mask_url, "secret": mask_secret}
    # A URL pasted without its scheme is meant as https, the only one allowed (issue #15).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["delivery_log"]
    fieldsets = [
        (
            None,
            {
                "fields": ["site", "name", "kind", "url", "secret", "active"],
                "description": _(
                    "Generic webhook: a JSON POST; with a secret, X-Lobby-Signature is sha256= the HMAC-SHA256 of "
                    "the X-Lobby-Timestamp, a dot and the body. WeCom robot: paste the webhook URL with its key; no "
                    "secret. DingTalk robot: paste the webhook URL with its access_token and, for the 加签 setting, "
                    "the SEC… secret."
                ),
            },
        ),
        (_("Tells about"), {"fields": ["on_arrival", "on_escalation"]}),
        (
            _("Events for integrations"),
            {
                "fields": ["events", "delivery_log"],
                "description": _(
                    "A generic webhook can subscribe to visit events: each is a signed JSON POST with the headers "
                    "X-Lobby-Event, X-Lobby-Timestamp and X-Lobby-Signature, retried with backoff when the receiver "
                    "fails. “Send test event” sends a ping."
                ),
            },
        ),
    ]
    list_filter = ["site", "kind", "active"]
    list_select_related = ["site"]
    search_fields = ["name"]
    actions = ["send_test_event"]

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/send-test-event/",
                self.admin_site.admin_view(self.send_test_event_view),
                name="reception_notificationchannel_test_event",
            )
        ]
        return own + super().get_urls()

    @admin.display(description=_("events"))
    def event_list(self, channel):
        return ", ".join(channel.events or []) or None  # the admin's empty value

    @admin.display(description=_("delivery log"))
    def delivery_log(self, channel):
        """The channel's latest deliveries, and a button to send a test event."""
        if channel.pk is None:
            return _("Save the channel first.")
        rows = (
            Notification.objects.filter(channel=channel)
            .only("created_at", "kind", "subject", "status", "attempts", "response_code", "last_error")
            .order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
        )
        lines = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    formats.localize(timezone.localtime(row.created_at)),
                    row.subject or row.get_kind_display(),
                    row.get_status_display(),
                    row.attempts,
                    row.response_code or "",
                    row.last_error,
                )
                for row in rows
            ),
        )
        everything = reverse("admin:visitors_notification_changelist") + f"?channel__id__exact={channel.pk}"
        button = reverse("admin:reception_notificationchannel_test_event", args=[channel.pk])
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>'
            '<p><button type="submit" formaction="{}" formmethod="post" formnovalidate class="button">{}</button></p>',
            _("created at"),
            _("event"),
            _("status"),
            _("attempts"),
            _("response code"),
            _("last error"),
            lines,
            everything,
            _("Every delivery of this channel"),
            button,
            _("Send test event"),
        )

    def _send_test(self, request, channels) -> None:
        for channel in channels:
            if channel.kind != ChannelKind.GENERIC:
                self.message_user(
                    request,
                    _("%(name)s is a chat robot; only a generic webhook receives events.") % {"name": channel.name},
                    level=messages.WARNING,
                )
                continue
            with transaction.atomic():
                row = webhooks.ping(channel)
                self.audit(request, channel, "test", {"event": webhooks.PING, "delivery": row.pk})
            self.message_user(
                request,
                _("A test event is on its way to %(name)s; its delivery log shows how it went.")
                % {"name": channel.name},
            )

    @admin.action(description=_("Send a test event to the selected channels"), permissions=["change"])
    def send_test_event(self, request, queryset):
        self._send_test(request, list(queryset.select_related("site")))

    def send_test_event_view(self, request, object_id):
        """The change page's "Send test event" button (POST, CSRF-checked by
        the admin view); another site's channel is not found."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        channel = self.get_object(request, object_id)
        if channel is None:
            raise Http404
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        self._send_test(request, [channel])
        return redirect("admin:reception_notificationchannel_change", channel.pk)


class RegisterAdmin(SiteScopedAdmin):
    """Registers are written at the desk with a who/when trail; the admin reads them."""

    list_select_related = ["site"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handover)
class HandoverAdmin(RegisterAdmin):
    list_display = ["__str__", "site", "written_at", "acknowledged_at"]
    list_filter = ["site"]
    date_hierarchy = "written_at"


@admin.register(LostItem)
class LostItemAdmin(RegisterAdmin):
    list_display = ["description", "site", "found_at", "found_where", "stored_where", "returned_at"]
    list_filter = ["site"]
    search_fields = ["description", "found_where", "returned_to"]
    date_hierarchy = "found_at"


@admin.register(Incident)
class IncidentAdmin(RegisterAdmin):
    list_display = ["__str__", "site", "kind", "occurred_at", "closed_at"]
    list_filter = ["site", "kind"]
    search_fields = ["description", "location"]
    date_hierarchy = "occurred_at"


@admin.register(RulesVersion)
class RulesVersionAdmin(SiteScopedAdmin):
    """The written rules (issue #22): a version is published once, through
    reception.rulebook (numbered, audited with its texts), then only read,
    with who has and has not acknowledged it. Nothing is deleted."""

    list_display = ["number", "site", "effective_from", "summary", "published_at", "acknowledged_count"]
    list_filter = ["site"]
    list_select_related = ["site"]
    fields = [
        "site",
        "effective_from",
        "summary",
        ("body_en", "body_zh"),
        ("house_rules_en", "house_rules_zh"),
        ("privacy_notice_en", "privacy_notice_zh"),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(acknowledged=models.Count("acknowledgements"))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is None else ["number", "published_at", "published_by_label", *fields, "readers"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["number", "published_at", "published_by_label", "readers"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        own = site_of_request(request)
        if own is not None:
            initial.setdefault("site", own.pk)  # the manager's own site, the one choice they have
        return initial

    def has_change_permission(self, request, obj=None):
        return False  # published versions are immutable: publish a new one

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        rulebook.publish_rules_version(version=obj, by=request.user, client_address=client_ip(request))

    @admin.display(description=_("acknowledged by"), ordering="acknowledged")
    def acknowledged_count(self, version):
        return version.acknowledged

    @admin.display(description=_("published by"))
    def published_by_label(self, version):
        return staff_label(version.published_by) if version.published_by else "—"

    @admin.display(description=_("who has read it"))
    def readers(self, version):
        read = {
            ack.user_id: ack
            for ack in version.acknowledgements.select_related("user__profile__department").order_by("acknowledged_at")
        }
        staff = (
            get_user_model()
            .objects.filter(is_active=True, profile__site=version.site_id)
            .exclude(pk__in=read)
            .select_related("profile__department")
            .order_by("profile__real_name")
        )
        done = format_html_join(
            "",
            "<li>{} · {}</li>",
            (
                (staff_label(ack.user), formats.date_format(version.site.local(ack.acknowledged_at), "Y-m-d H:i"))
                for ack in read.values()
            ),
        )
        waiting = format_html_join("", "<li>{}</li>", ((staff_label(user),) for user in staff))
        return format_html(
            '<p>{}</p><ul data-testid="acknowledged">{}</ul><p>{}</p><ul data-testid="not-acknowledged">{}</ul>',
            _("Acknowledged:"),
            done,
            _("Not yet acknowledged:"),
            waiting,
        )


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiToken
        fields = ["site", "name", "scopes", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Integrations' keys to /api/v1/ (issue #21). The secret is shown once, in
    the message after the token is added; only its digest is kept."""

    form = ApiTokenForm
    list_display = ["name", "site", "prefix", "scopes", "created_by", "created_at", "expires_at", "last_used_at"]
    list_filter = ["site", "revoked_at"]
    list_select_related = ["site", "created_by"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]
    audit_exclude = ("created_at", "last_used_at")
    audit_masked = {"digest": mask_secret}

    def save_model(self, request, obj, form, change):
        secret = None
        if not change:
            secret = api_tokens.issue(obj)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if secret is not None:
            self.message_user(
                request,
                _("The token for %(name)s is %(secret)s — copy it now: it is not shown again.")
                % {"name": obj.name, "secret": secret},
                level=messages.WARNING,
            )

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke(self, request, queryset):
        now = timezone.now()
        pks = list(queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        with transaction.atomic():
            for token in ApiToken.objects.select_for_update().filter(pk__in=pks).select_related("site"):
                token.revoked_at = now
                token.save(update_fields=["revoked_at"])
                self.audit(request, token, "revoke", {"revoked_at": {"before": None, "after": now}})
        self.message_user(request, _("%(count)s API token(s) revoked.") % {"count": len(pks)})

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail names the token
