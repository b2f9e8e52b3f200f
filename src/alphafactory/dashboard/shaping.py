"""Pure table shaping for the dashboard: run artifacts in, plot-ready DataFrames out.

No Streamlit here, so every function can be tested directly. Inputs follow the run directory
contract of :mod:`alphafactory.runs`; a missing optional column gives an empty result rather
than an exception, so pages can explain what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.backtest import Comparison, compare, equity_to_returns
from alphafactory.dashboard.signal_shaping import flat, ic_by_fold, ic_decay, score_matrix
from alphafactory.runs import Run

__all__ = [
    "COMPARISON_METRICS",
    "COST_COMPONENTS",
    "HEADLINE_METRICS",
    "REQUIRED_COLUMNS",
    "cost_waterfall",
    "dataset_of",
    "datasets",
    "depth_ladder",
    "drawdown",
    "equity_frame",
    "equity_in_dataset",
    "flat",
    "fold_timeline",
    "headline_metrics",
    "headline_model",
    "ic_by_fold",
    "ic_decay",
    "in_dataset",
    "metrics_table",
    "metrics_wide",
    "missing_columns",
    "run_level_metrics",
    "runs_overview",
    "score_matrix",
    "strategy_comparison",
    "validation_summary",
]

HEADLINE_METRICS: tuple[str, ...] = (
    "ic", "rank_ic", "sharpe", "long_short_sharpe", "deflated_sharpe", "max_drawdown",
    "shortfall_bps",
)
COMPARISON_METRICS: tuple[str, ...] = (
    "sharpe", "long_short_sharpe", "rank_ic", "ic", "deflated_sharpe",
)
COST_COMPONENTS: tuple[str, ...] = (
    "gross_pnl", "spread", "impact", "opportunity", "fees", "net_pnl",
)


# Columns (or index levels) a page needs from each table; others are optional.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "predictions": ("timestamp", "symbol", "score"),
    "folds": ("fold",),
    "training_curves": ("fold", "epoch"),
    "robustness": ("model", "eps", "ic"),
    "execution/book": ("timestamp", "symbol", "side", "price", "qty"),
    "execution/fills": ("timestamp", "symbol", "side", "price"),
    "execution/shortfall": ("shortfall_bps",),
    "execution/cost_attribution": ("component", "value"),
    "validation": ("rule",),
}


def runs_of_job(runs: Iterable[Run], job: str) -> list[Run]:
    """The runs whose manifest names ``job`` (``"factory"``, ``"monitor"``), newest first."""
    found = [r for r in runs if (r.manifest or {}).get("job") == job]
    oldest = pd.Timestamp.min.tz_localize("UTC")
    return sorted(found, key=lambda r: (r.created_at or oldest, r.path.name), reverse=True)


def missing_columns(df: pd.DataFrame, name: str) -> list[str]:
    """Columns (or index levels) that table ``name`` needs and ``df`` lacks."""
    have = set(map(str, df.columns)) | {str(n) for n in df.index.names if n is not None}
    return [c for c in REQUIRED_COLUMNS.get(name, ()) if c not in have]


def dataset_of(model: str) -> str | None:
    """The dataset prefix of a model key (``"sample:lstm"`` -> ``"sample"``), else None."""
    return model.rsplit(":", 1)[0] if ":" in model else None


def datasets(models: Iterable[str]) -> list[str]:
    """The distinct dataset prefixes of model keys, in order of appearance."""
    found = (dataset_of(str(m)) for m in models)
    return list(dict.fromkeys(d for d in found if d is not None))


def in_dataset(df: pd.DataFrame, dataset: str | None, column: str = "model") -> pd.DataFrame:
    """Keep the rows of one dataset and drop the prefix from their model keys.

    Rows match when their ``model`` key reads ``"<dataset>:<model>"`` or their ``dataset``
    column equals ``dataset``. With ``dataset=None``, or when no model key carries a dataset,
    the model keys are left as they are.
    """
    if dataset is None:
        return df
    out = df
    if "dataset" in out.columns:
        out = out[out["dataset"].astype(str) == dataset]
    if column in out.columns:
        keys = out[column].astype(str)
        if not keys.str.contains(":", regex=False).any():
            return out  # keys without datasets are shown as they are
        mine = keys.str.startswith(f"{dataset}:")
        out = out[mine].assign(**{column: keys[mine].str.slice(len(dataset) + 1)})
    return out


def equity_in_dataset(equity: pd.DataFrame, dataset: str | None) -> pd.DataFrame:
    """Equity columns of one dataset, named without the prefix, on that dataset's dates."""
    eq = equity_frame(equity)
    if dataset is None:
        return eq
    cols = [c for c in eq.columns if str(c).startswith(f"{dataset}:")]
    out = eq[cols].rename(columns=lambda c: str(c)[len(dataset) + 1:])
    return out.dropna(how="all")


