"""The monthly complaint summary page (R5.5; issue #18 item 5): one site and
one month, its tables drawn as SVG charts (visitors.charts) with their
numbers beside them, cached like the insights page on the site's audit-chain
head; each table as CSV."""

import time

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from customers.models import FollowUp
from customers.summary import Summary, build_summary, default_month
from reception.models import Site
from visitors.charts import draw
from visitors.exports import table_csv
from visitors.insights_views import CACHE_SECONDS, LIVE_FIGURES_SECONDS, insights_site
from visitors.models import AuditEvent


class MonthForm(forms.Form):
    """?month=YYYY-MM; a bad value is reported and the page shows last month."""

    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"], required=False)

    def first(self, today):
        if self.is_bound and self.is_valid() and self.cleaned_data["month"]:
            return self.cleaned_data["month"].replace(day=1)
        return default_month(today)


def summary_key(site: Site, first, today) -> str:
    """Every complaint change is an event in the site's audit chain, so the
    chain's head says whether the complaint figures changed; follow-ups are
    told by their count, last id and last completion (one query). A month that
    reaches today is redrawn at least every LIVE_FIGURES_SECONDS."""
    head = AuditEvent.objects.filter(site=site).order_by("-seq").values_list("seq", flat=True).first() or 0
    marker = FollowUp.objects.filter(site=site).aggregate(n=Count("pk"), last=Max("pk"), done=Max("done_at"))
    follow_ups = f"{marker['n']}.{marker['last']}.{marker['done'].timestamp() if marker['done'] else 0}"
    live = int(time.time() // LIVE_FIGURES_SECONDS) if first >= today.replace(day=1) else 0
    language = translation.get_language()
    return f"complaint-summary:v2:{site.pk}:{first}:{today}:{language}:{head}:{follow_ups}:{live}"


def _drawn(site: Site, first, today) -> tuple[Summary, str]:
    summary = build_summary(site=site, first=first, today=today)
    charts = [(table, draw(table)) for table in summary.tables]
    with timezone.override(site.tzinfo):
        return summary, render_to_string("customers/summary/_body.html", {"charts": charts, "query": "{query}"})


@login_required
@permission_required("customers.view_complaint_summary", raise_exception=True)
@require_GET
def complaint_summary(request):
    site = insights_site(request)
    today = site.local(timezone.now()).date()
    form = MonthForm(request.GET or None)
    first = form.first(today)
    summary, body = cache.get_or_set(summary_key(site, first, today), lambda: _drawn(site, first, today), CACHE_SECONDS)
    return render(
        request,
        "customers/summary/page.html",
        {
            "site": site,
            "sites": Site.objects.order_by("name") if request.user.is_superuser else None,
            "form": form,
            "month": first,
            "summary": summary,
            # The CSV links carry this request's own month and site; the rest is shared.
            "body": mark_safe(body.replace("{query}", escape(_csv_query(site, first)))),
        },
    )


def _csv_query(site: Site, first) -> str:
    return f"site={site.slug}&month={first:%Y-%m}"


@login_required
@permission_required("customers.view_complaint_summary", raise_exception=True)
@require_GET
def complaint_summary_csv(request, table: str):
    """One table of the month's summary as CSV (UTF-8 with a byte-order mark
    for Excel): the same rows the page lists, the same site and month rules."""
    site = insights_site(request)
    today = site.local(timezone.now()).date()
    first = MonthForm(request.GET or None).first(today)
    summary, _body = cache.get_or_set(
        summary_key(site, first, today), lambda: _drawn(site, first, today), CACHE_SECONDS
    )
    found = next((one for one in summary.tables if one.slug == table), None)
    if found is None:
        raise Http404("No such table.")
    return table_csv(found, f"complaints-{found.slug}-{site.slug}-{first:%Y-%m}.csv")
