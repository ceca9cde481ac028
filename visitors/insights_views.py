"""The insights page for the office director and the office manager (issue
#20): one site at a time, its figures drawn as SVG charts with their numbers
in tables, and each table as CSV."""

import time

from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from reception.access import user_site
from reception.models import Site
from visitors.charts import draw
from visitors.exports import table_csv
from visitors.insights import Insights, Period, build_insights
from visitors.insights_forms import InsightsForm
from visitors.models import AuditEvent

# A period that reaches today also counts visitors still on site "until now";
# its figures are drawn afresh at least this often even when nothing was written.
LIVE_FIGURES_SECONDS = 300
CACHE_SECONDS = 24 * 3600


def insights_site(request) -> Site:
    """The site whose figures are asked for (?site=<short name>). Staff see
    their own site only: another site's name answers 404, as for any object of
    another site. A superuser, the installation's administrator, may choose
    any site, and sees their own (or the first) without choosing."""
    slug = request.GET.get("site", "")
    if request.user.is_superuser:
        if slug:
            return get_object_or_404(Site, slug=slug)
        site = getattr(request, "site", None) or Site.objects.order_by("name").first()
        if site is None:
            raise Http404("No site exists yet.")
        return site
    site = user_site(request)
    if slug and slug != site.slug:
        raise Http404("Not this user's site.")
    return site


def _insights(request):
    site = insights_site(request)
    form = InsightsForm(request.GET or None)
    period = form.period(site.local(timezone.now()).date())
    return site, form, build_insights(site=site, period=period)


def figures_key(site: Site, period: Period, today) -> str:
    """The cache key of a site's drawn figures for one period.

    Every change Lobby makes to a visit, a room, a category or the roster is
    an event in the site's audit chain (R6.4), so the chain's last sequence
    number says whether anything the figures read has changed; one indexed
    read. A period that reaches today is also redrawn every
    LIVE_FIGURES_SECONDS, for the visitors still on site."""
    head = AuditEvent.objects.filter(site=site).order_by("-seq").values_list("seq", flat=True).first() or 0
    live = int(time.time() // LIVE_FIGURES_SECONDS) if period.last_day >= today else 0
    language = translation.get_language()
    return f"insights:v1:{site.pk}:{period.start}:{period.end}:{period.months_back}:{language}:{head}:{live}"


def _drawn_figures(site: Site, period: Period) -> tuple[Insights, str]:
    """The figures, and their charts and tables as HTML in the site's time zone."""
    figures = build_insights(site=site, period=period)
    charts = [(table, draw(table)) for table in figures.tables]
    with timezone.override(site.tzinfo):
        return figures, render_to_string("visitors/insights/_body.html", {"charts": charts, "query": "{query}"})


@login_required
@permission_required("visitors.view_insights", raise_exception=True)
@require_GET
def insights(request):
    """The figures are read in the database and drawn once per change of the
    site's data (figures_key), so a director reloading the page, or several
    reading the same month, cost a cache read, not the aggregates again."""
    site = insights_site(request)
    form = InsightsForm(request.GET or None)
    today = site.local(timezone.now()).date()
    period = form.period(today)
    figures, body = cache.get_or_set(
        figures_key(site, period, today), lambda: _drawn_figures(site, period), CACHE_SECONDS
    )
    sites = Site.objects.order_by("name") if request.user.is_superuser else None
    query = request.GET.copy()
    with timezone.override(site.tzinfo):
        return render(
            request,
            "visitors/insights/page.html",
            {
                "site": site,
                "sites": sites,
                "form": form,
                "insights": figures,
                # The CSV links carry this request's own query; the rest is shared.
                "body": mark_safe(body.replace("{query}", escape(query.urlencode()))),
                "query": query.urlencode(),
            },
        )


@login_required
@permission_required("visitors.view_insights", raise_exception=True)
@require_GET
def insights_csv(request, table: str):
    """One table's numbers as CSV (UTF-8 with a byte-order mark for Excel),
    every cell defused as the visitor log's export does (exports.safe_cell)."""
    site, _form, figures = _insights(request)
    found = next((one for one in figures.tables if one.slug == table), None)
    if found is None:
        raise Http404("No such table.")
    period = figures.period
    return table_csv(found, f"insights-{found.slug}-{site.slug}-{period.start:%Y-%m-%d}-{period.last_day:%Y-%m-%d}.csv")
