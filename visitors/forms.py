"""Forms of the front desk. They validate input and build unsaved objects; the
rules themselves (R1.3 rooms, R6.8 night duty, one open visit) live in
visitors.services, whose refusals the views turn into form errors."""

from datetime import datetime, time, timedelta
from html import escape as html_escape

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import BLANK_CHOICE_DASH, Exists, OuterRef
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _

from reception.forms import FilterDayField, PhoneField, TextField
from reception.i18n import localizer
from reception.models import ReceptionRoom, Site, VisitorCategory, department_label
from reception.validators import normalise_id_number, validate_id_number
from visitors.models import AmongIds, IdType, Visit, Visitor, VisitStatus, log_day, text_contains
from visitors.notes import NOTES_MAX_LENGTH
from visitors.paging import LogPaginator, pks
from visitors.selectors import rooms_with_space
from visitors.services import NightFacts


def staff_at(site: Site):
    """Active staff of the site, labelled "Department-Name" (R3.1)."""
    return (
        get_user_model()
        .objects.filter(profile__site=site, is_active=True)
        .select_related("profile__department")
        .order_by("profile__department__name", "profile__real_name")
    )


class ListedChoiceIterator(ModelChoiceIterator):
    """The choices read by one plain query. Django's own iterator reads them
    through .iterator(), which on PostgreSQL opens a server-side cursor (three
    round trips) for a list of a few dozen rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class HostChoiceIterator(ModelChoiceIterator):
    """The hosts as (id, "Dept-Name") read as plain values (R3.1): a site's
    hundred-odd staff would otherwise be a user, a profile and a department
    each, on every page that offers the list."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        pick = localizer()
        for pk, username, real_name, department, department_zh in self.field.staff_rows():
            if real_name is None:
                yield (pk, username)
            else:
                yield (pk, department_label(real_name, department and pick(department, department_zh)))


class QuickSelect(forms.Select):
    """A <select> written in Python, with the markup of Django's own. Django
    renders every <option> through two templates, which for a site's
    hundred-odd hosts costs more than the rest of the log page (issue #7);
    its option dictionaries and a format_html per option still cost the log
    a third of a small search's page, so each option is one f-string of
    escaped text (issue #24)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        html = [format_html('<select name="{}"{}>', name, flatatt(self.build_attrs(self.attrs, attrs)))]
        for group_value, group_label in self.choices:
            if isinstance(group_label, (list, tuple)):
                html.append(f'<optgroup label="{_escaped(group_value)}">')
                html.extend(self._option(value, label, chosen) for value, label in group_label)
                html.append("</optgroup>")
            else:
                html.append(self._option(group_value, group_label, chosen))
        html.append("</select>")
        return mark_safe("\n".join(html))  # noqa: S308 (every text above is escaped)

    def _option(self, value, label, chosen: set) -> str:
        value = "" if value is None else str(value)
        # Django's Select marks the first option of the chosen value only.
        selected = value in chosen
        if selected:
            chosen.discard(value)
        return f'<option value="{_escaped(value)}"{" selected" if selected else ""}>{_escaped(label)}</option>'


class QuickInput:
    """An <input> written in Python, with the markup of Django's own
    (django/forms/widgets/input.html and attrs.html) without rendering its
    three templates: the log's filter bar has three on every search (issue
    #24)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<input type="{_escaped(widget["type"])}" name="{_escaped(widget["name"])}"']
        if widget["value"] is not None:
            html.append(f' value="{html_escape(str(widget["value"]))}"')
        for key, value in widget["attrs"].items():
            if value is True:
                html.append(f" {_escaped(key)}")
            elif value is not False:
                html.append(f' {_escaped(key)}="{html_escape(str(value))}"')
        html.append(">")
        return mark_safe("".join(html))  # noqa: S308 (every text above is escaped)


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickDateInput(QuickInput, forms.DateInput):
    pass


def _escaped(text) -> str:
    """conditional_escape without its lazy-string wrapper: text already
    marked safe is left as it is."""
    return text if isinstance(text, SafeData) else html_escape(str(text))


