"""Forms of the sales floor. They validate input only (reception.forms'
TextField and PhoneField: no control or direction characters, lengths within
the columns); the rules live in customers.services, rotation and calls."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import NOTES_MAX, CallTopic, Customer, Tier
from reception.forms import FilterDayField, LocalDateTimeField, PhoneField, TextField
from reception.models import staff_label
from reception.validators import ROSTER_SHIFT


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_label(obj)


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CustomerForm(forms.Form):
    """A customer's details (R10.1); the tier and salesperson only for those
    who may change a customer (the floor manager)."""

    name = TextField(label=_("Name"), max_length=120)
    company = TextField(label=_("Company"), max_length=120, required=False)
    phone = PhoneField(required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    notes = TextField(label=_("Notes"), max_length=NOTES_MAX, required=False, widget=_area())
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.GENERAL)
    owner = StaffChoiceField(label=_("Salesperson"), queryset=None, required=False, empty_label=_("None yet"))
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, keep two customers with this phone number"),
        required=False,
        help_text=_("Tick only if another customer really shares this number (a company's switchboard)."),
    )

    def __init__(self, *args, salespeople, may_set_tier: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = salespeople
        if not may_set_tier:
            del self.fields["tier"]
            del self.fields["owner"]


class LinkVisitForm(forms.Form):
    """Link a visit's visitor to a customer: the one matched, or a new one."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False)
    new_customer = forms.BooleanField(label=_("New customer from this visitor"), required=False)
    confirm_duplicate = forms.BooleanField(label=_("Yes, keep two customers with this phone number"), required=False)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("customer")) == bool(cleaned.get("new_customer")):
            raise forms.ValidationError(_("Choose a customer, or a new customer, not both."), code="choose_one")
        return cleaned


class NextForm(forms.Form):
    """The desk's "Next salesperson" for a customer on site (R2.1, R2.4)."""

    visit = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = TextField(label=_("Reason for passing to the rotation"), max_length=200, required=False)


class OverrideForm(forms.Form):
    """R2.3: the floor manager's out-of-turn assignment, with its reason."""

    visit = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    salesperson = StaffChoiceField(label=_("Salesperson"), queryset=None)
    reason = TextField(label=_("Reason"), max_length=200)

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople


class AwayForm(forms.Form):
    user = StaffChoiceField(label=_("Salesperson"), queryset=None)
    reason = TextField(label=_("Reason"), max_length=200)
    until = LocalDateTimeField(label=_("Until"), moments=ROSTER_SHIFT, required=False)

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = salespeople


class CallForm(forms.Form):
    """R2.5, R9.2: the call, logged in a few seconds; the receiver is the one
    asked for, else whoever's turn it is."""

    caller = TextField(label=_("Caller"), max_length=120)
    phone = PhoneField(required=False)
    topic = forms.ChoiceField(label=_("Topic"), choices=CallTopic.choices, initial=CallTopic.ENQUIRY)
    asked_for = StaffChoiceField(
        label=_("Asked for"), queryset=None, required=False, empty_label=_("Nobody: whoever's turn it is")
    )
    new_customer = forms.BooleanField(
        label=_("New customer"), required=False, help_text=_("Unless the phone or name matches a customer already.")
    )
    notes = TextField(label=_("Notes"), max_length=NOTES_MAX, required=False, widget=_area(2))

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asked_for"].queryset = salespeople


class CallFilterForm(forms.Form):
    """Filters of the call log and its export; bad values are reported and
    left out; days far out of range are clamped (FilterDayField)."""

    q = TextField(label=_("Search"), max_length=120, required=False)
    date_from = FilterDayField(label=_("From"), required=False)
    date_to = FilterDayField(label=_("To"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), choices=[("", _("All")), *CallTopic.choices], required=False)
    receiver = StaffChoiceField(label=_("Receiver"), queryset=None, required=False, empty_label=_("All"))

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiver"].queryset = salespeople

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
            cleaned.pop("date_to", None)
        return cleaned


class FairnessForm(forms.Form):
    PERIODS = [("day", _("Day")), ("week", _("Week"))]
    day = FilterDayField(label=_("Day"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
