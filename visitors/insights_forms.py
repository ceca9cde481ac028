"""The insights page's choice of period (issue #20): a preset, or a range of
local days of at most LONGEST_RANGE_DAYS."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from reception.forms import FilterDayField
from visitors.insights import CUSTOM, LONGEST_RANGE_DAYS, PRESETS, Period, preset_period

DEFAULT_PRESET = "this_month"


class InsightsForm(forms.Form):
    """?preset=…, or ?preset=custom&start=YYYY-MM-DD&end=YYYY-MM-DD (both days
    included). A bad value is reported and the page shows DEFAULT_PRESET."""

    preset = forms.ChoiceField(
        label=_("Period"), choices=[*PRESETS.items(), (CUSTOM, _("From … to …"))], required=False
    )
    start = FilterDayField(label=_("From"), required=False)
    end = FilterDayField(label=_("To"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("preset") != CUSTOM:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            if not self.has_error("start") and not self.has_error("end"):
                self.add_error("end", _("Give both the first and the last day of the range."))
        elif end < start:
            self.add_error("end", _("The end date is before the start date."))
        elif (end - start).days + 1 > LONGEST_RANGE_DAYS:
            self.add_error(
                "end", _("A range is at most %(days)s days; choose a shorter one.") % {"days": LONGEST_RANGE_DAYS}
            )
        return cleaned

    def period(self, today: date) -> Period:
        """The period asked for, seen on the site's local `today`; the default
        preset when the form is unbound or not valid."""
        if not self.is_bound or not self.is_valid():
            return preset_period(DEFAULT_PRESET, today)
        preset = self.cleaned_data.get("preset") or DEFAULT_PRESET
        if preset == CUSTOM:
            start, end = self.cleaned_data["start"], self.cleaned_data["end"]
            return Period(start, end + timedelta(days=1))
        return preset_period(preset, today)