class HostChoiceField(forms.ModelChoiceField):
    """A host, labelled by HostChoiceIterator: the one place its label is made."""

    iterator = HostChoiceIterator
    widget = QuickSelect

    def staff_rows(self) -> list[tuple]:
        """The staff offered, as (pk, username, real name, department, its
        Chinese name): one query per queryset, however often it is listed."""
        if getattr(self, "_rows_of", None) is not self.queryset:
            self._rows = list(
                self.queryset.values_list(
                    "pk", "username", "profile__real_name", "profile__department__name", "profile__department__name_zh"
                )
            )
            self._rows_of = self.queryset
        return self._rows


class RoomChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator
    widget = QuickSelect

    def label_from_instance(self, obj) -> str:
        return obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    iterator = ListedChoiceIterator
    widget = QuickSelect


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class VisitorDetailsForm(forms.Form):
    """Who the visitor is, as every form that asks it reads it: the desk's
    walk-in, the kiosk's walk-in and the invited visitor's confirmation. The
    limits are the Visitor columns'; the text and phone rules are
    reception.validators'. A subclass changes only how the fields look and
    whether a phone number is required."""

    full_name = TextField(label=_("Full name"), max_length=120)
    company = TextField(label=_("Company"), max_length=120, required=False)
    phone = PhoneField(required=False)

    phone_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].required = self.phone_required


def chosen(form: forms.Form, name: str):
    """The submitted (or initial) value of one field of `form` if it is valid
    on its own, else None: rooms are offered for the category even while other
    fields have errors."""
    if not form.is_bound and name not in form.initial:
        return None
    try:
        return form.fields[name].clean(form[name].value())
    except ValidationError:
        return None


def room_choices(category, party_size: int) -> list[tuple[int, str]]:
    """R1.3: rooms allowed for the category with space for the party, labelled
    with their free places (one query for the rooms and their occupancy)."""
    if category is None:
        return []
    return [
        (
            room.pk,
            _("%(room)s · %(free)s of %(capacity)s places free")
            % {"room": room.display_name, "free": room.capacity - room.people, "capacity": room.capacity},
        )
        for room in rooms_with_space(category, party_size)
    ]


def invitation_room_choices(category, party_size: int) -> list[tuple[int, str]]:
    """R1.3: rooms allowed for the category that can hold the party, for a
    visit still to come (how full a room is now says nothing about then)."""
    if category is None:
        return []
    rooms = ReceptionRoom.objects.allowed_for(category).filter(capacity__gte=party_size)
    return list(rooms.values_list("pk", "name"))


