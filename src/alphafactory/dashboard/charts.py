"""Plotly figures for the dashboard, built from the tables of :mod:`.shaping`.

Each function takes plot-ready DataFrames and returns a ``plotly.graph_objects.Figure``; none
touches Streamlit, so they can be tested and reused in notebooks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "METRIC_LABELS",
    "cost_waterfall_figure",
    "depth_figure",
    "equity_drawdown_figure",
    "fills_figure",
    "fold_timeline_figure",
    "ic_by_fold_figure",
    "ic_decay_figure",
    "metric_interval_figure",
    "metric_label",
    "model_comparison_figure",
    "robustness_figure",
    "score_distribution_figure",
    "score_heatmap_figure",
    "shortfall_figure",
    "training_curves_figure",
    "validation_figure",
]

PALETTE = ("#3366CC", "#DC3912", "#FF9900", "#109618", "#990099", "#0099C6", "#DD4477",
           "#66AA00")
GOOD, BAD, NEUTRAL = "#1a9850", "#d73027", "#4d4d4d"
SEGMENT_COLORS = {"train": "#9ecae1", "validation": "#fdae6b", "test": "#31a354"}
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


METRIC_LABELS = {
    "ic": "IC", "rank_ic": "Rank IC", "icir": "ICIR", "sharpe": "Sharpe (net)",
    "sortino": "Sortino", "deflated_sharpe": "Deflated Sharpe", "max_drawdown": "Max drawdown",
    "calmar": "Calmar", "cagr": "CAGR", "hit_rate": "Hit rate", "turnover": "Turnover",
    "shortfall_bps": "Shortfall (bps)", "volatility": "Volatility", "ic_t": "IC t-stat",
    "rank_ic_t": "Rank IC t-stat", "long_short_sharpe": "Long-short Sharpe",
    "long_short_return_annual": "Long-short return (ann.)", "n_trials": "Trials",
}


def metric_label(metric: str) -> str:
    """Human label of a metric key (``rank_ic`` -> ``Rank IC``)."""
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"}, height=height,
                      margin=_MARGIN, legend={"orientation": "h", "y": -0.15},
                      hovermode="x unified")
    return fig


def _colors(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def equity_drawdown_figure(equity: pd.DataFrame, drawdown: pd.DataFrame) -> go.Figure:
    """Equity curves (top) and drawdowns in percent (bottom), one line per strategy."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32],
                        vertical_spacing=0.04)
    colors = _colors(list(equity.columns))
    for name in equity.columns:
        c = colors[name]
        wide = str(name).rsplit(":", 1)[-1] == "ensemble"
        fig.add_trace(go.Scatter(x=equity.index, y=equity[name], name=str(name), mode="lines",
                                 line={"color": c, "width": 2.2 if wide else 1.4},
                                 connectgaps=True, legendgroup=str(name)), row=1, col=1)
        fig.add_trace(go.Scatter(x=drawdown.index, y=100 * drawdown[name], name=str(name),
                                 mode="lines", line={"color": c, "width": 1.2},
                                 fill="tozeroy" if len(equity.columns) == 1 else None,
                                 connectgaps=True,
                                 legendgroup=str(name), showlegend=False), row=2, col=1)
    fig.update_yaxes(title_text="equity (start = 1)", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    return _layout(fig, "Equity net of costs and drawdown", height=480)


def metric_interval_figure(table: pd.DataFrame, metric: str) -> go.Figure:
    """One metric per model as a point with its confidence interval (when it has one)."""
    t = table[table["metric"] == metric]
    has_ci = t["low"].notna() & t["high"].notna()
    err_plus = np.where(has_ci, t["high"] - t["value"], np.nan)
    err_minus = np.where(has_ci, t["value"] - t["low"], np.nan)
    fig = go.Figure(go.Scatter(
        x=t["value"], y=t["model"], mode="markers",
        marker={"size": 11, "color": [GOOD if v > 0 else BAD for v in t["value"]]},
        error_x={"type": "data", "array": err_plus, "arrayminus": err_minus, "thickness": 2,
                 "width": 6},
        hovertemplate="%{y}: %{x:.3f}<extra></extra>",
    ))
    fig.add_vline(x=0, line={"color": NEUTRAL, "dash": "dot", "width": 1})
    level = t["level"].dropna()
    name = metric_label(metric)
    label = f"{name} with {level.iloc[0]:.0%} interval" if len(level) else name
    fig.update_layout(hovermode="closest")
    return _layout(fig, label, height=90 + 45 * max(len(t), 1))


def model_comparison_figure(table: pd.DataFrame, metrics: list[str]) -> go.Figure:
    """Grouped bars: one panel per metric, one bar per model."""
    metrics = [m for m in metrics if (table["metric"] == m).any()]
    fig = make_subplots(rows=1, cols=max(len(metrics), 1),
                        subplot_titles=[metric_label(m) for m in metrics])
    models = list(dict.fromkeys(table["model"]))
    colors = _colors(models)
    for j, metric in enumerate(metrics, start=1):
        t = table[table["metric"] == metric].set_index("model").reindex(models)
        fig.add_trace(go.Bar(x=models, y=t["value"], marker_color=[colors[m] for m in models],
                             showlegend=False, hovertemplate="%{x}: %{y:.3f}<extra></extra>"),
                      row=1, col=j)
    fig.update_layout(hovermode="closest")
    fig.update_annotations(font_size=12)
    fig = _layout(fig, "Model comparison", height=360)
    fig.update_layout(margin={**_MARGIN, "t": 80})
    return fig


def score_heatmap_figure(matrix: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of a ``symbols x timestamps`` matrix (diverging colors centred on the median)."""
    z = matrix.to_numpy(dtype="float64")
    mid = float(np.nanmedian(z)) if np.isfinite(z).any() else 0.0
    fig = go.Figure(go.Heatmap(z=z, x=matrix.columns, y=[str(s) for s in matrix.index],
                               colorscale="RdBu", zmid=mid, colorbar={"title": "score"},
                               hovertemplate="%{y} %{x}<br>%{z:.3f}<extra></extra>"))
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, height=max(300, 60 + 18 * len(matrix)))


def score_distribution_figure(predictions: pd.DataFrame) -> go.Figure:
    """Histogram of standardized scores per model (z-scores, so models are comparable)."""
    fig = go.Figure()
    models = list(dict.fromkeys(predictions["model"])) if "model" in predictions else [None]
    colors = _colors([str(m) for m in models])
    for model in models:
        s = predictions["score"] if model is None else predictions.loc[
            predictions["model"] == model, "score"]
        s = s[np.isfinite(s)]
        z = (s - s.mean()) / (s.std() or 1.0)
        fig.add_trace(go.Histogram(x=z, name=str(model), opacity=0.55, nbinsx=60,
                                   histnorm="probability density",
                                   marker_color=colors[str(model)]))
    fig.update_layout(barmode="overlay", hovermode="closest")
    fig.update_xaxes(title_text="score (z-score within model)")
    return _layout(fig, "Score distribution")


def ic_by_fold_figure(ic: pd.DataFrame, column: str = "rank_ic") -> go.Figure:
    """Bars of mean IC per fold, grouped by model."""
    labels = ic["fold"].map(lambda f: f"fold {int(f)}" if f >= 0 else "all folds")
    fig = px.bar(ic.assign(fold=labels), x="fold", y=column,
                 color="model", barmode="group", color_discrete_sequence=PALETTE)
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1})
    fig.update_layout(hovermode="closest")
    return _layout(fig, f"{'Rank IC' if column == 'rank_ic' else 'IC'} by walk-forward fold")


def ic_decay_figure(decay: pd.DataFrame) -> go.Figure:
    """Rank IC against the delay (bars) between the score and the trade."""
    fig = px.line(decay, x="lag", y="rank_ic", color="model", markers=True,
                  color_discrete_sequence=PALETTE)
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1})
    fig.update_xaxes(title_text="delay (bars)", dtick=1)
    return _layout(fig, "IC decay: Rank IC of a score acted on k bars late")


def fold_timeline_figure(timeline: pd.DataFrame) -> go.Figure:
    """Gantt chart of each fold's train, validation and test windows."""
    fig = px.timeline(timeline, x_start="start", x_end="end", y="fold", color="segment",
                      color_discrete_map=SEGMENT_COLORS)
    fig.update_yaxes(autorange="reversed", title_text="")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Walk-forward folds", height=160 + 40 * timeline["fold"].nunique())


def training_curves_figure(curves: pd.DataFrame) -> go.Figure:
    """Train and validation loss (left) and validation IC (right) per epoch, one color a fold."""
    has_ic = "val_ic" in curves.columns and curves["val_ic"].notna().any()
    fig = make_subplots(rows=1, cols=2 if has_ic else 1,
                        subplot_titles=["loss (solid train, dashed validation)", "validation IC"]
                        if has_ic else ["loss (solid train, dashed validation)"])
    folds = sorted(curves["fold"].unique())
    colors = _colors([str(f) for f in folds])
    for f in folds:
        c = curves[curves["fold"] == f].sort_values("epoch")
        col = colors[str(f)]
        if "train_loss" in c:
            fig.add_trace(go.Scatter(x=c["epoch"], y=c["train_loss"], name=f"fold {f}",
                                     line={"color": col}, legendgroup=str(f)), row=1, col=1)
        if "val_loss" in c:
            fig.add_trace(go.Scatter(x=c["epoch"], y=c["val_loss"], name=f"fold {f} val",
                                     line={"color": col, "dash": "dash"}, legendgroup=str(f),
                                     showlegend=False), row=1, col=1)
        if has_ic:
            fig.add_trace(go.Scatter(x=c["epoch"], y=c["val_ic"], name=f"fold {f}",
                                     line={"color": col}, legendgroup=str(f),
                                     showlegend=False), row=1, col=2)
    fig.update_xaxes(title_text="epoch")
    fig.update_annotations(font_size=12)
    fig = _layout(fig, "Training curves", height=400)
    fig.update_layout(margin={**_MARGIN, "t": 80})
    return fig


def robustness_figure(robustness: pd.DataFrame) -> go.Figure:
    """IC against input-noise epsilon, one line per model, dashed for FGSM attacks."""
    fig = go.Figure()
    models = list(dict.fromkeys(robustness["model"]))
    colors = _colors(models)
    kinds = list(dict.fromkeys(robustness["kind"])) if "kind" in robustness else [None]
    for model in models:
        for kind in kinds:
            r = robustness[robustness["model"] == model]
            if kind is not None:
                r = r[r["kind"] == kind]
            r = r.sort_values("eps")
            fig.add_trace(go.Scatter(
                x=r["eps"], y=r["ic"], mode="lines+markers",
                name=f"{model}" + (f" ({kind})" if kind else ""),
                line={"color": colors[model], "dash": "dash" if kind == "fgsm" else "solid"}))
    fig.add_hline(y=0, line={"color": NEUTRAL, "width": 1})
    fig.update_xaxes(title_text="epsilon (input noise, feature std units)")
    fig.update_yaxes(title_text="IC")
    return _layout(fig, "Robustness: IC under input perturbation")


def depth_figure(ladder: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative book depth by price: bids in green, asks in red."""
    fig = go.Figure()
    for side, color in (("bid", GOOD), ("ask", BAD)):
        s = ladder[ladder["side"] == side].sort_values("price")
        fig.add_trace(go.Scatter(x=s["price"], y=s["cum_qty"], name=side, mode="lines",
                                 line={"shape": "hv" if side == "ask" else "vh", "color": color},
                                 fill="tozeroy"))
    fig.update_xaxes(title_text="price")
    fig.update_yaxes(title_text="cumulative quantity")
    return _layout(fig, title)


def fills_figure(fills: pd.DataFrame, title: str) -> go.Figure:
    """Fill prices against the mid at each fill (buys green triangles, sells red)."""
    fills = fills.sort_values("timestamp")
    fig = go.Figure(go.Scatter(x=fills["timestamp"], y=fills["mid"], name="mid",
                               mode="lines", line={"color": NEUTRAL, "width": 1}))
    for side, color, symbol in (("B", GOOD, "triangle-up"), ("S", BAD, "triangle-down")):
        f = fills[fills["side"] == side]
        if len(f):
            fig.add_trace(go.Scatter(
                x=f["timestamp"], y=f["price"], mode="markers", name="buy" if side == "B"
                else "sell", marker={"color": color, "symbol": symbol, "size": 9},
                customdata=np.c_[f["qty"]], hovertemplate="%{y:.4f} x %{customdata[0]:.0f}"))
    fig.update_yaxes(title_text="price")
    return _layout(fig, title)


def shortfall_figure(shortfall: pd.DataFrame) -> go.Figure:
    """Histogram of implementation shortfall per parent order (bps; positive = cost)."""
    s = shortfall["shortfall_bps"]
    fig = go.Figure(go.Histogram(x=s, nbinsx=30, marker_color=PALETTE[0], name="parents"))
    mean = float(s.mean())
    fig.add_vline(x=mean, line={"color": BAD, "dash": "dash"},
                  annotation_text=f"mean {mean:.1f} bps", annotation_position="top right")
    fig.update_xaxes(title_text="shortfall vs arrival (bps)")
    fig.update_yaxes(title_text="parent orders")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Implementation shortfall per parent order")


def cost_waterfall_figure(waterfall: pd.DataFrame) -> go.Figure:
    """Waterfall from gross PnL through each cost to net PnL."""
    fig = go.Figure(go.Waterfall(
        x=waterfall["component"].str.replace("_", " "), y=waterfall["value"],
        measure=waterfall["measure"], connector={"line": {"color": "#bbbbbb"}},
        increasing={"marker": {"color": GOOD}}, decreasing={"marker": {"color": BAD}},
        totals={"marker": {"color": PALETTE[0]}}, texttemplate="%{y:,.0f}",
        textposition="outside"))
    fig.update_layout(hovermode="closest", showlegend=False)
    return _layout(fig, "Cost attribution: gross to net PnL")


def validation_figure(summary: pd.DataFrame) -> go.Figure:
    """Issues per validation rule, colored by severity."""
    fig = px.bar(summary, x="count", y="rule", color="severity", orientation="h",
                 color_discrete_map={"error": BAD, "warning": "#fdae61", "info": PALETTE[0]})
    fig.update_yaxes(autorange="reversed", title_text="")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Validation issues by rule", height=120 + 32 * len(summary))


def interventions_figure(interventions: pd.DataFrame) -> go.Figure:
    """Risk-manager interventions over time: one row per limit, a marker per action."""
    fig = go.Figure()
    symbols = {"scale": "triangle-down", "halt": "x", "reset": "circle-open"}
    for action, part in interventions.groupby("action", sort=False):
        fig.add_trace(go.Scatter(
            x=part["timestamp"], y=part["limit"], mode="markers", name=str(action),
            marker={"symbol": symbols.get(str(action), "circle"), "size": 9},
            customdata=part[["reason"]].to_numpy(), hovertemplate="%{customdata[0]}"))
    return _layout(fig, "Interventions", height=300)
