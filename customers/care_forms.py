"""Forms of customer care (R5, R9.3, R10.2-R10.3). They validate input only;
the rules live in customers.complaints and customers.followups."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from customers.forms import StaffChoiceField
from customers.models import (
    NOTES_MAX,
    ComplaintChannel,
    ComplaintSource,
    FeedbackKind,
    FollowUpMethod,
    FollowUpOrigin,
    Severity,
)
from reception.forms import TextField
from reception.models import Department
from reception.validators import FIRST_DAY, LAST_DAY


class DayField(forms.DateField):
    default_validators = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
    widget = forms.DateInput(attrs={"type": "date"})


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _departments():
    return Department.objects.order_by("name")


class ComplaintForm(forms.Form):
    """R5.1: the five clears as the desk hears them; a written complaint's
    scanned letter (R5.4)."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=ComplaintChannel.choices)
    source = forms.ChoiceField(label=_("Source"), choices=ComplaintSource.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    heard = TextField(label=_("What the customer said"), max_length=NOTES_MAX, widget=_area(4))
    asked = TextField(label=_("Clarifying answers"), max_length=NOTES_MAX, required=False, widget=_area())
    department = forms.ModelChoiceField(label=_("Responsible department"), queryset=None, required=False)
    handler = StaffChoiceField(label=_("Responsible person"), queryset=None, required=False)
    reply_by = DayField(label=_("Reply by"), required=False)
    letter = forms.FileField(
        label=_("Scanned letter"),
        required=False,
        help_text=_("Written complaints: PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    # Opened from a visit or a call (R5.1): which one, carried through the post.
    visit = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    call = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, customers, staff, visits, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["department"].queryset = _departments()
        self.fields["handler"].queryset = staff
        self.fields["visit"].queryset = visits
        self.fields["call"].queryset = calls


class RouteForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Responsible department"), queryset=None)
    handler = StaffChoiceField(label=_("Responsible person"), queryset=None, required=False)
    reply_by = DayField(label=_("Reply by"), required=False)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()
        self.fields["handler"].queryset = staff


class SupervisorForm(forms.Form):
    supervisor = StaffChoiceField(label=_("Supervisor"), queryset=None)
    promised_on = DayField(label=_("Date promised to the customer"))

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = staff


class ReplyForm(forms.Form):
    reply = TextField(label=_("Reply given"), max_length=NOTES_MAX, widget=_area())
    reply_letter = forms.FileField(
        label=_("Written reply"),
        required=False,
        help_text=_("Written complaints: PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class CloseForm(forms.Form):
    outcome = TextField(label=_("Outcome"), max_length=NOTES_MAX, widget=_area())


class ReopenForm(forms.Form):
    reason = TextField(label=_("Why it is reopened"), max_length=NOTES_MAX, widget=_area(2))


class FollowUpForm(forms.Form):
    """R10.2: a follow-up by hand; the due date defaults to the tier's interval."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    method = forms.ChoiceField(label=_("Method"), choices=FollowUpMethod.choices)
    due_on = DayField(label=_("Due on"), required=False, help_text=_("Empty: the customer's tier's interval."))
    # Scheduled from a visit or a call (R10.2), or by hand.
    origin = forms.ChoiceField(
        choices=[(value, label) for value, label in FollowUpOrigin.choices if value in {"visit", "call", "manual"}],
        required=False,
        widget=forms.HiddenInput,
    )

    def clean_origin(self) -> str:
        return self.cleaned_data["origin"] or FollowUpOrigin.MANUAL

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class FollowUpDoneForm(forms.Form):
    """R10.3: how the follow-up went."""

    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)]
    )
    shortcomings = TextField(label=_("Shortcomings raised"), max_length=NOTES_MAX, required=False, widget=_area())
    relationship_note = TextField(label=_("Relationship note"), max_length=NOTES_MAX, required=False, widget=_area())
    schedule_next = forms.BooleanField(label=_("Schedule the next follow-up"), required=False)
    next_due_on = DayField(label=_("Next one due on"), required=False)


class FeedbackForm(forms.Form):
    """R9.3: feedback or an after-sales request, routed."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackKind.choices)
    summary = TextField(label=_("Summary"), max_length=NOTES_MAX, widget=_area())
    department = forms.ModelChoiceField(label=_("Department"), queryset=None)
    owner = StaffChoiceField(label=_("Owner"), queryset=None)
    due_on = DayField(label=_("Due on"))

    def __init__(self, *args, customers, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["department"].queryset = _departments()
        self.fields["owner"].queryset = staff


class ResolveForm(forms.Form):
    resolution = TextField(label=_("How it was dealt with"), max_length=NOTES_MAX, widget=_area(2))
