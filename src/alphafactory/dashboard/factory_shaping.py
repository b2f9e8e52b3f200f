"""Tables and figures of the dashboard's Factory page, free of Streamlit.

A factory cycle (:func:`alphafactory.pipeline.factory_cycle.run_cycle`) writes a run directory
whose manifest has ``job = "factory"``, with the tables ``trials`` (``trial``, ``state``,
``value``, ``params`` JSON, ``fold_ic`` JSON list, ``seconds``, ``n_predictions``) and
``withheld_returns`` (index ``timestamp``; ``candidate`` and, with a champion, ``champion``: net
returns per bar), and ``decision.json`` (the gate's audit record). The registry side (champion,
challenger, alias history) comes from :class:`alphafactory.factory.Registry`; this module only
shapes what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from alphafactory.dashboard.charts import BAD, GOOD, NEUTRAL, PALETTE
from alphafactory.dashboard.shaping import runs_of_job
from alphafactory.runs import Run

__all__ = [
    "FACTORY_JOB",
    "decision_of",
    "default_registry_root",
    "factory_runs",
    "fold_ic_figure",
    "fold_ic_matrix",
    "history_table",
    "reasons",
    "registry_problem",
    "rules_table",
    "status_table",
    "trial_counts",
    "trial_value_figure",
    "trials_table",
    "verdict",
    "withheld_equity",
    "withheld_equity_figure",
]

FACTORY_JOB = "factory"
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


# -- runs and the decision ------------------------------------------------------------------------
def factory_runs(runs: Iterable[Run]) -> list[Run]:
    """The runs written by a factory cycle (manifest ``job == "factory"``), newest first."""
    return runs_of_job(runs, FACTORY_JOB)


def decision_of(run: Run) -> dict[str, Any] | None:
    """The gate's record of ``run``: ``decision.json``, else ``metrics.json``'s ``decision``."""
    path = run.path / "decision.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    found = (run.metrics or {}).get("decision")
    return dict(found) if isinstance(found, Mapping) else None


def verdict(decision: Mapping[str, Any]) -> str:
    """``"promote"`` when the gate passed, else ``"keep champion"``."""
    return "promote" if decision.get("passed") is True else "keep champion"


def reasons(decision: Mapping[str, Any]) -> str:
    """The decision's summary without its verdict (``"failed dsr (0.09 < 0.95), ..."``)."""
    summary = str(decision.get("summary") or "")
    head = f"{verdict(decision)}: "
    return summary[len(head):] if summary.startswith(head) else summary


def rules_table(decision: Mapping[str, Any]) -> pd.DataFrame:
    """One row per gate rule: ``rule``, ``passed``, ``value``, ``threshold``, ``detail``."""
    rows = [{"rule": str(r.get("name", "?")), "passed": bool(r.get("passed")),
             "value": _number(r.get("value")), "threshold": _number(r.get("threshold")),
             "detail": str(r.get("detail") or "")}
            for r in decision.get("rules") or []]  # fmt: skip
    return pd.DataFrame(rows, columns=["rule", "passed", "value", "threshold", "detail"])


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


# -- the study ------------------------------------------------------------------------------------
def trial_counts(trials: pd.DataFrame) -> dict[str, int]:
    """Trials by state (``complete``, ``pruned``, ``fail``, ...), the three main ones always."""
    counts = {"complete": 0, "pruned": 0, "fail": 0}
    for state, n in trials["state"].astype(str).value_counts().items():
        counts[state] = int(n)
    return counts


def _fold_ic(text: Any) -> list[float]:
    try:
        values = json.loads(text) if isinstance(text, str) else list(text)
    except (TypeError, ValueError):
        return []
    return [_number(v) for v in values]


def _describe(params: Mapping[str, Any]) -> dict[str, str]:
    """Split a trial's parameters into model, model parameters, label and families."""
    def fmt(mapping: Mapping[str, Any]) -> str:
        return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in mapping.items())  # fmt: skip

    if "model" not in params:  # raw Optuna parameters (a trial that failed before parsing)
        return {"model": "", "model_params": fmt(params), "label": "", "families": ""}
    label = dict(params.get("label") or {})
    kind = label.pop("kind", "")
    families = params.get("families")
    return {
        "model": str(params["model"]),
        "model_params": fmt(params.get("model_params") or {}),
        "label": f"{kind} {fmt(label)}".strip(),
        "families": ", ".join(families) if families else "",
    }


def trials_table(trials: pd.DataFrame) -> pd.DataFrame:
    """The study's trials, best search Sharpe first (trials without a value last).

    Columns: ``trial``, ``state``, ``value`` (the search Sharpe of a complete trial; NaN for the
    others, whose Optuna value is their last fold IC), ``model``, ``model_params``,
    ``label``, ``families``, ``folds`` (folds run before finishing or pruning),
    ``mean_fold_ic``, ``seconds``.
    """
    rows = []
    for row in trials.itertuples(index=False):
        try:
            params = json.loads(row.params) if isinstance(row.params, str) else {}
        except ValueError:
            params = {}
        ic = _fold_ic(getattr(row, "fold_ic", "[]"))
        finite = [v for v in ic if np.isfinite(v)]
        state = str(row.state)
        rows.append({"trial": int(row.trial), "state": state,
                     "value": _number(row.value) if state == "complete" else np.nan,
                     **_describe(params if isinstance(params, dict) else {}),
                     "folds": len(ic), "mean_fold_ic": float(np.mean(finite)) if finite else np.nan,
                     "seconds": _number(getattr(row, "seconds", None))})  # fmt: skip
    columns = ["trial", "state", "value", "model", "model_params", "label", "families", "folds",
               "mean_fold_ic", "seconds"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["value", "trial"], ascending=[False, True],
                             na_position="last").reset_index(drop=True)  # fmt: skip


