"""The office manager's rule tester (issue #22): "what happens if a visitor of
this category comes at this time, this way?", answered line by line with the
rule that decided each line.

Nothing here is a rule of its own. Every answer comes from the function the
desk, the kiosk or the escalation task calls: check_room_allowed,
rooms_with_space and room_space_refusal (R1.3), check_night_duty and
night_duty_officers (R6.8), escalation_chain, step_due_at and duty_holders
(R3.2), kiosk_refusal, refuse_self_service_at_night and walk_in_rooms (the
kiosk). A refusal is read from the ReceptionError those functions raise, so
the tester says exactly what the desk would say; tests/visitors/
test_rule_tester.py registers real visits on a grid of cases to prove it.
Reads only: nothing is saved, locked or audited.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reception.errors import ReceptionError
from reception.models import DutyCode, ReceptionRoom, Site, VisitorCategory, staff_label
from reception.night import check_night_duty, night_duty_officers
from visitors import kiosk
from visitors.escalation import duty_holders, escalation_chain, step_due_at
from visitors.invitations import refuse_self_service_at_night
from visitors.models import Visit
from visitors.selectors import rooms_with_space
from visitors.services import check_room_allowed, room_space_refusal


class Entry:
    DESK = "desk"
    KIOSK = "kiosk"
    INVITATION = "invitation"
    CHOICES = [
        (DESK, gettext_lazy("Walk-in at the front desk")),
        (KIOSK, gettext_lazy("Walk-in at the kiosk")),
        (INVITATION, gettext_lazy("Invitation (checked in at the desk or the kiosk)")),
    ]


@dataclass(frozen=True)
class Line:
    """One answer: the rule that decided it, what it says, and a stable code
    ("ok" or the ReceptionError code the desk or kiosk would raise)."""

    rule: str
    text: str
    code: str = "ok"


@dataclass
class Verdict:
    at: datetime
    in_night: bool
    # Per entry point, the first refusal an arrival at `at` meets: what the
    # service would raise (None: it would be accepted).
    desk_refusal: str | None = None
    kiosk_refusal: str | None = None
    invitation_kiosk_refusal: str | None = None
    # The rooms of the site: (room, refusal code of check_room_allowed or None, has space now).
    rooms: list = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def refusal(self, entry: str) -> str | None:
        return {
            Entry.DESK: self.desk_refusal,
            Entry.KIOSK: self.kiosk_refusal,
            Entry.INVITATION: self.invitation_kiosk_refusal,
        }[entry]


def _refusal(check, **kwargs) -> ReceptionError | None:
    try:
        check(**kwargs)
    except ReceptionError as error:
        return error
    return None


def _when(site: Site, at: datetime) -> str:
    return formats.date_format(site.local(at), "Y-m-d H:i")


def _names(people) -> str:
    return ", ".join(staff_label(person) for person in people) or _("nobody")


def evaluate(
    *,
    site: Site,
    category: VisitorCategory,
    at: datetime,
    party_size: int = 1,
    host=None,
    room: ReceptionRoom | None = None,
    entry: str = Entry.DESK,
) -> Verdict:
    """What the reception rules answer for a visitor of `category` arriving at
    `at` through `entry`, with `room` chosen (None: let the desk choose)."""
    verdict = Verdict(at=at, in_night=site.in_night_window(at))
    lines = verdict.lines
    probe = Visit(site=site, category=category, host=host, party_size=party_size, room=room)

    # R1.3: the rooms, and which have space now.
    with_space = {r.pk for r in rooms_with_space(category, party_size)}
    for each in ReceptionRoom.objects.filter(site=site, active=True).order_by("sort_order", "name"):
        refused = _refusal(check_room_allowed, room=each, category=category)
        verdict.rooms.append((each, refused.code if refused else None, each.pk in with_space))
    allowed = [r for r, refused, _space in verdict.rooms if refused is None]
    lines.append(
        Line(
            "R1.3",
            _("Rooms allowed: %(rooms)s. With space now for %(size)s: %(free)s.")
            % {
                "rooms": ", ".join(r.display_name for r in allowed) or _("none"),
                "size": party_size,
                "free": ", ".join(r.display_name for r, _refused, space in verdict.rooms if space) or _("none"),
            },
        )
    )
    room_refusal = _refusal(check_room_allowed, room=room, category=category)
    full = room_space_refusal(room=room, visit=probe) if room is not None and room_refusal is None else None
    if room_refusal is not None:
        lines.append(Line("R1.3", room_refusal.message, room_refusal.code))
    elif full:
        lines.append(Line("R1.3", full, "room_full"))

    # R6.8: the night window and who signs.
    officers = night_duty_officers(site, at)
    night_refusal = _refusal(check_night_duty, site=site, user=None, at=at)
    if verdict.in_night:
        lines.append(
            Line(
                "R6.8",
                _("%(when)s is in the night window (%(start)s–%(end)s): the night-duty officer signs: %(names)s.")
                % {
                    "when": _when(site, at),
                    "start": formats.time_format(site.night_starts, "H:i"),
                    "end": formats.time_format(site.night_ends, "H:i"),
                    "names": _names(officers),
                },
                night_refusal.code,
            )
        )
    else:
        lines.append(
            Line("R6.8", _("%(when)s is outside the night window: any desk clerk signs.") % {"when": _when(site, at)})
        )

    # R3.2: the acknowledgement deadline and the escalation chain at that time.
    probe.checked_in_at = at
    probe.ack_deadline_minutes = category.ack_deadline_minutes
    lines.append(
        Line(
            "R3.2",
            _("The host acknowledges by %(deadline)s (%(minutes)s minutes after arrival).")
            % {"deadline": _when(site, probe.ack_deadline), "minutes": category.ack_deadline_minutes},
        )
    )
    if category.notify_director_on_arrival:
        lines.append(
            Line(
                "R3.2",
                _("On arrival the office director is told: %(names)s.")
                % {"names": _names(duty_holders(probe, DutyCode.DIRECTOR, at))},
            )
        )
    for step in escalation_chain(category):
        due = step_due_at(probe, step)
        names = (
            _("the visit's host")
            if step.duty == DutyCode.HOST and host is None
            else _names(duty_holders(probe, step.duty, due))
        )
        lines.append(
            Line(
                "R3.2",
                _("Step %(position)s at %(due)s: %(duty)s — %(names)s.")
                % {"position": step.position, "due": _when(site, due), "duty": step.label, "names": names},
            )
        )

    # The entry points: the first refusal each would meet, in register_visit's
    # order (room allowed, who signs, then space). With no room chosen, the desk
    # picks one allowed with space, if any.
    if room is not None:
        space = "room_full" if full else None
    else:
        space = None if with_space else "room_full"
    verdict.desk_refusal = _code(room_refusal) or _code(night_refusal) or space
    verdict.kiosk_refusal, kiosk_line = _kiosk_walk_in(site, at, party_size)
    verdict.invitation_kiosk_refusal = kiosk.kiosk_refusal(site, at, walk_in=False) or _code(
        _refusal(refuse_self_service_at_night, site=site, at=at)
    )
    lines.append(Line(_("kiosk"), kiosk_line, verdict.kiosk_refusal or "ok"))
    lines.append(_invitation_line(site, verdict, officers))
    return verdict


def _code(error: ReceptionError | None) -> str | None:
    return error.code if error is not None else None


def _kiosk_walk_in(site: Site, at: datetime, party_size: int) -> tuple[str | None, str]:
    """What the kiosk's walk-in screen answers at `at` (kiosk.kiosk_walk_in's checks, in its order)."""
    mode = kiosk.kiosk_refusal(site, at, walk_in=True)
    if mode == "kiosk_closed":
        return mode, _("The kiosk is closed at this time; visitors see the desk's phone number.")
    if mode == "walk_in_unavailable":
        return mode, _("The kiosk takes invitations only at this time; walk-ins are sent to the front desk.")
    night = _refusal(refuse_self_service_at_night, site=site, at=at)
    if night is not None:
        return night.code, night.message
    walk_in_category = VisitorCategory.objects.filter(site=site, code=kiosk.KIOSK_CATEGORY_CODE).first()
    if walk_in_category is None:
        return "no_category", _("The site has no category %(code)s, so the kiosk sends walk-ins to the desk.") % {
            "code": kiosk.KIOSK_CATEGORY_CODE
        }
    rooms = kiosk.walk_in_rooms(walk_in_category, party_size)
    if not rooms:
        return "room_full", _("No room for category %(code)s has space: the kiosk sends walk-ins to the desk.") % {
            "code": kiosk.KIOSK_CATEGORY_CODE
        }
    return None, _("Walk-ins register themselves as category %(category)s (R1.2) and are placed in %(room)s.") % {
        "category": walk_in_category.display_name,
        "room": rooms[0].display_name,
    }


def _invitation_line(site: Site, verdict: Verdict, officers) -> Line:
    if verdict.invitation_kiosk_refusal is None:
        text = _("An invited visitor may check in by code at the kiosk or at the desk.")
    elif verdict.in_night:
        text = _(
            "An invited visitor checks in at the desk with the night-duty officer (%(names)s), not at the kiosk."
        ) % {"names": _names(officers)}
    else:
        text = _("The kiosk is closed at this time: an invited visitor checks in at the front desk.")
    return Line("R6.8" if verdict.in_night else _("kiosk"), text, verdict.invitation_kiosk_refusal or "ok")


# --- the admin's form ---------------------------------------------------------------


class RuleTesterForm(forms.Form):
    """The question, limited to the `sites` the user may see."""

    site = forms.ModelChoiceField(label=gettext_lazy("Site"), queryset=Site.objects.none())
    category = forms.ModelChoiceField(label=gettext_lazy("Visitor category"), queryset=VisitorCategory.objects.none())
    host = forms.ModelChoiceField(label=gettext_lazy("Host"), queryset=get_user_model().objects.none(), required=False)
    room = forms.ModelChoiceField(
        label=gettext_lazy("Room chosen at the desk"), queryset=ReceptionRoom.objects.none(), required=False
    )
    day = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=gettext_lazy("Time (the site's clock)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    party_size = forms.IntegerField(label=gettext_lazy("Party size"), min_value=1, max_value=500, initial=1)
    entry = forms.ChoiceField(label=gettext_lazy("Entry point"), choices=Entry.CHOICES, initial=Entry.DESK)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        site_ids = [site.pk for site in sites]
        self.fields["site"].queryset = Site.objects.filter(pk__in=site_ids)
        self.fields["category"].queryset = VisitorCategory.objects.filter(site__in=site_ids).select_related("site")
        self.fields["room"].queryset = ReceptionRoom.objects.filter(site__in=site_ids, active=True).select_related(
            "site"
        )
        self.fields["host"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, profile__site__in=site_ids)
            .select_related("profile__department")
            .order_by("profile__real_name")
        )
        self.fields["host"].label_from_instance = staff_label

    def clean(self):
        data = super().clean()
        site = data.get("site")
        if site is None:
            return data
        for name in ("category", "room"):
            if data.get(name) is not None and data[name].site_id != site.pk:
                self.add_error(name, _("Choose one of this site's."))
        host = data.get("host")
        if host is not None and host.profile.site_id != site.pk:
            self.add_error("host", _("Choose someone who works at this site."))
        return data

    def moment(self) -> datetime:
        """The date and time read on the site's wall clock."""
        day: date = self.cleaned_data["day"]
        clock: time = self.cleaned_data["time"]
        return datetime.combine(day, clock, tzinfo=self.cleaned_data["site"].tzinfo)
