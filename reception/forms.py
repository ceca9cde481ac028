"""Forms of the desk's registers, the handover and the roster and report pages.

They validate input only; the rules live in reception.registers. TextField,
PhoneField, LocalDateTimeField and FilterDayField are the free-text, phone,
date-and-time and date-filter fields of every form, here and in visitors: a
length limit or a range, and reception.validators' one rule for each kind of
input, so PostgreSQL never sees what it would reject and the registers stay legible.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from reception.models import IncidentKind, RosterEntry, StaffProfile, staff_label
from reception.validators import (
    FIRST_DAY,
    LAST_DAY,
    REGISTER_ENTRY,
    ROSTER_SHIFT,
    Moments,
    validate_line_of_text,
    validate_phone,
    validate_text,
)

NOTE_MAX = 1000
TEXT_MAX = 4000


class TextField(forms.CharField):
    """Free text for every form of the desk, kiosk and admin (reception.validators):
    no control or text-direction characters; tabs and line breaks only where
    the widget is a textarea, since a one-line input cannot show them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        multiline = isinstance(self.widget, forms.Textarea)
        self.validators.append(validate_text if multiline else validate_line_of_text)


class PhoneField(TextField):
    """A visitor's or a site's phone number, on every form that asks for one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Phone"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.validators.append(validate_phone)


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed on the site's wall clock (the middleware activates
    the site's time zone, so the value is read in it), within the range its
    kind of moment allows (reception.validators.Moments), which the service
    checks again."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, *, moments: Moments, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(moments)


class HandoverForm(forms.Form):
    open_items = TextField(
        label=_("Open items"),
        max_length=TEXT_MAX,
        required=False,
        widget=_area(4),
        help_text=_("What the next shift must follow up: expected visitors, pending calls, promises made."),
    )
    incidents = TextField(
        label=_("Incidents"),
        max_length=TEXT_MAX,
        required=False,
        widget=_area(),
        help_text=_("Anything that went wrong. Record damage and rest-area problems in the incident register too."),
    )
    keys_and_items = TextField(
        label=_("Keys and items handed over"), max_length=TEXT_MAX, required=False, widget=_area()
    )


class LostItemForm(forms.Form):
    description = TextField(label=_("Item"), max_length=200)
    found_at = LocalDateTimeField(label=_("Found at"), moments=REGISTER_ENTRY)
    found_where = TextField(label=_("Found where"), max_length=120)
    found_by = TextField(label=_("Found by"), max_length=120)
    stored_where = TextField(label=_("Stored where"), max_length=120)


class ReturnLostItemForm(forms.Form):
    returned_to = TextField(
        label=_("Returned to"), max_length=120, help_text=_("The owner's name, and their ID or phone if known.")
    )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Category"), choices=IncidentKind.choices)
    description = TextField(label=_("Description"), max_length=TEXT_MAX, widget=_area(4))
    location = TextField(label=_("Where"), max_length=120, required=False)
    occurred_at = LocalDateTimeField(label=_("When"), moments=REGISTER_ENTRY)


class FollowUpForm(forms.Form):
    note = TextField(label=_("Follow-up"), max_length=NOTE_MAX, widget=_area(2))


class CloseIncidentForm(forms.Form):
    note = TextField(label=_("How it ended"), max_length=NOTE_MAX, required=False, widget=_area(2))


class _DayField(forms.DateField):
    """A day from the address bar that picks one page (a week, a morning):
    outside FIRST_DAY..LAST_DAY it is a typing mistake, and reported."""

    default_validators = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
    widget = forms.DateInput(attrs={"type": "date"})


class FilterDayField(forms.DateField):
    """A day bounding a filter (the log's and the export's from and to): a day
    outside FIRST_DAY..LAST_DAY is moved to the nearer end, since "from year 1"
    or "up to 9999" means "everything", and a day past the range would
    overflow when it is turned into the site's midnight (issue #15)."""

    widget = forms.DateInput(attrs={"type": "date"})

    def clean(self, value):
        day = super().clean(value)
        return day if day is None else min(max(day, FIRST_DAY), LAST_DAY)


class WeekForm(forms.Form):
    """?week=YYYY-MM-DD on the roster page: any day of the week to show."""

    week = _DayField(label=_("Week of"), required=False)


class ReportDayForm(forms.Form):
    """?date=YYYY-MM-DD on the morning report: the morning the night ended."""

    date = _DayField(label=_("Morning of"), required=False)


class RosterEntryForm(forms.ModelForm):
    """The office manager's roster entry (admin). Refuses a second entry of the
    same person in the same duty at the same time, and someone from another
    site; `double_booked()` lists the person's other duties in the same hours."""

    class Meta:
        model = RosterEntry
        fields = ["site", "duty", "user", "starts_at", "ends_at", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin keeps its own date and time widgets; the range is the desk's.
        for name in ("starts_at", "ends_at"):
            self.fields[name].validators.append(ROSTER_SHIFT)

    def clean(self):
        cleaned = super().clean()
        site, duty, user = cleaned.get("site"), cleaned.get("duty"), cleaned.get("user")
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if site and user:
            try:
                home = user.profile.site
            except StaffProfile.DoesNotExist:
                home = None
            if home != site:
                self.add_error(
                    "user", _("%(name)s does not work at %(site)s.") % {"name": staff_label(user), "site": site}
                )
        if not (site and duty and user and starts and ends) or ends <= starts:
            return cleaned
        clash = self._overlapping(site, user, starts, ends).filter(duty=duty).first()
        if clash is not None:
            raise ValidationError(
                _("%(name)s already holds this duty from %(start)s to %(end)s; change that entry instead.")
                % {
                    "name": staff_label(user),
                    "start": formats.date_format(site.local(clash.starts_at), "Y-m-d H:i"),
                    "end": formats.date_format(site.local(clash.ends_at), "Y-m-d H:i"),
                },
                code="roster_overlap",
            )
        return cleaned

    def _overlapping(self, site, user, starts, ends):
        entries = RosterEntry.objects.filter(site=site, user=user).overlapping(starts, ends)
        return entries.exclude(pk=self.instance.pk) if self.instance.pk else entries

    def double_booked(self) -> list[RosterEntry]:
        data = self.cleaned_data
        return list(
            self._overlapping(data["site"], data["user"], data["starts_at"], data["ends_at"])
            .exclude(duty=data["duty"])
            .select_related("duty")
        )


class _CheckedUsername:
    """Django's sign-in form limits the username's length only in the widget;
    a longer one went on to the lockout log (a varchar(255)) and failed there
    on PostgreSQL. Refuse it as a form error before anything is authenticated
    or recorded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length or 150))


class SignInForm(_CheckedUsername, AuthenticationForm):
    pass


class AdminSignInForm(_CheckedUsername, AdminAuthenticationForm):
    pass
