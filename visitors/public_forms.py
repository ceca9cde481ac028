"""Forms of the public side (kiosk, invitation pages) and the staff's
invitation form.

Every text field has a max_length no longer than its column and refuses NUL and
other control characters with a message: PostgreSQL raises DataError on those
where SQLite would silently store them (../shared/notes/dependencies.md).
"""

import re
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from reception.models import ReceptionRoom, Site, staff_label
from visitors import invitations, kiosk

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")


def no_control_characters(value: str) -> None:
    # NUL has Django's own message (ProhibitNullCharactersValidator).
    if any(unicodedata.category(char) in {"Cc", "Cs"} and char != "\x00" for char in value or ""):
        raise ValidationError(_("Please remove special characters such as tabs or line breaks."), code="control")


class TextField(forms.CharField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.append(no_control_characters)


def phone_field(required: bool) -> forms.CharField:
    return TextField(
        label=_("Phone"),
        max_length=40,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


def clean_phone(value: str) -> str:
    if value and not _PHONE.match(value):
        raise ValidationError(_("Enter a phone number: digits, spaces, brackets, dashes and a leading +."))
    return value


def privacy_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("I have read the privacy notice and agree to it."),
        required=True,
        error_messages={"required": _("Please read and accept the privacy notice.")},
    )


def _off(**attrs):
    # A kiosk is shared: the browser must not remember one visitor's answers
    # and offer them to the next.
    return forms.TextInput(attrs={"autocomplete": "off", **attrs})


class SubmissionKeyField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(widget=forms.HiddenInput, max_length=64, **kwargs)


class ConfirmDetailsForm(forms.Form):
    """The invited visitor confirms or completes their details (on a phone)."""

    full_name = TextField(label=_("Full name"), max_length=120, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    company = TextField(
        label=_("Company"), max_length=120, required=False, widget=forms.TextInput(attrs={"autocomplete": "org"})
    )
    phone = phone_field(required=False)
    accept_privacy = privacy_field()

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


class WalkInForm(forms.Form):
    """A walk-in registers themself at the kiosk."""

    full_name = TextField(label=_("Your full name"), max_length=120, widget=_off())
    company = TextField(label=_("Company"), max_length=120, required=False, widget=_off())
    phone = phone_field(required=True)
    party_size = forms.IntegerField(
        label=_("How many of you?"),
        min_value=1,
        max_value=10,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    host_search = forms.CharField(
        label=_("Who are you visiting?"),
        required=False,
        max_length=40,
        help_text=_("Type at least three letters of their name."),
        widget=_off(type="search"),
    )
    host = forms.CharField(max_length=200, error_messages={"required": _("Choose who you are visiting.")})
    accept_privacy = privacy_field()
    submission_key = SubmissionKeyField()

    def __init__(self, *args, site: Site, **kwargs):
        self.site = site
        super().__init__(*args, **kwargs)

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean_host(self):
        host = kiosk.host_from_token(self.site, self.cleaned_data["host"])
        if host is None:
            raise ValidationError(_("Choose who you are visiting from the list."))
        return host

    def host_choice(self) -> tuple[str, str] | None:
        """The chosen host's (token, label), to show it again after an error."""
        token = self.data.get("host", "") if self.is_bound else ""
        host = kiosk.host_from_token(self.site, token) if token and len(token) <= 200 else None
        return (token, staff_label(host)) if host else None


class CodeForm(forms.Form):
    """An invited visitor checks in with the short code (or by scanning the QR)."""

    code = TextField(
        label=_("Invitation code"),
        max_length=64,
        widget=_off(autocapitalize="characters", spellcheck="false", autofocus=True),
    )
    accept_privacy = forms.BooleanField(label=_("I have read the privacy notice and agree to it."), required=False)
    submission_key = SubmissionKeyField(required=False)

    def clean_code(self):
        code = invitations.normalise_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("An invitation code has 8 letters and digits, as in your email."))
        return code


class CheckOutForm(forms.Form):
    badge_code = TextField(
        label=_("Badge code"),
        max_length=64,
        widget=_off(autocapitalize="characters", spellcheck="false", autofocus=True),
    )

    def clean_badge_code(self):
        code = invitations.normalise_code(self.cleaned_data["badge_code"])
        if code is None:
            raise ValidationError(_("The badge code has 8 letters and digits; it is printed on your badge."))
        return code


class DeskCodeForm(forms.Form):
    """The desk checks an invited visitor in by code or by scanning the QR."""

    code = TextField(label=_("Invitation code"), max_length=64, widget=_off(autofocus=True))

    def clean_code(self):
        code = invitations.normalise_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("An invitation code has 8 letters and digits."))
        return code


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return staff_label(user)


class InvitationForm(forms.Form):
    """A host, clerk or secretary invites a visitor (pre-registration)."""

    full_name = TextField(label=_("Visitor's full name"), max_length=120)
    email = forms.EmailField(label=_("Visitor's email"), max_length=254)
    company = TextField(label=_("Company"), max_length=120, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    host = StaffChoiceField(label=_("Host"), queryset=None)
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, required=False, empty_label=_("Decide on arrival"))
    expected_at = forms.DateTimeField(
        label=_("Expected at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    expected_until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    purpose = TextField(label=_("Purpose"), max_length=200)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=50, initial=1)

    def __init__(self, *args, site: Site, user, choose_host: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = site.categories.all()
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site=site, active=True)
        users = get_user_model().objects.filter(is_active=True, profile__site=site)
        self.fields["host"].queryset = users.select_related("profile__department").order_by(
            "profile__department__name", "profile__real_name"
        )
        self.fields["host"].initial = user.pk
        if not choose_host:
            del self.fields["host"]  # a host invites their own visitors
