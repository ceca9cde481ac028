"""Forms of the public side (kiosk, invitation pages) and the staff's
invitation form.

Every text field has a max_length no longer than its column and refuses NUL,
control and text-direction characters with a message (reception.validators,
the same rules as the desk's): PostgreSQL raises DataError on some of those
where SQLite would silently store them (docs/dependencies.md). The
visitor's own details come from visitors.forms.VisitorDetailsForm.
"""

from datetime import datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reception.forms import LocalDateTimeField, TextField
from reception.models import ReceptionRoom, Site, staff_label
from reception.validators import EXPECTED_VISIT
from visitors import invitations, kiosk
from visitors.forms import ArrivalForm, VisitorDetailsForm, chosen, invitation_room_choices

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


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


class ConfirmDetailsForm(VisitorDetailsForm):
    """The invited visitor confirms or completes their details (on a phone)."""

    accept_privacy = privacy_field()

    def __init__(self, *args, privacy_accepted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Once accepted, the consent stands (visitors.privacy.record_consent):
        # the page says when, and a correction of the details asks nothing again.
        self.privacy_accepted = privacy_accepted
        if privacy_accepted:
            del self.fields["accept_privacy"]
        # Their own phone may fill in their own name; the phone number is typed.
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["company"].widget.attrs["autocomplete"] = "organization"
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    @property
    def accepts_privacy(self) -> bool:
        return self.privacy_accepted or self.cleaned_data["accept_privacy"]


class WalkInForm(VisitorDetailsForm):
    """A walk-in registers themself at the kiosk."""

    phone_required = True

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
        self.fields["full_name"].label = _("Your full name")
        for name in ("full_name", "company", "phone"):
            self.fields[name].widget.attrs["autocomplete"] = "off"  # see _off()
        self.fields["phone"].widget.attrs["inputmode"] = "tel"

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


class DeskCodeForm(ArrivalForm):
    """The desk checks an invited visitor in by code or by scanning the QR,
    with the room if the invitation left it open, and at night the night
    facts (ArrivalForm)."""

    code = TextField(label=_("Invitation code"), max_length=64, widget=_off(autofocus=True))
    field_order = ["code"]

    def clean_code(self):
        code = invitations.normalise_code(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("An invitation code has 8 letters and digits."))
        return code


def next_half_hour(site: Site, now: datetime | None = None) -> datetime:
    """The next full or half hour after `now` on the site's wall clock: the
    time an invitation made now most likely names."""
    local = timezone.localtime(now or timezone.now(), site.tzinfo).replace(second=0, microsecond=0)
    return local.replace(minute=local.minute // 30 * 30) + timedelta(minutes=30)


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
    expected_at = LocalDateTimeField(
        label=_("Expected at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        moments=EXPECTED_VISIT,
    )
    expected_until = LocalDateTimeField(
        label=_("Until"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        moments=EXPECTED_VISIT,
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
        self.fields["expected_at"].initial = next_half_hour(site)
        # The rooms offered follow the category and the party size (htmx, as on
        # the walk-in form); any active room still validates, so a refused one
        # reaches the service and comes back with its reason (R1.3).
        rooms = {
            "hx-get": reverse("public:invite_rooms"),
            "hx-trigger": "change",
            "hx-target": "#id_room",
            "hx-include": "[name=category],[name=party_size],[name=room]",
        }
        self.fields["category"].widget.attrs.update(rooms)
        self.fields["party_size"].widget.attrs.update(rooms)
        self.rooms_offered = invitation_room_choices(chosen(self, "category"), chosen(self, "party_size") or 1)
        self.fields["room"].widget.choices = [("", _("Decide on arrival")), *self.rooms_offered]