def equity_frame(equity: pd.DataFrame) -> pd.DataFrame:
    """Return equity curves indexed by timestamp with one float column per strategy.

    Accepts the index form (``timestamp`` index) or a ``timestamp`` column; drops non-numeric
    columns.
    """
    if "timestamp" in equity.columns:
        equity = equity.set_index("timestamp")
    numeric = equity.select_dtypes(include="number").astype("float64")
    return numeric.sort_index()


def drawdown(equity: pd.DataFrame) -> pd.DataFrame:
    """Return the drawdown of each equity column: ``equity / running_max - 1`` (<= 0)."""
    eq = equity_frame(equity)
    return eq / eq.cummax() - 1.0


def strategy_comparison(
    equity: pd.DataFrame, *, n_trials: int | None = None, benchmark: str | None = None
) -> Comparison:
    """Compare a run's strategies from their equity curves (net, starting at 1.0).

    Per-bar returns come from :func:`alphafactory.backtest.equity_to_returns`; a strategy with
    fewer than two returns is left out. ``benchmark`` names a column to measure the others
    against (alpha, beta, tracking error, information ratio); ``n_trials`` defaults to the
    number of strategies (see :func:`alphafactory.backtest.compare`).
    """
    returns = equity_to_returns(equity_frame(equity))
    series = {str(c): returns[c].dropna() for c in returns.columns}
    series = {name: r for name, r in series.items() if len(r) >= 2}
    bench = series.pop(benchmark) if benchmark is not None and benchmark in series else None
    if not series:
        raise ValueError("no strategy with at least two equity values to compare.")
    return compare(series, benchmark=bench, n_trials=n_trials)


