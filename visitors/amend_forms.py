"""Forms of the audit and privacy pages. They validate input; the rules (which
fields are amendable, R1.3 rooms, legal hold) live in visitors.amendments and
visitors.privacy, whose refusals the views turn into form errors."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reception.forms import LocalDateTimeField, PhoneField, TextField
from reception.models import Department, ReceptionRoom, VisitorCategory
from reception.validators import EXPECTED_VISIT
from visitors.forms import HostChoiceField
from visitors.models import IdType, Visit

# Form field name → amendable name in visitors.amendments.AMENDABLE_FIELDS.
VISITOR_FIELDS = {
    "visitor_full_name": "visitor.full_name",
    "visitor_company": "visitor.company",
    "visitor_phone": "visitor.phone",
    "visitor_email": "visitor.email",
}
NIGHT_FIELDS = ("id_sighted", "id_sighted_type", "host_contacted")


class AmendVisitForm(forms.Form):
    """The registration as it stands, to be corrected. Only what changes
    becomes an amendment; the reason applies to all of them."""

    visitor_full_name = TextField(label=_("Full name"), max_length=120)
    visitor_company = TextField(label=_("Company"), max_length=120, required=False)
    visitor_phone = PhoneField(label=_("Phone"), required=False)
    visitor_email = forms.EmailField(label=_("Email"), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=VisitorCategory.objects.none())
    room = forms.ModelChoiceField(label=_("Room"), queryset=ReceptionRoom.objects.none(), required=False)
    host = HostChoiceField(label=_("Host"), queryset=get_user_model().objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("Handling department"), queryset=Department.objects.all(), required=False
    )
    purpose = TextField(label=_("Purpose"), max_length=200)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500)
    expected_at = LocalDateTimeField(label=_("Expected at"), required=False, moments=EXPECTED_VISIT)
    expected_until = LocalDateTimeField(label=_("Expected until"), required=False, moments=EXPECTED_VISIT)
    meals = forms.BooleanField(label=_("Meals"), required=False)
    lodging = forms.BooleanField(label=_("Lodging"), required=False)
    refreshments = forms.BooleanField(label=_("Refreshments"), required=False)
    hospitality_notes = TextField(label=_("Hospitality notes"), max_length=200, required=False)
    materials = TextField(label=_("Materials handed out"), max_length=200, required=False)
    id_sighted = forms.BooleanField(label=_("ID sighted"), required=False)
    id_sighted_type = forms.ChoiceField(label=_("ID type sighted"), choices=IdType.choices, required=False)
    host_contacted = forms.BooleanField(label=_("Host or escort contacted"), required=False)
    reason = TextField(
        label=_("Reason for the amendment"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Recorded with every change; the original values stay readable."),
    )

    def __init__(self, *args, visit: Visit, **kwargs):
        kwargs["initial"] = self._initial(visit)
        super().__init__(*args, **kwargs)
        site = visit.site
        self.fields["category"].queryset = VisitorCategory.objects.filter(site=site)
        # The visit's current room stays selectable even if it was retired since.
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site=site).filter(
            Q(active=True) | Q(pk=visit.room_id)
        )
        self.fields["host"].queryset = (
            get_user_model()
            .objects.filter(Q(profile__site=site, is_active=True) | Q(pk=visit.host_id))
            .select_related("profile__department")
            .order_by("profile__department__name", "profile__real_name")
        )
        if not visit.night_registration:
            for name in NIGHT_FIELDS:
                del self.fields[name]

    @staticmethod
    def _initial(visit: Visit) -> dict:
        initial = {form_name: getattr(visit.visitor, name.split(".")[1]) for form_name, name in VISITOR_FIELDS.items()}
        for name in ("category", "room", "host", "department"):
            initial[name] = getattr(visit, f"{name}_id")
        for name in ("purpose", "party_size", "meals", "lodging", "refreshments", "hospitality_notes", "materials"):
            initial[name] = getattr(visit, name)
        for name in NIGHT_FIELDS:
            initial[name] = getattr(visit, name)
        for name in ("expected_at", "expected_until"):
            # The form shows minutes; seconds would read as a change nobody made.
            value = getattr(visit, name)
            initial[name] = value.replace(second=0, microsecond=0) if value else None
        return initial

    def changes(self) -> dict:
        """Amendable name → new value, for the fields that changed."""
        return {
            VISITOR_FIELDS.get(name, name): self.cleaned_data[name] for name in self.changed_data if name != "reason"
        }

    def form_field(self, amendable: str) -> str | None:
        """The form field showing an amendable name, for a service refusal."""
        name = {value: key for key, value in VISITOR_FIELDS.items()}.get(amendable, amendable)
        return name if name in self.fields else None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.changes():
            raise forms.ValidationError(_("Change at least one value: nothing differs from the registration."))
        return cleaned


class EraseVisitorForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm this visitor asked for their data to be erased; this cannot be undone."),
    )
