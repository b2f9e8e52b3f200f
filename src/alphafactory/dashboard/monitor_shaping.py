"""Tables and figures of the dashboard's Monitor page, free of Streamlit.

A monitor run (``alphafactory monitor run``) writes a run directory whose manifest has
``job = "monitor"``, with ``drift.json`` (``model`` {ref, path, version, name}, ``window``
{start, end, bars}, ``data_drift``, ``concept_drift`` {detectors, ic, rank_ic, hit_rate,
reference_ic, alarm, since}, ``verdict`` {data, concept}, ``alerts``, ``policy`` {on_drift,
action, cycle: null | {decision, version, alias}}) and the tables ``drift/features``
(timestamp, feature, ks, psi, p_value, drifted), ``drift/concept`` (timestamp, ic, rank_ic,
hit_rate, ``<detector>_statistic``, ``<detector>_alarm``) and ``drift/alerts`` (time, kind,
subject, severity, message, model_version, sent). The page shows the runs of one model together:
where the windows of two runs overlap, the newer run's rows win.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from alphafactory.dashboard.charts import BAD, GOOD, NEUTRAL, PALETTE
from alphafactory.dashboard.shaping import runs_of_job
from alphafactory.runs import Run

__all__ = [
    "HEATMAP_METRICS",
    "MONITOR_JOB",
    "alerts_table",
    "concept_frame",
    "decisions_table",
    "detector_names",
    "drift_report",
    "feature_frame",
    "feature_heatmap",
    "feature_heatmap_figure",
    "ic_figure",
    "model_name",
    "monitor_runs",
    "reference_ic",
    "runs_of_model",
]

MONITOR_JOB = "monitor"
HEATMAP_METRICS = {"-log10 p": "p_value", "PSI": "psi", "KS": "ks"}
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
_TEXT_TIME = "%Y-%m-%d %H:%M"  # tz-aware columns warn in Streamlit's serializer: show UTC text


# -- runs and reports -----------------------------------------------------------------------------
def monitor_runs(runs: Iterable[Run]) -> list[Run]:
    """The runs written by a monitor (manifest ``job == "monitor"``), newest first."""
    return runs_of_job(runs, MONITOR_JOB)


def drift_report(run: Run) -> dict[str, Any] | None:
    """``drift.json`` of ``run`` (None when absent or unreadable)."""
    path = run.path / "drift.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def model_name(run: Run) -> str:
    """The monitored model: ``drift.json``'s model name, else its ref, else the run's name."""
    model = (drift_report(run) or {}).get("model") or {}
    return str(model.get("name") or model.get("ref") or run.name)


def runs_of_model(runs: Sequence[Run], model: str, newest: int | None = None) -> list[Run]:
    """The runs of ``runs`` (newest first) that monitored ``model``, at most ``newest``."""
    found = [r for r in runs if model_name(r) == model]
    return found if newest is None else found[: max(int(newest), 0)]


def _tables(runs: Sequence[Run], name: str) -> pd.DataFrame | None:
    """Table ``name`` of every run that has it, with ``run`` (directory name) and ``age``
    (0 = newest run) columns; None when no run has it."""
    frames = []
    for age, run in enumerate(runs):
        df = run.read_table(name)
        if df is not None and len(df):
            named = any(n is not None for n in df.index.names)  # e.g. a timestamp index
            frames.append(df.reset_index(drop=not named).assign(run=run.path.name, age=age))
    return pd.concat(frames, ignore_index=True) if frames else None


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


# -- data drift -----------------------------------------------------------------------------------
def feature_frame(runs: Sequence[Run]) -> pd.DataFrame | None:
    """``drift/features`` of ``runs`` (newest first) in one frame, one row per (timestamp,
    feature): the newest run's where windows overlap; sorted by time. None without rows."""
    df = _tables(runs, "drift/features")
    if df is None:
        return None
    df["timestamp"] = _utc(df["timestamp"])
    df = df.sort_values("age", kind="stable").drop_duplicates(["timestamp", "feature"])
    return df.sort_values(["timestamp", "feature"]).reset_index(drop=True)