def metrics_table(metrics: Mapping[str, Any] | None) -> pd.DataFrame:
    """Flatten ``metrics.json``'s ``models`` section into rows.

    Returns
    -------
    DataFrame
        Columns ``model, metric, value, low, high, level``; ``low``/``high`` are NaN for a
        metric without a confidence interval. Non-numeric entries are skipped.
    """
    rows: list[dict[str, Any]] = []
    models = (metrics or {}).get("models") or {}
    for model, values in models.items():
        if not isinstance(values, Mapping):
            continue
        for metric, v in values.items():
            if isinstance(v, Mapping):
                value, low, high = v.get("value"), v.get("low"), v.get("high")
                level = v.get("level", 0.95)
            else:
                value, low, high, level = v, None, None, None
            if isinstance(value, bool) or not isinstance(value, (int, float, type(None))):
                continue
            rows.append({"model": str(model), "metric": str(metric), "value": value,
                         "low": low, "high": high, "level": level})
    table = pd.DataFrame(rows, columns=["model", "metric", "value", "low", "high", "level"])
    for col in ("value", "low", "high", "level"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("float64")
    return table


def headline_model(models: list[str]) -> str:
    """The model shown first: the (first) ensemble when there is one, else the first model.

    Model keys may carry a dataset prefix (``"sample:ensemble"``).
    """
    if not models:
        raise ValueError("headline_model needs at least one model")
    return next((m for m in models if m.rsplit(":", 1)[-1] == "ensemble"), models[0])


def headline_metrics(table: pd.DataFrame, model: str) -> dict[str, float]:
    """Return the headline metrics of one model (those of ``HEADLINE_METRICS`` it has)."""
    rows = table[table["model"] == model].set_index("metric")["value"]
    return {m: float(rows[m]) for m in HEADLINE_METRICS if m in rows.index}


def metrics_wide(table: pd.DataFrame) -> pd.DataFrame:
    """Pivot a metrics table to ``models x metrics``; intervals become ``"<metric> CI"`` text."""
    if table.empty:
        return pd.DataFrame()
    wide = table.pivot_table(index="model", columns="metric", values="value", sort=False)
    ci = table[table["low"].notna() & table["high"].notna()]
    for metric, part in ci.groupby("metric", sort=False):
        text = part.set_index("model").apply(
            lambda r: f"[{r['low']:.3g}, {r['high']:.3g}]", axis=1)
        wide.insert(wide.columns.get_loc(metric) + 1, f"{metric} CI", text.reindex(wide.index))
    wide.columns.name = None
    return wide


def run_level_metrics(metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the scalar top-level entries of ``metrics.json`` (everything but ``models``)."""
    return {k: v for k, v in (metrics or {}).items()
            if k != "models" and isinstance(v, (int, float, str))}


def fold_timeline(folds: pd.DataFrame) -> pd.DataFrame:
    """Turn the ``folds`` table into segments for a timeline chart.

    Returns
    -------
    DataFrame
        Columns ``fold`` (label "fold k"), ``segment`` (train | validation | test), ``start``,
        ``end``; one row per fold and segment present, from the first model's folds.
    """
    cols = ["fold", "segment", "start", "end"]
    df = flat(folds)
    if "fold" not in df.columns:
        return pd.DataFrame(columns=cols)
    if "model" in df.columns:
        # One model's folds per dataset (model keys may read "<dataset>:<model>").
        models = pd.Series(sorted(df["model"].astype(str).unique()))
        dataset = models.str.rsplit(":", n=1).str[0].where(models.str.contains(":"), "")
        keep = models.groupby(dataset.to_numpy(), sort=False).first()
        df = df[df["model"].isin(keep.to_numpy())]
        prefix = df["model"].astype(str).map(
            lambda m: f"{m.rsplit(':', 1)[0]} · " if ":" in m else "")
    else:
        prefix = pd.Series("", index=df.index)
    rows = []
    for (_, r), label in zip(df.iterrows(), prefix, strict=True):
        for seg, key in (("train", "train"), ("validation", "val"), ("test", "test")):
            start, end = r.get(f"{key}_start"), r.get(f"{key}_end")
            if pd.notna(start) and pd.notna(end):
                rows.append({"fold": f"{label}fold {int(r['fold'])}", "segment": seg,
                             "start": pd.Timestamp(start), "end": pd.Timestamp(end)})
    return pd.DataFrame(rows, columns=cols)


def depth_ladder(book: pd.DataFrame, symbol: Any, timestamp: Any) -> pd.DataFrame:
    """Cumulative depth of one book snapshot.

    Returns
    -------
    DataFrame
        Columns ``side, level, price, qty, cum_qty``, bids by descending price, asks by
        ascending price.
    """
    df = flat(book)
    snap = df[(df["symbol"] == symbol) & (df["timestamp"] == timestamp)]
    parts = []
    for side, ascending in (("bid", False), ("ask", True)):
        s = snap[snap["side"] == side].sort_values("price", ascending=ascending)
        parts.append(s.assign(cum_qty=s["qty"].cumsum()))
    out = pd.concat(parts, ignore_index=True)
    if "level" not in out.columns:
        out["level"] = out.groupby("side").cumcount()
    return out[["side", "level", "price", "qty", "cum_qty"]]


def cost_waterfall(attribution: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """Order cost attribution components for a waterfall from gross to net PnL.

    Returns
    -------
    DataFrame
        Columns ``component, value, measure`` where ``measure`` is ``relative`` for the steps
        and ``total`` for ``net_pnl`` (the plotly waterfall convention). Known components come
        in the contract's order, unknown ones before ``net_pnl``.
    """
    df = flat(attribution)
    if model is not None and "model" in df.columns:
        df = df[df["model"] == model]
    if df.empty or not {"component", "value"} <= set(df.columns):
        return pd.DataFrame(columns=["component", "value", "measure"])
    df = df.groupby("component", sort=False, as_index=False)["value"].sum()
    order = {c: i for i, c in enumerate(COST_COMPONENTS)}
    df["_order"] = df["component"].map(lambda c: order.get(c, len(COST_COMPONENTS) - 1.5))
    df = df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    df["measure"] = np.where(df["component"] == "net_pnl", "total", "relative")
    return df


def validation_summary(validation: pd.DataFrame) -> pd.DataFrame:
    """Count validation issues per rule and severity, most frequent first.

    Returns
    -------
    DataFrame
        Columns ``rule, severity, count, symbols`` (number of distinct symbols affected).
    """
    df = flat(validation)
    if df.empty or "rule" not in df.columns:
        return pd.DataFrame(columns=["rule", "severity", "count", "symbols"])
    if "severity" not in df.columns:
        df = df.assign(severity="error")
    if "symbol" not in df.columns:
        df = df.assign(symbol="")
    out = (df.groupby(["rule", "severity"], as_index=False)
             .agg(count=("rule", "size"), symbols=("symbol", "nunique")))
    return out.sort_values(["count", "rule"], ascending=[False, True]).reset_index(drop=True)


def runs_overview(runs: list[Run]) -> pd.DataFrame:
    """One row per run: name, creation time, seed, models, which artifacts it holds, and its
    status (``complete``, ``running``, ``stopped mid-run``, plus the damaged files of a
    damage-tolerant view, :class:`alphafactory.dashboard.damage.ShownRun`)."""
    rows = []
    for run in runs:
        manifest = run.manifest or {}
        metrics = run.metrics or {}
        present = [n for n in ("predictions", "equity", "folds", "execution/fills", "validation")
                   if run.has_table(n)]
        rows.append({
            "run": run.path.name,
            "name": run.name,
            "created (UTC)": run.created_at,
            "seed": manifest.get("seed"),
            "models": ", ".join((metrics.get("models") or {}).keys()),
            "artifacts": ", ".join(present) or "config and manifest only",
            "commit": ((manifest.get("git") or {}).get("commit") or "")[:10],
            "status": _status(run),
        })
    return pd.DataFrame(rows)


def _status(run: Run) -> str:
    state = run.state
    text = {"complete": "complete", "running": "running"}.get(state, "stopped mid-run")
    damaged = getattr(run, "damaged", None)
    return f"{text}; damaged: {', '.join(sorted(damaged))}" if damaged else text
