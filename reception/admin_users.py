"""Staff accounts in the back office (issue #15).

An office manager creates staff of their own site and gives them the duties
Lobby defines (reception/roles.py DUTY_GROUPS), nothing more: no staff or
superuser status, no individual permissions, no other group, not their own
duties. They see and edit the accounts whose staff profile is at their site,
except superusers and other back-office (staff status) accounts, which are the
installation administrator's. A superuser keeps Django's full user admin.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reception.backoffice import STAFF_LABEL_RELATED, ScopedChoicesMixin, SiteScopedAdmin, site_of_request
from reception.models import StaffProfile, staff_label
from reception.roles import DUTY_GROUPS


def duty_groups():
    return Group.objects.filter(name__in=DUTY_GROUPS.values())


class StaffProfileInline(ScopedChoicesMixin, admin.StackedInline):
    """The account's site and R3.1 label, made with the account: an office
    manager's new staff are at the manager's site."""

    model = StaffProfile
    can_delete = False
    max_num = 1

    def get_fields(self, request, obj=None):
        fields = ["real_name", "department", "work_phone"]
        return ["site", *fields] if request.user.is_superuser else fields

    def get_min_num(self, request, obj=None, **kwargs):
        # Without a profile an account has no site, and its manager could not
        # find it again; the installation administrator's own accounts may.
        return 0 if request.user.is_superuser else 1

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("validate_min", not request.user.is_superuser)
        return super().get_formset(request, obj, **kwargs)


class StaffUserAdmin(SiteScopedAdmin, UserAdmin):
    site_path = "profile__site"
    inlines = [StaffProfileInline]
    # The people pickers (roster, profiles) search here: "Liu Yang" or "刘洋"
    # finds the person by real name, first or last name, account name or
    # department, and each match reads "Department-Name" (R3.1).
    search_fields = ["username", "first_name", "last_name", "email", "profile__real_name", "profile__department__name"]
    list_display = ["username", "label", "email", "is_staff"]
    list_select_related = [STAFF_LABEL_RELATED]
    autocomplete_label = staticmethod(staff_label)

    @admin.display(description=_("staff member (R3.1)"), ordering="profile__real_name")
    def label(self, user):
        return staff_label(user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.select_related(STAFF_LABEL_RELATED), may_have_duplicates

    manager_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Duties"), {"fields": ("is_active", "groups", "is_staff")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        return users.filter(Q(is_superuser=False, is_staff=False) | Q(pk=request.user.pk))

    def has_add_permission(self, request):
        site_known = request.user.is_superuser or site_of_request(request) is not None
        return site_known and super().has_add_permission(request)

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.manager_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        readonly = ["is_staff", "last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["is_active", "groups"]  # nobody widens or ends their own duties
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and not request.user.is_superuser:
            formfield.queryset = duty_groups()
        return formfield

    def save_related(self, request, form, formsets, change):
        # The form offers duty groups only; a group the installation
        # administrator gave stays.
        kept = []
        if change and not request.user.is_superuser:
            kept = list(form.instance.groups.exclude(pk__in=duty_groups()))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffProfile or request.user.is_superuser:
            return super().save_formset(request, form, formset, change)
        for profile in formset.save(commit=False):
            if profile.site_id is None:
                profile.site = site_of_request(request)
            profile.save()
        formset.save_m2m()