def fold_ic_matrix(trials: pd.DataFrame) -> pd.DataFrame:
    """Fold IC per trial: index ``trial``, columns fold numbers (0, 1, ...); NaN after pruning."""
    series = {int(t): pd.Series(_fold_ic(ic), dtype=float)
              for t, ic in zip(trials["trial"], trials["fold_ic"], strict=True)}  # fmt: skip
    matrix = pd.DataFrame(series).T.sort_index()
    matrix.index.name = "trial"
    matrix.columns.name = "fold"
    return matrix


def withheld_equity(returns: pd.DataFrame) -> pd.DataFrame:
    """Cumulative equity (start 1) of each column of per-bar net returns; all-NaN columns go."""
    kept = returns.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
    return (1.0 + kept.fillna(0.0)).cumprod()


# -- the registry ---------------------------------------------------------------------------------
def default_registry_root(runs_root: Path, cwd: Path | None = None) -> Path:
    """Where the registry probably is: ``mlruns`` beside the runs root, else in ``cwd``.

    The first of the two holding an MLflow database; the first when neither does.
    """
    candidates = [Path(runs_root).absolute().parent / "mlruns", Path(cwd or Path.cwd()) / "mlruns"]
    for candidate in candidates:
        if (candidate / "mlflow.db").is_file():
            return candidate
    return candidates[0]


def registry_problem(root: Path) -> str | None:
    """Why ``root`` cannot be read as a factory store (None when it can be tried)."""
    if not root.is_dir():
        return f"`{root}` does not exist"
    if not (root / "mlflow.db").is_file():
        return f"`{root}` holds no MLflow database (`mlflow.db`)"
    return None


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Registry.history` newest first, its ``time`` as UTC text to the second."""
    table = history.iloc[::-1].reset_index(drop=True)
    if "time" in table.columns:
        table["time"] = pd.to_datetime(table["time"], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
    return table


def status_table(status: Mapping[str, Any], study: str | None = None) -> pd.DataFrame:
    """Champion and challenger from :meth:`Registry.status`, one row each.

    Columns: ``alias``, ``version``, ``gate`` (passed / failed / n/a), ``failed rules``,
    ``study`` and ``this run`` (the version came from the study ``study``).
    """
    rows = []
    for alias in ("champion", "challenger"):
        entry = status.get(alias)
        if not entry:
            rows.append({"alias": alias, "version": "", "gate": "none", "failed rules": "",
                         "study": "", "this run": False})
            continue
        decision = entry.get("decision") or {}
        passed = decision.get("passed")
        rows.append({
            "alias": alias, "version": str(entry.get("version")),
            "gate": "n/a" if passed is None else ("passed" if passed else "failed"),
            "failed rules": ", ".join(map(str, decision.get("failed") or [])),
            "study": str(decision.get("study") or ""),
            "this run": bool(study) and decision.get("study") == study,
        })  # fmt: skip
    return pd.DataFrame(rows)


# -- figures --------------------------------------------------------------------------------------
def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"}, height=height,
                      margin=_MARGIN, legend={"orientation": "h", "y": -0.2})  # fmt: skip
    return fig


def trial_value_figure(trials: pd.DataFrame) -> go.Figure:
    """Search Sharpe by trial number, the running best, and pruned trials as dotted lines."""
    table = trials.sort_values("trial")
    scored = table[table["value"].notna()]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=scored["trial"], y=scored["value"], mode="markers", name="trial",
        marker={"color": PALETTE[0], "size": 8}, customdata=scored["state"],
        hovertemplate="trial %{x}: %{y:.3f} (%{customdata})<extra></extra>"))  # fmt: skip
    if len(scored):
        fig.add_trace(go.Scatter(x=scored["trial"], y=scored["value"].cummax(), mode="lines",
                                 name="best so far", line={"color": GOOD, "shape": "hv"}))
    pruned = table.loc[table["state"] == "pruned", "trial"]
    for trial in pruned:
        fig.add_vline(x=float(trial), line={"color": BAD, "dash": "dot", "width": 1})
    if len(pruned):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="pruned",
                                 line={"color": BAD, "dash": "dot", "width": 1}))
    fig.update_xaxes(title_text="trial")
    fig.update_yaxes(title_text="search Sharpe (net)")
    return _layout(fig, "Trial value by trial number")


def fold_ic_figure(matrix: pd.DataFrame) -> go.Figure:
    """Heatmap of fold IC, trial x fold (blank where a pruned trial stopped)."""
    values = matrix.to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
        colorscale="RdBu", zmid=0.0, zmin=-bound, zmax=bound, colorbar={"title": "IC"},
        hovertemplate="trial %{y}, fold %{x}: IC %{z:.3f}<extra></extra>"))  # fmt: skip
    fig.update_xaxes(title_text="fold")
    fig.update_yaxes(title_text="trial", autorange="reversed", type="category")
    return _layout(fig, "Fold IC per trial", height=max(260, 22 * len(matrix) + 120))


def withheld_equity_figure(equity: pd.DataFrame) -> go.Figure:
    """Candidate (and champion) equity over the withheld window."""
    colors = {"candidate": PALETTE[0], "champion": NEUTRAL}
    fig = go.Figure()
    for i, name in enumerate(equity.columns):
        fig.add_trace(go.Scatter(x=equity.index, y=equity[name], name=str(name), mode="lines",
                                 line={"color": colors.get(str(name), PALETTE[(i + 2) % 8])}))
    fig.update_yaxes(title_text="equity (start = 1)")
    fig.update_layout(hovermode="x unified")
    return _layout(fig, "Withheld window: cumulative net returns", height=380)