def feature_heatmap(features: pd.DataFrame, metric: str = "p_value"
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature x time matrices of a drift statistic and of the drifted flag.

    ``metric`` ``"p_value"`` is shown as ``-log10 p`` (comparable across features: each
    p-value comes from the feature's own calibrated null); ``"psi"`` and ``"ks"`` as stored.
    Features are ordered most drifted first (share of drifted bars, then the mean value).
    """
    values = features[metric].astype(np.float64)
    if metric == "p_value":
        values = -np.log10(values.clip(lower=1e-300))
    frame = features.assign(value=values, drifted=features["drifted"].astype(bool))
    matrix = frame.pivot(index="feature", columns="timestamp", values="value")
    flags = frame.pivot(index="feature", columns="timestamp", values="drifted")
    order = pd.DataFrame({"share": flags.fillna(False).astype(float).mean(axis=1),
                          "mean": matrix.mean(axis=1)}).sort_values(
        ["share", "mean"], ascending=False).index  # fmt: skip
    return matrix.loc[order], flags.loc[order].fillna(False).astype(bool)


def feature_heatmap_figure(matrix: pd.DataFrame, flags: pd.DataFrame,
                           label: str = "-log10 p") -> go.Figure:
    """Heatmap of a drift statistic, feature x bar, drifted cells marked with a cross."""
    x = list(matrix.columns)
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(dtype=float), x=x, y=[str(f) for f in matrix.index],
        colorscale="YlOrRd", colorbar={"title": label},
        hovertemplate="%{y} · %{x}: %{z:.3g}<extra></extra>"))  # fmt: skip
    rows, cols = np.nonzero(flags.to_numpy(dtype=bool))
    if len(rows):
        fig.add_trace(go.Scatter(
            x=[x[c] for c in cols], y=[str(flags.index[r]) for r in rows], mode="markers",
            name="drifted (BH)", marker={"symbol": "x-thin", "size": 7,
                                         "line": {"width": 1.5, "color": NEUTRAL}},
            hoverinfo="skip"))  # fmt: skip
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _layout(fig, f"Data drift per feature ({label}; crosses: drifted)",
                   height=max(280, 24 * len(matrix) + 140))


# -- concept drift --------------------------------------------------------------------------------
def reference_ic(report: Mapping[str, Any] | None) -> tuple[float, float]:
    """The reference IC mean and per-bar standard deviation a run was judged against.

    From ``concept_drift.reference_ic`` and ``reference_ic_std`` (or ``reference_ic_sd``),
    else from the model's stored reference statistics (``model.path``); NaN when unknown.
    """
    concept = (report or {}).get("concept_drift") or {}
    mean = _number(concept.get("reference_ic"))
    sd = _number(concept.get("reference_ic_std", concept.get("reference_ic_sd")))
    if math.isfinite(mean) and math.isfinite(sd):
        return mean, sd
    performance = _stored_performance(((report or {}).get("model") or {}).get("path"))
    if not math.isfinite(mean):
        mean = _number(performance.get("ic_mean"))
    if not math.isfinite(sd):
        sd = _number(performance.get("ic_std"))
    return mean, sd


def _stored_performance(path: Any) -> dict[str, Any]:
    if not path:
        return {}
    file = Path(str(path))
    file = file / "reference.json" if file.is_dir() else file
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(doc.get("performance") or {}) if isinstance(doc, dict) else {}


def concept_frame(runs: Sequence[Run]) -> pd.DataFrame | None:
    """``drift/concept`` of ``runs`` (newest first), one row per timestamp (the newest run's
    where windows overlap, but a detector alarm raised by any run on that bar kept), sorted by
    time, with each row's ``reference_ic`` and ``reference_sd`` from its run's report. None
    without rows."""
    df = _tables(runs, "drift/concept")
    if df is None:
        return None
    df["timestamp"] = _utc(df["timestamp"])
    alarms = [c for c in df.columns if c.endswith("_alarm")]
    raised = df[["timestamp", *alarms]].fillna(False).astype({c: bool for c in alarms})
    raised = raised.groupby("timestamp").any()  # an alarm any run raised stays shown
    df = df.sort_values("age", kind="stable").drop_duplicates("timestamp")
    df[alarms] = raised.loc[df["timestamp"]].to_numpy()
    refs = {r.path.name: reference_ic(drift_report(r)) for r in runs}
    df["reference_ic"] = [refs[name][0] for name in df["run"]]
    df["reference_sd"] = [refs[name][1] for name in df["run"]]
    return df.sort_values("timestamp").reset_index(drop=True)


def detector_names(concept: pd.DataFrame) -> list[str]:
    """Detectors with an ``<name>_alarm`` column in ``drift/concept``."""
    return [c.removesuffix("_alarm") for c in concept.columns if c.endswith("_alarm")]


def ic_figure(concept: pd.DataFrame, k: float = 3.0, rolling: int = 20) -> go.Figure:
    """Per-bar IC, its rolling mean, the reference IC with control limits ``+- k`` per-bar
    standard deviations, and each detector's alarms."""
    t = concept["timestamp"]
    ic = concept["ic"].astype(float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=ic, mode="lines", name="IC per bar",
                             line={"color": "#9ecae1", "width": 1}))
    fig.add_trace(go.Scatter(x=t, y=ic.rolling(rolling, min_periods=1).mean(), mode="lines",
                             name=f"IC, {rolling}-bar mean", line={"color": PALETTE[0]}))
    ref, sd = concept["reference_ic"].astype(float), concept["reference_sd"].astype(float)
    if ref.notna().any():
        fig.add_trace(go.Scatter(x=t, y=ref, mode="lines", name="reference IC",
                                 line={"color": GOOD, "shape": "hv"}))
    if (ref.notna() & sd.notna()).any():
        for sign, name in ((1, f"reference + {k:g} sd"), (-1, f"reference - {k:g} sd")):
            fig.add_trace(go.Scatter(x=t, y=ref + sign * k * sd, mode="lines", name=name,
                                     line={"color": BAD, "dash": "dash", "shape": "hv"},
                                     showlegend=sign == 1))  # fmt: skip
    symbols = ("x", "triangle-down", "diamond", "star", "square")
    for i, name in enumerate(detector_names(concept)):
        hit = concept[f"{name}_alarm"].fillna(False).astype(bool)
        if hit.any():
            fig.add_trace(go.Scatter(
                x=t[hit], y=ic[hit], mode="markers", name=f"{name} alarm",
                marker={"symbol": symbols[i % len(symbols)], "size": 11,
                        "color": PALETTE[(i + 1) % len(PALETTE)]}))  # fmt: skip
    fig.add_hline(y=0.0, line={"color": NEUTRAL, "width": 1})
    fig.update_yaxes(title_text="cross-sectional IC")
    fig.update_layout(hovermode="x unified")
    return _layout(fig, f"Realized IC and control limits (reference +- {k:g} sd)", height=400)


# -- alerts and decisions -------------------------------------------------------------------------
def alerts_table(runs: Sequence[Run]) -> pd.DataFrame:
    """Every alert of ``runs`` (``drift/alerts``), newest first, times as UTC text, with the
    run that raised it. Empty (with the columns) when there are none."""
    columns = ["time", "kind", "subject", "severity", "message", "model_version", "sent", "run"]
    df = _tables(runs, "drift/alerts")
    if df is None:
        return pd.DataFrame(columns=columns)
    df["time"] = _utc(df["time"])
    df = df.sort_values(["time", "age"], ascending=[False, True]).reset_index(drop=True)
    df["time"] = df["time"].dt.strftime(_TEXT_TIME)
    return df[[c for c in columns if c in df.columns]]


def decisions_table(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per run (newest first): its window, verdicts and what the drift policy did.

    Columns: ``run at``, ``window end``, ``version``, ``data drift``, ``concept drift``,
    ``on drift`` (the configured policy), ``action`` (what it did), ``cycle`` (the factory
    gate's decision, when a cycle ran), ``new version``, ``alias``, ``run``.
    """
    rows = []
    for run in runs:
        report = drift_report(run) or {}
        verdict = report.get("verdict") or {}
        policy = report.get("policy") or {}
        cycle = policy.get("cycle") or {}
        created = run.created_at
        rows.append({
            "run at": created.strftime(_TEXT_TIME) if created is not None else "",
            "window end": _text_time((report.get("window") or {}).get("end")),
            "version": str((report.get("model") or {}).get("version") or ""),
            "data drift": bool(verdict.get("data")),
            "concept drift": bool(verdict.get("concept")),
            "on drift": str(policy.get("on_drift") or ""),
            "action": str(policy.get("action") or ""),
            "cycle": _cycle_text(cycle.get("decision")),
            "new version": str(cycle.get("version") or ""),
            "alias": str(cycle.get("alias") or ""),
            "run": run.path.name,
        })  # fmt: skip
    columns = ["run at", "window end", "version", "data drift", "concept drift", "on drift",
               "action", "cycle", "new version", "alias", "run"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _cycle_text(decision: Any) -> str:
    if isinstance(decision, Mapping):
        passed = decision.get("passed")
        text = decision.get("summary") or ("promote" if passed is True else "keep champion")
        return str(text)
    return "" if decision is None else str(decision)


def _text_time(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return stamp.strftime(_TEXT_TIME)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"}, height=height,
                      margin=_MARGIN, legend={"orientation": "h", "y": -0.2})  # fmt: skip
    return fig
