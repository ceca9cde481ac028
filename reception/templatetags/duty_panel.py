"""The duty panel on the desk dashboard: who holds each duty now, tonight's
night duty and its gaps (R6.8), handovers waiting for the incoming person
(R6.6) and the night log. A fixed number of queries however busy the night.

The dashboard renders it inline; it then refreshes itself from
reception:duty_panel, so the night officer's name and the 16:00 warning appear
on a screen that stays open all day."""

from django import template

from reception.roster import duty_panel_context

register = template.Library()


@register.inclusion_tag("reception/_duty_panel.html", takes_context=True)
def duty_panel(context):
    return {**duty_panel_context(getattr(context["request"], "site", None)), "perms": context.get("perms")}
