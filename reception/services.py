"""Reception rules that several workflows share."""

from datetime import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import DutyCode, Site, on_duty, staff_label


def night_duty_officers(site: Site, at: datetime) -> list:
    return list(on_duty(site, DutyCode.NIGHT_OFFICER, at))


def check_night_duty(*, site: Site, user, at: datetime, override_reason: str = "") -> str:
    """R6.8: inside the night window only the rostered night-duty officer registers.

    Returns the override reason when the office director stepped in (to be
    recorded on the visit), "" otherwise. Raises ReceptionError("night_duty")
    naming who is on night duty.
    """
    if not site.in_night_window(at):
        return ""
    officers = night_duty_officers(site, at)
    if any(officer.pk == user.pk for officer in officers):
        return ""
    override_reason = (override_reason or "").strip()
    if user.has_perm("visitors.override_night_duty"):
        if override_reason:
            return override_reason
        raise ReceptionError(
            "night_override_reason",
            _("It is night duty time; to register in place of the night-duty officer, give a reason."),
            field="night_override_reason",
        )
    names = ", ".join(staff_label(o) for o in officers) or _("nobody is rostered")
    raise ReceptionError(
        "night_duty",
        _(
            "From %(start)s to %(end)s visitors are registered by the night-duty officer (R6.8). "
            "On night duty now: %(names)s."
        )
        % {
            "start": formats.time_format(site.night_starts, "H:i"),
            "end": formats.time_format(site.night_ends, "H:i"),
            "names": names,
        },
    )
