"""Charts drawn on the server as SVG, from numbers only (issue #20): bars,
stacked bars and a heatmap. No script and no style attribute, so they pass
the CSP (style-src 'self', no inline script) and print and mail as they are;
every mark carries its number in `data-value` and a <title>, and the page
lists the same numbers in a table beside the chart.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Bootstrap's colours: each one has at least 3:1 contrast against white (WCAG 1.4.11).
PALETTE = ("#0d6efd", "#198754", "#b02a37", "#6f42c1", "#995c00", "#0a7a8a", "#495057")
WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 40, 28, 10


def _number(value) -> float:
    return float(value or 0)


def _label_every(count: int, room: int = 24) -> int:
    return max(1, -(-count // room))


def bar_chart(*, title: str, labels: list[str], series: list[tuple[str, list]]) -> SafeString:
    """Vertical bars, one per label, stacked when there are several series
    (name, values). The tallest stack fills the height; the axis names it."""
    count = max(1, len(labels))
    totals = [sum(_number(values[i]) for _name, values in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    plot_width, plot_height = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    slot = plot_width / count
    bar = max(1.0, slot * 0.8)
    marks = []
    for i, label in enumerate(labels):
        x = LEFT + i * slot + (slot - bar) / 2
        y = TOP + plot_height
        for index, (name, values) in enumerate(series):
            value = _number(values[i])
            height = plot_height * value / peak
            y -= height
            marks.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-label="{}" '
                    'data-series="{}" data-value="{}"><title>{}: {} {}</title></rect>',
                    _coordinate(x),
                    _coordinate(y),
                    _coordinate(bar),
                    _coordinate(height),
                    PALETTE[index % len(PALETTE)],
                    label,
                    name,
                    values[i] if values[i] is not None else 0,
                    label,
                    name,
                    values[i] if values[i] is not None else 0,
                )
            )
    every = _label_every(count)
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#212529">{}</text>',
        (
            (_coordinate(LEFT + i * slot + slot / 2), HEIGHT - 12, label)
            for i, label in enumerate(labels)
            if i % every == 0
        ),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
        '<text x="{}" y="{}" font-size="10" fill="#212529">{}</text>',
        (
            (LEFT + index * 130, HEIGHT - 8, PALETTE[index % len(PALETTE)], LEFT + index * 130 + 14, HEIGHT, name)
            for index, (name, _values) in enumerate(series)
        )
        if len(series) > 1
        else (),
    )
    axis = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#495057"></line>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#212529">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#212529">0</text>',
        LEFT,
        TOP + plot_height,
        WIDTH - 10,
        TOP + plot_height,
        LEFT - 4,
        TOP + 8,
        _plain(peak),
        LEFT - 4,
        TOP + plot_height,
    )
    height = HEIGHT + (14 if len(series) > 1 else 0)
    return format_html(
        '<svg class="insight-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "{}{}{}{}</svg>",
        WIDTH,
        height,
        title,
        axis,
        mark_safe("".join(marks)),
        ticks,
        legend,
    )


def heatmap(*, title: str, rows: list[str], columns: list[str], values: list[list]) -> SafeString:
    """A grid of cells, darker for larger numbers (the largest is darkest)."""
    peak = max((_number(value) for row in values for value in row), default=0) or 1
    label_width, cell_height = 150, 18
    cell_width = (WIDTH - label_width - 10) / max(1, len(columns))
    height = TOP + cell_height * len(rows) + 20
    cells = []
    for r, (row_label, row) in enumerate(zip(rows, values, strict=True)):
        y = TOP + r * cell_height
        cells.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#212529">{}</text>',
                label_width - 6,
                y + 13,
                row_label,
            )
        )
        for c, (column, value) in enumerate(zip(columns, row, strict=True)):
            share = _number(value) / peak
            cells.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="#0d6efd" fill-opacity="{}" '
                    'stroke="#dee2e6" data-label="{}" data-series="{}" data-value="{}"><title>{} {}: {}</title></rect>',
                    _coordinate(label_width + c * cell_width),
                    y,
                    _coordinate(cell_width),
                    cell_height,
                    f"{0.05 + 0.95 * share if value else 0:.2f}",
                    row_label,
                    column,
                    value if value is not None else 0,
                    row_label,
                    column,
                    value if value is not None else 0,
                )
            )
    every = _label_every(len(columns))
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#212529">{}</text>',
        (
            (_coordinate(label_width + c * cell_width + cell_width / 2), height - 4, column)
            for c, column in enumerate(columns)
            if c % every == 0
        ),
    )
    return format_html(
        '<svg class="insight-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "{}{}</svg>",
        WIDTH,
        height,
        title,
        mark_safe("".join(cells)),
        ticks,
    )


def _coordinate(value: float) -> str:
    # format_html escapes its arguments into strings before formatting them,
    # so numbers are formatted here.
    return f"{value:.1f}"


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def draw(table) -> SafeString:
    """The chart of an insights.Table, or "" for a table without one."""
    if not table.chart or not table.rows:
        return mark_safe("")
    labels = [str(row[0]) for row in table.rows]
    if table.chart == "heatmap":
        return heatmap(
            title=table.title,
            rows=labels,
            columns=[table.columns[i] for i in table.series],
            values=[[row[i] for i in table.series] for row in table.rows],
        )
    series = [(table.columns[i], [row[i] for row in table.rows]) for i in table.series]
    return bar_chart(title=table.title, labels=labels, series=series)
