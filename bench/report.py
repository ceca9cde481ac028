"""The run's results as var/bench/latest.json and a Markdown table beside it.

Targets are reported, never asserted: a miss is a finding to act on, and the
numbers depend on the machine and on whatever else it was doing.
"""

import json
from pathlib import Path

# step, measure, comparison, threshold, label. Issue #24: every target is a
# cost in trivial pages of server CPU (or, for the export, rows per trivial
# page's time), which barely moves between machines; the old millisecond
# targets and "kiosk ≥ 40 % of the ceiling" are withdrawn. The kiosk keeps its
# registration in the request, so it is held to a cost, not a share.
SEARCH_TARGET_PAGES = 20
TARGETS = [
    ("dashboard", "cpu_in_ceiling_pages", "<=", 15, "desk dashboard (300 on site) ≤ 15 trivial pages"),
    (
        "dashboard_unchanged",
        "cpu_in_ceiling_pages",
        "<=",
        3,
        "dashboard's 30-s refresh when nothing on the desk changed ≤ 3 trivial pages",
    ),
    ("kiosk_c8", "cpu_in_ceiling_pages", "<=", 12, "kiosk walk-in (registration in the request) ≤ 12 trivial pages"),
    *(
        (f"search_{kind}", "cpu_in_ceiling_pages", "<=", SEARCH_TARGET_PAGES, f"search by {label} ≤ 20 trivial pages")
        for kind, label in (
            ("name_latin", "name fragment (Latin letters)"),
            ("name_cjk", "name (two Chinese characters)"),
            ("phone", "phone"),
            ("company", "company"),
            ("name_short", "a two-letter Latin term"),
        )
    ),
    # Issue #21: the API's visit list, asked the desk log's name searches, costs
    # no more than the desk log does (the threshold is that step's own cost).
    (
        "api_visits",
        "cpu_in_ceiling_pages",
        "<=",
        "search_name_latin",
        "API list visits ≤ the desk log's cost in trivial pages (the same name searches)",
    ),
    ("csv_export", "rows_per_trivial_page", ">=", 60, "CSV export of a year ≥ 60 rows per trivial page's time"),
    ("csv_export", "memory_growth_mib", "<", 50, "CSV export worker memory growth < 50 MB"),
    # Issue #20: the insights page.
    ("insights_month", "cpu_in_ceiling_pages", "<", 20, "insights, a month's range < 20 trivial pages"),
    ("insights_year", "cpu_in_ceiling_pages", "<", 60, "insights, a year's range < 60 trivial pages"),
]
# Targets across two runs, one at 100k visits and one at 1M (compare()): step,
# measure, the largest allowed ratio of the 1M figure to the 100k one, label.
SCALE_TARGETS = [
    *(
        (f"search_{kind}", "p95_ms", 1.5, f"search ({kind}): p95 at 1M within 1.5× of p95 at 100k")
        for kind in ("name_latin", "name_cjk", "phone", "company", "name_short")
    ),
    *(
        (step, "cpu_in_ceiling_pages", 1.1, f"{step}: cost at 1M within 10 % of cost at 100k")
        for step in (
            "dashboard",
            "dashboard_unchanged",
            "kiosk_c8",
            "search_name_latin",
            "search_name_cjk",
            "search_phone",
            "search_company",
            "search_name_short",
            "insights_month",
            "insights_year",
            "api_visits",
        )
    ),
]

_COMPARE = {">=": lambda v, t: v >= t, "<=": lambda v, t: v <= t, "<": lambda v, t: v < t}


def evaluate(steps: dict) -> list[dict]:
    """Each target met, missed or not measured. A threshold that names a step
    is that step's value of the same measure in this run."""
    verdicts = []
    for step, measure, op, threshold, label in TARGETS:
        value = steps.get(step, {}).get(measure)
        if isinstance(threshold, str):
            threshold = steps.get(threshold, {}).get(measure)
        if value is None or threshold is None:
            met = None
        else:
            met = _COMPARE[op](value, threshold)
        verdicts.append({"target": label, "step": step, "value": value, "threshold": threshold, "met": met})
    return verdicts


