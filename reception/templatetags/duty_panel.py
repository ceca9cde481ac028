"""The duty panel on the desk dashboard: who holds each duty now, tonight's
night duty and its gaps (R6.8), handovers waiting for the incoming person
(R6.6) and the night log. A fixed number of queries however busy the night.

The dashboard renders it inline; it then refreshes itself from
reception:duty_panel, so the night officer's name and the 16:00 warning appear
on a screen that stays open all day."""

from django import template
from django.utils import timezone

from reception import registers
from reception.models import Handover, department_label
from reception.services import current_or_last_night, duty_board

register = template.Library()

# The dashboard shows the start of the night log; the morning report has all of it.
NIGHT_LOG_MAX = 15


def panel_context(request) -> dict:
    """The panel's context for the signed-in user's site. Three queries."""
    site = getattr(request, "site", None)
    if site is None:
        return {"site": None}
    now = timezone.now()
    night = current_or_last_night(site, now)
    # 1: roster entries held now or tonight
    board = duty_board(site, now)
    # 2: the visits of this (or last) night, one more than shown to know if there are more;
    # read as the five values the log shows: building a visit, its visitor and
    # who signed it in (user, profile, department) cost more than the rest of
    # the panel on every load of the dashboard (issue #7).
    night_log = [
        {
            "visitor": row["visitor__full_name"],
            "checked_in_at": row["checked_in_at"],
            "checked_out_at": row["checked_out_at"],
            # R3.1 "Department-Name"; blank for an account without a staff profile.
            "signed_by": (
                ""
                if row["checked_in_by__profile__real_name"] is None
                else department_label(
                    row["checked_in_by__profile__real_name"], row["checked_in_by__profile__department__name"]
                )
            ),
            "night_override_reason": row["night_override_reason"],
        }
        for row in registers.night_visits(site, night)
        .order_by("checked_in_at", "pk")
        .values(
            "visitor__full_name",
            "checked_in_at",
            "checked_out_at",
            "checked_in_by__profile__real_name",
            "checked_in_by__profile__department__name",
            "night_override_reason",
        )[: NIGHT_LOG_MAX + 1]
    ]
    # 3: handovers nobody has taken over yet
    waiting = list(
        Handover.objects.filter(site=site, acknowledged_at__isnull=True)
        .select_related("written_by__profile__department")
        .order_by("written_at", "pk")
    )
    return {
        "site": site,
        "now": now,
        "board": board,
        "night": night,
        "in_night": now in night,
        "night_log": night_log[:NIGHT_LOG_MAX],
        "night_log_more": len(night_log) > NIGHT_LOG_MAX,
        "report_day": site.local(night.end).date(),
        "waiting_handovers": waiting,
    }


@register.inclusion_tag("reception/_duty_panel.html", takes_context=True)
def duty_panel(context):
    return {**panel_context(context["request"]), "perms": context.get("perms")}
