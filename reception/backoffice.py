"""The back office's rules that hold for every admin page (issue #15).

Site scope (R1.1): an office manager works on their own site only — the site
of their staff profile (`request.site`, set by SiteMiddleware). Every list,
change page, action and form choice of a `SiteScopedAdmin` is limited to it;
another site's object is simply not there (the admin answers as for a missing
one). A superuser is the installation administrator and sees every site. An
account without a site sees nothing.

People (R3.1): wherever the back office names a staff member — a list
column, a read-only page, a choice in a form, the autocomplete's matches — it
says "Department-Name" (reception.models.staff_label), not the account name,
and the people pickers find them by real name, first or last name or account
name, in Latin or Chinese letters.

Audit (R6.4): an `AuditedAdmin` writes every add, change and delete of the
rules a site runs by (sites, categories and their escalation chains, rooms,
the roster, channels, kiosks) into the site's hash-chained audit trail, with
the fields' values before and after; secrets are masked.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from reception.models import Site, staff_label
from reception.security import client_ip
from visitors import audit


def site_of_request(request) -> Site | None:
    return getattr(request, "site", None)


# --- people as "Department-Name" (R3.1) --------------------------------------

# What staff_label reads of a user, joined to the user's row.
STAFF_LABEL_RELATED = "profile__department"


def names_a_person(db_field) -> bool:
    """A relation to a user account: shown as the person, "Department-Name"."""
    related = db_field.related_model if db_field.is_relation else None
    return related is not None and related._meta.label == settings.AUTH_USER_MODEL


def staff_column(path: str, description) -> Callable:
    """A list column or read-only field showing the user at `path` (such as
    "host" or "visit__host") as "Department-Name", or the admin's empty value. Join
    f"{path}__{STAFF_LABEL_RELATED}" (list_select_related) to keep it one query."""

    @admin.display(description=description, ordering=f"{path}__profile__real_name")
    def column(obj):
        for part in path.split("__"):
            obj = getattr(obj, part) if obj is not None else None
        return staff_label(obj) if obj is not None else None  # the admin's empty value

    column.__name__ = f"{path}_label"
    return column


class StaffAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete, labelling each match as its model admin's
    `autocomplete_label` says (the staff admin: "Department-Name"), else as
    Django does (str)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class ScopedChoicesMixin:
    """Form choices (foreign keys, many-to-many) limited to the user's site,
    by the rule of the related model's own admin, and staff named as
    "Department-Name" (R3.1). Works for inlines too."""

    def _scoped_choices(self, formfield, db_field, request):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if formfield is not None and isinstance(related_admin, SiteScopedAdmin):
            formfield.queryset = related_admin.limit_to_site(request, formfield.queryset)
        if formfield is not None and names_a_person(db_field):
            # A select lists every choice, an autocomplete its chosen one: by label.
            formfield.queryset = formfield.queryset.select_related(STAFF_LABEL_RELATED)
            formfield.label_from_instance = staff_label
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scoped_choices(formfield, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scoped_choices(formfield, db_field, request)


class SiteScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """An admin whose objects belong to one site, reached by `site_path`
    ("site", "visit__site", "pk" for the Site itself)."""

    site_path = "site"

    def limit_to_site(self, request, queryset: models.QuerySet) -> models.QuerySet:
        """`queryset` narrowed to the user's site; untouched for a superuser."""
        if request.user.is_superuser:
            return queryset
        site = site_of_request(request)
        if site is None:
            return queryset.none()
        return queryset.filter(**{self.site_path: site.pk})

    def get_queryset(self, request):
        # The change page, history, delete page, actions and autocomplete all
        # read through here, so another site's object is "not found" in each.
        return self.limit_to_site(request, super().get_queryset(request))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields
        # A page only to read shows each person as "Department-Name" (R3.1),
        # where Django would show the account name.
        return [self._person(name) for name in fields]

    def _person(self, name):
        try:
            field = self.model._meta.get_field(name) if isinstance(name, str) else None
        except FieldDoesNotExist:
            return name
        if field is None or not names_a_person(field) or field.many_to_many:
            return name
        return staff_column(name, field.verbose_name)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        # A related filter lists every row of the other table (every site's
        # rooms and categories); offer only those of the objects shown.
        return [self._related_only(spec) for spec in filters]

    def _related_only(self, spec):
        if not isinstance(spec, str):
            return spec
        try:
            field = get_fields_from_path(self.model, spec)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return spec
        return (spec, admin.RelatedOnlyFieldListFilter) if field.is_relation else spec

    def site_of(self, obj) -> Site:
        """The site an object belongs to, by `site_path`."""
        if self.site_path == "pk":
            return obj
        for part in self.site_path.split("__"):
            obj = getattr(obj, part)
        return obj


