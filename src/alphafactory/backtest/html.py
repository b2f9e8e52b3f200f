"""Standalone HTML pages for reports: formatted tables and plotly figures, no templates."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

#: Metrics shown as percentages (fractions in the data).
PERCENT_METRICS: frozenset[str] = frozenset({
    "total_return", "cagr", "annual_volatility", "max_drawdown", "hit_rate", "alpha",
    "tracking_error", "gross_total_return", "depth",
})
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
)


def percent(value: object) -> str:
    """Format a fraction as a percentage with two decimals; blank for NaN or None."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{float(value):.2%}"  # type: ignore[arg-type]


def number(value: object) -> str:
    """Format a number with 4 significant digits (integers as they are); blank for NaN."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.0f}" if abs(value) >= 1e4 else f"{float(value):.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return str(value)


def metric_format(name: str) -> Callable[[object], str]:
    """The formatter of a metric, by name: percentages for returns and rates."""
    return percent if name in PERCENT_METRICS else number


def table_html(
    frame: pd.DataFrame,
    *,
    by_row: bool = False,
    formats: Mapping[str, Callable[[object], str]] | None = None,
    heat: bool = False,
) -> str:
    """Render a frame as an HTML table.

    Parameters
    ----------
    frame : DataFrame
        Rendered with its index as the first column.
    by_row : bool
        Choose each cell's format by its row label (a metrics table with metrics as rows);
        else by its column label.
    formats : mapping, optional
        Formatter per label; otherwise :func:`metric_format` of the label.
    heat : bool
        Colour cells by sign and size (green gains, red losses), as a monthly-returns heatmap.
    """
    formats = formats or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [frame.index.name or "", *frame])
    finite = frame.select_dtypes("number").to_numpy(dtype=np.float64) if heat else None
    scale = float(np.nanmax(np.abs(finite))) if finite is not None and np.isfinite(finite).any() \
        else 1.0
    rows = []
    for label, row in frame.iterrows():
        cells = [f"<td>{html.escape(number(label))}</td>"]
        for column, value in row.items():
            key = str(label if by_row else column)
            text = formats.get(key, metric_format(key))(value)
            style = _heat(value, scale) if heat else ""
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page_html(title: str, sections: Iterable[tuple[str, str]]) -> str:
    """A standalone page: a title, then ``(heading, html)`` sections (plotly.js inlined once)."""
    body = "".join(
        (f"<h2>{html.escape(heading)}</h2>" if heading else "") + content
        for heading, content in sections
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def figure_html(figure: go.Figure, *, first: bool = True) -> str:
    """A figure as an HTML fragment; ``first`` inlines plotly.js (once per page)."""
    return figure.to_html(full_html=False, include_plotlyjs=bool(first))


def write_page(path: str | Path, title: str, sections: Iterable[tuple[str, str]]) -> Path:
    """Write :func:`page_html` to ``path`` (its parent created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page_html(title, sections), encoding="utf-8")
    return path


def _heat(value: object, scale: float) -> str:
    if not isinstance(value, (float, np.floating)) or not np.isfinite(value) or scale <= 0:
        return ""
    strength = min(1.0, abs(float(value)) / scale) * 0.6
    colour = "0,150,60" if value >= 0 else "200,30,30"
    return f" style='background:rgba({colour},{strength:.2f})'"