def derive(steps: dict) -> dict:
    """Add each step's server CPU per request in trivial pages: its cost over
    the ceiling's (8 clients). Unlike milliseconds, this barely moves from one
    machine to another (a walk-in is about 25 pages on a machine that serves
    900 a second and on one that serves 2,200), so runs on different machines
    can be compared by it."""
    page = steps.get("ceiling_c8", {}).get("server_cpu_ms_per_request")
    for step in steps.values():
        cost = step.get("server_cpu_ms_per_request")
        if page and cost and step.get("status") == "ok":
            step["cpu_in_ceiling_pages"] = round(cost / page, 1)
    export = steps.get("csv_export", {})
    if page and export.get("rows_per_server_cpu_s") and export.get("status") == "ok":
        # Rows written in the server CPU time of one trivial page.
        export["rows_per_trivial_page"] = round(export["rows_per_server_cpu_s"] * page / 1000, 1)
    return steps


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(met) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


def markdown(results: dict) -> str:
    meta, steps = results["meta"], results["steps"]
    lines = [
        f"## Lobby benchmark — {meta['visits']:,} visits of history"
        + (" — with the proposed indexes" if meta.get("proposed_indexes") else ""),
        "",
        f"Run {meta['started_at']} of {meta.get('code', '?')} against {meta['target']} · "
        f"{meta['workers']} gunicorn sync workers · "
        f"{meta['duration_s']} s per load step · load tool {meta['load_tool']}",
        "",
        f"Machine: {meta['machine']['cpu']} × {meta['machine']['cores']} cores, "
        f"{meta['machine']['memory_gib']} GiB · PostgreSQL {meta['machine'].get('postgres', '?')} · "
        f"Python {meta['machine']['python']} · Django {meta['machine']['django']} · "
        f"load average before/after: {meta['load_before']} / {meta.get('load_after', '?')} · "
        f"CPU busy before the run (others' work): {meta.get('cpu_busy_before_pct', '?')} %",
        "",
        "| step | clients | req/s | p50 ms | p95 ms | p99 ms | vs ceiling | server CPU ms/req | "
        "server CPU in trivial pages | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, step in steps.items():
        if key == "csv_export":
            continue
        if step.get("status") != "ok":
            lines.append(
                f"| {step.get('label', key)} | {step.get('clients') or ''} | | | | | | | | {step.get('status')} |"
            )
            continue
        ratio, cpu_ratio = step.get("ratio_to_ceiling"), step.get("cpu_ratio_to_ceiling")
        shown = "" if ratio is None else f"{ratio:.1%}"
        if cpu_ratio is not None:
            shown += f" (CPU: {cpu_ratio:.1%})"
        lines.append(
            f"| {step['label']} | {step['clients']} | {_fmt(step['rps'])} | {_fmt(step['p50_ms'])} | "
            f"{_fmt(step['p95_ms'])} | {_fmt(step['p99_ms'])} | {shown} | "
            f"{_fmt(step.get('server_cpu_ms_per_request'))} | {_fmt(step.get('cpu_in_ceiling_pages'))} | "
            f"{step.get('notes', '')} |"
        )
    export = steps.get("csv_export", {})
    lines += [
        "",
        "| CSV export | rows | seconds | rows/s | rows per server CPU s | rows per trivial page | MB | "
        "worker RSS before → peak (growth) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    if export.get("status") == "ok":
        lines.append(
            f"| {export['label']} | {_fmt(export['rows'])} | {_fmt(export['seconds'])} | "
            f"{_fmt(export['rows_per_s'], 0)} | {_fmt(export.get('rows_per_server_cpu_s'), 0)} | "
            f"{_fmt(export.get('rows_per_trivial_page'))} | {_fmt(export['mib'])} | "
            f"{_fmt(export['rss_before_mib'])} → {_fmt(export['rss_peak_mib'])} MiB "
            f"(+{_fmt(export['memory_growth_mib'])} MiB) |"
        )
    else:
        lines.append(f"| {export.get('label', 'CSV export')} | | | | | | | {export.get('status', 'not run')} |")
    lines += ["", "| target | measured | verdict |", "|---|---:|---|"]
    for verdict in results["targets"]:
        value = verdict["value"]
        lines.append(f"| {verdict['target']} | {_fmt(value)} | {_verdict(verdict['met'])} |")
    invariants = results.get("invariants") or {}
    if invariants:
        lines += ["", f"Invariants after the run: **{'all hold' if invariants.get('ok') else 'VIOLATED'}**", ""]
        for name, check in invariants.items():
            if name == "ok":
                continue
            detail = {k: v for k, v in check.items() if k != "ok" and v not in ([], None)}
            lines.append(f"- {name}: {'ok' if check['ok'] else 'FAILED'} — `{json.dumps(detail, ensure_ascii=False)}`")
    if meta.get("notes"):
        lines += ["", *[f"- {note}" for note in meta["notes"]]]
    return "\n".join(lines) + "\n"


def write(results: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    derive(results["steps"])
    results["targets"] = evaluate(results["steps"])
    json_path, md_path = out / "latest.json", out / "latest.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    md_path.write_text(markdown(results))
    # Keep each size's last result too, so a 100k and a 1M run can sit side by side.
    name = f"visits-{results['meta']['visits']}" + (
        "-proposed-indexes" if results["meta"].get("proposed_indexes") else ""
    )
    (out / f"{name}.json").write_text(json_path.read_text())
    (out / f"{name}.md").write_text(md_path.read_text())
    return json_path, md_path


# metric label, step, field, format
COMPARED = [
    ("ceiling, 8 clients: req/s", "ceiling_c8", "rps", "{:,.0f}"),
    ("ceiling: server CPU ms per request", "ceiling_c8", "server_cpu_ms_per_request", "{:,.2f}"),
    ("ceiling, 32 clients: req/s", "ceiling_c32", "rps", "{:,.0f}"),
    ("kiosk walk-in, 8 clients: req/s", "kiosk_c8", "rps", "{:,.1f}"),
    ("kiosk walk-in, 8 clients: share of ceiling", "kiosk_c8", "ratio_to_ceiling", "{:.1%}"),
    ("kiosk walk-in: server CPU ms per request", "kiosk_c8", "server_cpu_ms_per_request", "{:,.1f}"),
    ("kiosk walk-in: share of ceiling by server CPU", "kiosk_c8", "cpu_ratio_to_ceiling", "{:.1%}"),
    ("kiosk walk-in: server CPU in trivial pages", "kiosk_c8", "cpu_in_ceiling_pages", "{:,.0f}"),
    ("kiosk walk-in, 8 clients: p50 / p95 / p99 ms", "kiosk_c8", ("p50_ms", "p95_ms", "p99_ms"), "{:,.0f}"),
    ("kiosk walk-in, 32 clients: req/s", "kiosk_c32", "rps", "{:,.1f}"),
    ("kiosk walk-in, 32 clients: share of ceiling", "kiosk_c32", "ratio_to_ceiling", "{:.1%}"),
    ("kiosk walk-in, 32 clients: p50 / p95 / p99 ms", "kiosk_c32", ("p50_ms", "p95_ms", "p99_ms"), "{:,.0f}"),
    ("dashboard (300 on site): p50 / p95 ms", "dashboard", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("dashboard: server CPU ms per request", "dashboard", "server_cpu_ms_per_request", "{:,.0f}"),
    ("dashboard: server CPU in trivial pages", "dashboard", "cpu_in_ceiling_pages", "{:,.0f}"),
    ("dashboard self-refresh: p50 / p95 ms", "dashboard_live", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("dashboard self-refresh: server CPU in trivial pages", "dashboard_live", "cpu_in_ceiling_pages", "{:,.1f}"),
    (
        "dashboard refresh, nothing changed: server CPU in trivial pages",
        "dashboard_unchanged",
        "cpu_in_ceiling_pages",
        "{:,.1f}",
    ),
    ("search, name fragment (Latin): p50 / p95 ms", "search_name_latin", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("search, name (2 Chinese characters): p50 / p95 ms", "search_name_cjk", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("search, phone: p50 / p95 ms", "search_phone", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("search, company: p50 / p95 ms", "search_company", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("search, two Latin letters: p50 / p95 ms", "search_name_short", ("p50_ms", "p95_ms"), "{:,.0f}"),
    *(
        (f"search ({kind}): server CPU in trivial pages", f"search_{kind}", "cpu_in_ceiling_pages", "{:,.0f}")
        for kind in ("name_cjk", "phone", "company", "name_short")
    ),
    ("search (name, Latin): server CPU ms per request", "search_name_latin", "server_cpu_ms_per_request", "{:,.0f}"),
    ("search (phone): server CPU ms per request", "search_phone", "server_cpu_ms_per_request", "{:,.0f}"),
    ("search (name, Latin): server CPU in trivial pages", "search_name_latin", "cpu_in_ceiling_pages", "{:,.0f}"),
    ("API list visits: p50 / p95 ms", "api_visits", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("API list visits: server CPU in trivial pages", "api_visits", "cpu_in_ceiling_pages", "{:,.0f}"),
    ("CSV export, one year: rows", "csv_export", "rows", "{:,}"),
    ("CSV export: rows/s", "csv_export", "rows_per_s", "{:,.0f}"),
    ("CSV export: rows per server CPU second", "csv_export", "rows_per_server_cpu_s", "{:,.0f}"),
    ("CSV export: rows per trivial page", "csv_export", "rows_per_trivial_page", "{:,.0f}"),
    ("CSV export: worker memory growth MiB", "csv_export", "memory_growth_mib", "{:,.1f}"),
    ("insights, last month: p50 / p95 ms", "insights_month", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("insights, last month: server CPU in trivial pages", "insights_month", "cpu_in_ceiling_pages", "{:,.0f}"),
    ("insights, last 365 days: p50 / p95 ms", "insights_year", ("p50_ms", "p95_ms"), "{:,.0f}"),
    ("insights, last 365 days: server CPU in trivial pages", "insights_year", "cpu_in_ceiling_pages", "{:,.0f}"),
]


def compare(paths: list[Path]) -> str:
    """Runs side by side (e.g. 100k and 1M), one column each, as Markdown."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    for run in runs:
        derive(run["steps"])  # runs written before it was stored
    heads = []
    for run in runs:
        meta = run["meta"]
        head = f"{meta['visits']:,} visits"
        if meta.get("proposed_indexes"):
            head += " + proposed indexes"
        heads.append(f"{head}<br>{meta['started_at']}, CPU busy before {meta.get('cpu_busy_before_pct', '?')} %")
    lines = ["| measure | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(runs)]
    for label, step, field, fmt in COMPARED:
        cells = []
        for run in runs:
            data = run["steps"].get(step, {})
            fields = field if isinstance(field, tuple) else (field,)
            values = [data.get(f) for f in fields]
            if data.get("status") != "ok" or any(v is None for v in values):
                cells.append(data.get("status", "–") if data.get("status") != "ok" else "–")
            else:
                cells.append(" / ".join(fmt.format(v) for v in values))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    holds = ["all hold" if (run.get("invariants") or {}).get("ok") else "VIOLATED" for run in runs]
    lines.append("| invariants after the run | " + " | ".join(holds) + " |")
    small = next((run for run in runs if run["meta"]["visits"] == 100_000), None)
    large = next((run for run in runs if run["meta"]["visits"] == 1_000_000), None)
    if small and large:
        lines += ["", "| target across sizes | 100k | 1M | verdict |", "|---|---:|---:|---|"]
        for verdict in scale_verdicts(small["steps"], large["steps"]):
            lines.append(
                f"| {verdict['target']} | {_fmt(verdict['small'])} | {_fmt(verdict['large'])} | "
                f"{_verdict(verdict['met'])} |"
            )
    return "\n".join(lines) + "\n"


def scale_verdicts(small: dict, large: dict) -> list[dict]:
    """SCALE_TARGETS for a run at 100k visits (`small`) and one at 1M (`large`)."""
    verdicts = []
    for step, measure, ratio, label in SCALE_TARGETS:
        a, b = small.get(step, {}).get(measure), large.get(step, {}).get(measure)
        met = None if not a or b is None else b <= a * ratio
        verdicts.append({"target": label, "step": step, "small": a, "large": b, "met": met})
    return verdicts


if __name__ == "__main__":
    import sys

    print(compare([Path(p) for p in sys.argv[1:]]), end="")