# --- the audit of rule changes -------------------------------------------------

HIDDEN = "(hidden)"


def mask_secret(value: Any) -> str:
    return HIDDEN if value else ""


def mask_url(value: Any) -> str:
    """Keep where a webhook goes (scheme and host), hide the key in its path and query."""
    if not value:
        return ""
    parts = urlsplit(str(value))
    return f"{parts.scheme}://{parts.netloc}/{HIDDEN}"


class AuditedAdmin(SiteScopedAdmin):
    """Every add, change and delete made here is an audit event of the object's
    site, `<model>.add|change|delete`, whose changes are
    {field: {"before": …, "after": …}} for the fields that changed."""

    # Fields the desk or the device updates by itself, not rules.
    audit_exclude: tuple[str, ...] = ()
    # Fields whose values never go into the trail, and how to show them.
    audit_masked: dict[str, Callable[[Any], str]] = {}

    def audit_snapshot(self, obj) -> dict[str, Any]:
        """The object's rule values as stored: foreign keys as ids,
        many-to-many as sorted ids."""
        values = {}
        for field in obj._meta.concrete_fields:
            if not field.primary_key and field.name not in self.audit_exclude:
                values[field.name] = field.value_from_object(obj)
        if obj.pk is not None:
            for field in obj._meta.many_to_many:
                values[field.name] = sorted(related.pk for related in field.value_from_object(obj))
        return values

    def audit_changes(self, before: dict, after: dict) -> dict[str, dict]:
        changes = {}
        for name in [*before, *(key for key in after if key not in before)]:
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            mask = self.audit_masked.get(name)
            if mask is not None:
                old, new = mask(old), mask(new)
                if old == new:
                    new = f"{new} (changed)"
            changes[name] = {"before": old, "after": new}
        return changes

    def audit(self, request, obj, verb: str, changes: dict, *, site: Site | None = None, pk=None) -> None:
        with transaction.atomic():
            audit.record(
                site=site or self.site_of(obj),
                actor=request.user,
                action=f"{obj._meta.model_name}.{verb}",
                object_type=obj._meta.label_lower,
                object_id=str(pk if pk is not None else obj.pk),
                changes=changes,
                client_address=client_ip(request),
            )

    def save_model(self, request, obj, form, change):
        if change:
            stored = self.model._base_manager.get(pk=obj.pk)
            request._audit_before = self.audit_snapshot(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # After the many-to-many fields and inlines are saved: the whole change.
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_audit_before", {}) if change else {}
        changes = self.audit_changes(before, self.audit_snapshot(obj))
        if changes or not change:
            self.audit(request, obj, "change" if change else "add", changes)

    def delete_model(self, request, obj):
        before, site, pk = self.audit_snapshot(obj), self.site_of(obj), obj.pk
        with transaction.atomic():
            super().delete_model(request, obj)
            self.audit(request, obj, "delete", self.audit_changes(before, {}), site=site, pk=pk)

    def delete_queryset(self, request, queryset):
        # One event per object, like the delete page; all or nothing.
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
