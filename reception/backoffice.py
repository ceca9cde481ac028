"""The back office's rules that hold for every admin page (issue #15).

Site scope (R1.1): an office manager works on their own site only — the site
of their staff profile (`request.site`, set by SiteMiddleware). Every list,
change page, action and form choice of a `SiteScopedAdmin` is limited to it;
another site's object is simply not there (the admin answers as for a missing
one). A superuser is the installation administrator and sees every site. An
account without a site sees nothing.
"""

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from reception.models import Site


def site_of_request(request) -> Site | None:
    return getattr(request, "site", None)


class ScopedChoicesMixin:
    """Form choices (foreign keys, many-to-many) limited to the user's site,
    by the rule of the related model's own admin. Works for inlines too."""

    def _scoped_choices(self, formfield, db_field, request):
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if formfield is not None and isinstance(related_admin, SiteScopedAdmin):
            formfield.queryset = related_admin.limit_to_site(request, formfield.queryset)
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