class NightFactsMixin:
    """R6.8: the facts the night-duty officer records at every night arrival,
    asked the same way by each desk form that checks a visitor in (the walk-in,
    the check-in of an expected visitor, the check-in by code). The fields are
    there only inside the site's night window; the service refuses a night
    arrival without them."""

    night = False

    def add_night_fields(self, *, night: bool, user) -> None:
        self.night = night
        if not night:
            return
        self.fields["id_sighted"] = forms.ChoiceField(label=_("ID sighted?"), choices=YES_NO, widget=forms.RadioSelect)
        # No type until one is chosen: a preselected type read as an answer
        # before "ID sighted?" was (issue #16 item 9). Required only with "yes" (clean).
        self.fields["id_sighted_type"] = forms.ChoiceField(
            label=_("ID type sighted"),
            choices=[*BLANK_CHOICE_DASH, *(c for c in IdType.choices if c[0])],
            required=False,
        )
        self.fields["host_contacted"] = forms.ChoiceField(
            label=_("Host or escort contacted?"), choices=YES_NO, widget=forms.RadioSelect
        )
        if user.has_perm("visitors.override_night_duty"):
            self.fields["night_override_reason"] = TextField(
                label=_("Reason for registering in place of the night-duty officer"),
                max_length=200,
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        if self.night and cleaned.get("id_sighted") == "yes" and not cleaned.get("id_sighted_type"):
            self.add_error("id_sighted_type", _("Say which ID was sighted."))
        return cleaned

    @property
    def night_facts(self) -> NightFacts | None:
        """The answers for the service; None by day (nothing was asked)."""
        if not self.night:
            return None
        data = self.cleaned_data
        return NightFacts(
            id_sighted=data["id_sighted"] == "yes",
            id_sighted_type=data["id_sighted_type"] if data["id_sighted"] == "yes" else "",
            host_contacted=data["host_contacted"] == "yes",
        )

    @property
    def override_reason(self) -> str:
        return self.cleaned_data.get("night_override_reason", "")


class WalkInForm(NightFactsMixin, VisitorDetailsForm):
    """Register a walk-in and check them in at once (R6.7, R1.3, R1.5.3, R9.1).

    The room field accepts any room of the site so that a room the rules refuse
    reaches the service and comes back with its reason and the alternatives;
    only the rooms offered in the list are filtered by category and space.
    """

    returning_visitor = forms.ModelChoiceField(
        queryset=Visitor.objects.none(), required=False, widget=forms.HiddenInput
    )
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    category = CategoryChoiceField(
        label=_("Category"), queryset=VisitorCategory.objects.none(), empty_label=_("Choose a category")
    )
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=500, initial=1)
    room = RoomChoiceField(label=_("Room"), queryset=ReceptionRoom.objects.none(), empty_label=_("Choose a room"))
    host = HostChoiceField(
        label=_("Host"), queryset=get_user_model().objects.none(), required=False, empty_label=_("No host")
    )
    purpose = TextField(label=_("Purpose"), max_length=200)
    meals = forms.BooleanField(label=_("Meals"), required=False)
    lodging = forms.BooleanField(label=_("Lodging"), required=False)
    refreshments = forms.BooleanField(label=_("Refreshments"), required=False)
    hospitality_notes = TextField(label=_("Hospitality notes"), max_length=200, required=False)
    materials = TextField(label=_("Materials handed out"), max_length=200, required=False)

    def __init__(self, *args, site: Site, user, at=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        night = site.in_night_window(at)
        self.fields["returning_visitor"].queryset = Visitor.objects.filter(
            Exists(Visit.objects.filter(site=site, visitor=OuterRef("pk")))
        )
        self.fields["category"].queryset = VisitorCategory.objects.filter(site=site)
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site=site)
        self.fields["host"].queryset = staff_at(site)
        # Typing a phone or name looks for returning visitors; the category and
        # party size narrow the rooms offered (htmx, see templates/visitors/register.html).
        lookup = {
            "hx-get": reverse("visitors:returning_visitors"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#returning-results",
            "hx-include": "[name=phone],[name=full_name]",
            "autocomplete": "off",
        }
        self.fields["full_name"].widget.attrs.update(lookup)
        self.fields["phone"].widget.attrs.update(lookup)
        rooms = {
            "hx-get": reverse("visitors:room_options"),
            "hx-trigger": "change",
            "hx-target": "#id_room",
            "hx-include": "[name=category],[name=party_size],[name=room]",
        }
        self.fields["category"].widget.attrs.update(rooms)
        self.fields["party_size"].widget.attrs.update(rooms)
        self.collect_id = site.collect_id_numbers
        if self.collect_id:
            # R4.1: only where the site records ID numbers; masked once stored.
            self.fields["id_type"] = forms.ChoiceField(
                label=_("ID document"), choices=[("", _("None")), *(c for c in IdType.choices if c[0])], required=False
            )
            self.fields["id_number"] = TextField(
                label=_("ID number"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        self.add_night_fields(night=night, user=user)

    def clean(self):
        cleaned = super().clean()
        if self.collect_id:
            self._clean_id_document(cleaned)
        return cleaned

    def _clean_id_document(self, cleaned: dict) -> None:
        id_type, number = cleaned.get("id_type", ""), normalise_id_number(cleaned.get("id_number", ""))
        if "id_number" not in cleaned:
            return  # already refused by the field (length, control characters)
        if number and not id_type:
            self.add_error("id_type", _("Say which ID document the number is from."))
        elif id_type and not number:
            self.add_error("id_number", _("Enter the number of the ID document, or choose None."))
        elif number:
            try:
                validate_id_number(number, id_type)
            except ValidationError as error:
                self.add_error("id_number", error)
                return
        cleaned["id_number"] = number

    def chosen(self, name: str):
        return chosen(self, name)

    def offer_rooms(self, choices: list[tuple[int, str]]) -> None:
        """List only these rooms; any room of the site still validates, so a
        refused room reaches the service and its reason (R1.3)."""
        empty = _("Choose a room") if self.chosen("category") else _("Choose a category first")
        self.fields["room"].widget.choices = [("", empty), *choices]

    def build_visitor(self) -> Visitor:
        """The returning visitor when their details are unchanged; otherwise a new
        record, so nothing stored about an earlier visit is altered (R6.4)."""
        data = self.cleaned_data
        returning = data.get("returning_visitor")
        keys = ("full_name", "company", "phone", "email", *(("id_type", "id_number") if self.collect_id else ()))
        details = {key: data[key] for key in keys}
        if returning is not None and all(getattr(returning, key) == value for key, value in details.items()):
            return returning
        return Visitor(**details)

    def build_visit(self) -> Visit:
        data = self.cleaned_data
        host = data.get("host")
        visit = Visit(
            category=data["category"],
            room=data["room"],
            host=host,
            department=host.profile.department if host is not None else None,
            purpose=data["purpose"],
            party_size=data["party_size"],
            meals=data["meals"],
            lodging=data["lodging"],
            refreshments=data["refreshments"],
            hospitality_notes=data["hospitality_notes"],
            materials=data["materials"],
        )
        return visit


class VisitorNotesForm(forms.Form):
    """The desk's notes about a visitor, on the visit page."""

    notes = TextField(
        label=_("Notes about this visitor"),
        max_length=NOTES_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArrivalForm(NightFactsMixin, forms.Form):
    """What the desk records when an expected visitor arrives: the room, when
    the registration left it open (R1.3), and at night the night facts (R6.8).
    The desk's check-in page and its check-in by code both ask through it.

    The room is optional here: an arrival without one reaches the service,
    whose refusal names the rooms with space.
    """

    room = RoomChoiceField(
        label=_("Room"), queryset=ReceptionRoom.objects.none(), required=False, empty_label=_("Choose a room")
    )

    def __init__(self, *args, site: Site, user, at=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site=site)
        self.rooms_offered = False
        self.add_night_fields(night=site.in_night_window(at), user=user)

    def offer_rooms_for(self, visit: Visit | None) -> None:
        """Ask for the room when the expected `visit` has none: the rooms allowed
        for its category with space for its party, the only one pre-selected."""
        if visit is None or visit.room_id is not None or visit.status != VisitStatus.EXPECTED:
            return
        choices = room_choices(visit.category, visit.party_size)
        self.rooms_offered = True
        self.fields["room"].widget.choices = [("", _("Choose a room")), *choices]
        if len(choices) != 1:
            return
        name = self.add_prefix("room")
        if not self.is_bound:
            self.initial["room"] = choices[0][0]
        elif not self.data.get(name):
            self.data = self.data.copy()
            self.data[name] = str(choices[0][0])

    @property
    def asks(self) -> bool:
        """Whether the desk has anything to answer before this arrival."""
        return self.rooms_offered or self.night

    @property
    def chosen_room(self):
        return self.cleaned_data.get("room")


class StepForm(forms.Form):
    """One reception step of R1.4 recorded by hand on the visit page."""

    kind = forms.CharField(max_length=20)
    note = TextField(label=_("Note"), max_length=200, required=False)


# A search that matches at most this many visitors has their visits read by
# visitor id, sorted whole and counted exactly; past it, the log is read in
# order and each visit's visitor checked, which ends soon when matches are that
# common. At a million visits both cost about the same near 3,000 visitors;
# past about 5,000 ids PostgreSQL stops using the visitor index for the list
# (issue #7).
FEW_VISITORS = 3000
# A broad search counts the visits of this many of its visitors first: usually
# enough to pass the count's cap, and a short list to send.
SAMPLE_VISITORS = 1000


def in_log_order(visits):
    """Visits with their log day (day_at), newest first, then by pk."""
    return visits.annotate(day_at=log_day()).order_by("-day_at", "-pk")


class LogFilterForm(forms.Form):
    """Filters of the visitor log and its export. Every field is optional; bad
    values are reported and left out of the query; days far out of range are
    clamped (FilterDayField)."""

    q = TextField(label=_("Search"), max_length=120, required=False, widget=QuickTextInput)
    date_from = FilterDayField(label=_("From"), required=False, widget=QuickDateInput(attrs={"type": "date"}))
    date_to = FilterDayField(label=_("To"), required=False, widget=QuickDateInput(attrs={"type": "date"}))
    category = CategoryChoiceField(
        label=_("Category"), queryset=VisitorCategory.objects.none(), required=False, empty_label=_("All")
    )
    room = RoomChoiceField(label=_("Room"), queryset=ReceptionRoom.objects.none(), required=False, empty_label=_("All"))
    host = HostChoiceField(
        label=_("Host"), queryset=get_user_model().objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *VisitStatus.choices], required=False, widget=QuickSelect
    )

    def __init__(self, *args, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = VisitorCategory.objects.filter(site=site)
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site=site)
        self.fields["host"].queryset = staff_at(site)

    def names(self) -> dict:
        """The site's rooms, categories and staff as these filters read them
        anyway, for the log's rows to name theirs without joining them
        (issue #24): rooms as (name, Chinese name), categories as their code,
        staff as their R3.1 label (reception.models.staff_label_of)."""
        pick = localizer()
        return {
            "rooms": {room.pk: (room.name, room.name_zh) for room in self.fields["room"].queryset},
            "categories": {category.pk: category.code for category in self.fields["category"].queryset},
            "hosts": {
                pk: department_label(real_name, None if department is None else pick(department, department_zh))
                for pk, _username, real_name, department, department_zh in self.fields["host"].staff_rows()
                if real_name is not None
            },
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
            cleaned.pop("date_to", None)
        return cleaned

    def apply(self, visits, *, site: Site):
        """The visits matching every valid filter, newest first. A visit's day is
        its arrival, else its expected time, else its registration, in the
        site's local time.

        The search looks in the visitor table first, through its indexes (one
        query, made here). When it matches at most FEW_VISITORS visitors, their
        ids stand in for it; otherwise it stays a condition on each visit's
        visitor."""
        visits = self._filter(visits, site=site)
        first = self._first_matching_visitors
        if first is None:
            return visits
        if len(first) <= FEW_VISITORS:
            return visits.filter(AmongIds("visitor", first))
        return visits.filter(text_contains(self._valid_data()["q"], via="visitor__"))

    def paginator(self, visits, *, site: Site, per_page: int) -> LogPaginator:
        """apply()'s visits in pages for the log (issue #7). Those of a search
        that matched few visitors are sorted whole and counted exactly. For a
        broad search, the visits of its first SAMPLE_VISITORS visitors are
        counted first: when they alone pass the count's cap, the rest need no
        counting. A page's rows are then read by their ids alone, without the
        search's conditions again."""
        matching = self.apply(visits, site=site)
        rows = in_log_order(visits)
        first = self._first_matching_visitors
        if first is None:
            return LogPaginator(matching, per_page, rows=rows)
        if len(first) <= FEW_VISITORS:
            return LogPaginator(matching, per_page, whole=True, rows=rows)
        sample = self._filter(visits, site=site).filter(AmongIds("visitor", first[:SAMPLE_VISITORS]))
        return LogPaginator(matching, per_page, sample=sample, rows=rows)

    @cached_property
    def _first_matching_visitors(self) -> list[int] | None:
        """Ids of up to FEW_VISITORS + 1 visitors the search matches, in no
        particular order (None without a search): one query, made once."""
        term = self._valid_data().get("q")
        if not term:
            return None
        return pks(Visitor.objects.matching(term).order_by()[: FEW_VISITORS + 1])

    def _valid_data(self) -> dict:
        if self.is_bound:
            self.is_valid()
        return getattr(self, "cleaned_data", {})

    def _filter(self, visits, *, site: Site):
        """Every filter but the search, in log order."""
        data = self._valid_data()
        visits = in_log_order(visits)
        if data.get("date_from"):
            visits = visits.filter(day_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=site.tzinfo))
        if data.get("date_to"):
            end = datetime.combine(data["date_to"], time.min, tzinfo=site.tzinfo) + timedelta(days=1)
            visits = visits.filter(day_at__lt=end)
        for name in ("category", "room", "host", "status"):
            if data.get(name):
                visits = visits.filter(**{name: data[name]})
        return visits
