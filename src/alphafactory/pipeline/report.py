"""The report step: a workflow's tables, metrics and files, written as one run directory.

The steps add to a :class:`RunRecord` in memory; :func:`write_run` creates the run directory
only at the end and removes it again if writing fails, so the runs root never holds a run
without its metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphafactory.runs import Run

if TYPE_CHECKING:
    from alphafactory.backtest import BacktestResult
    from alphafactory.models import ModelArtifact
    from alphafactory.pipeline.workflow import WorkflowConfig
    from alphafactory.training.walk_forward import WalkForwardResult


@dataclass(slots=True)
class RunRecord:
    """Everything a workflow run will write, collected step by step."""

    tables: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    equity: dict[str, pd.Series] = field(default_factory=dict)
    tearsheets: dict[str, BacktestResult] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    artifacts: dict[str, ModelArtifact] = field(default_factory=dict)
    samples: dict[str, dict[str, float]] = field(default_factory=dict)
    n_trials: int = 0
    several: bool = False

    def key(self, dataset: str, strategy: str) -> str:
        """A strategy's name in the run: ``dataset:strategy`` with several datasets, else as is."""
        return f"{dataset}:{strategy}" if self.several else strategy

    def add_table(self, name: str, frame: pd.DataFrame) -> None:
        """Append rows to table ``name`` (written as one Parquet file)."""
        self.tables.setdefault(name, []).append(frame)

    def add_walk_forward(
        self,
        dataset: str,
        results: Mapping[str, WalkForwardResult],
        *,
        returns: pd.Series | None = None,
    ) -> None:
        """Add the predictions, folds and training curves of every model of a dataset, and the
        ``classification`` table of each classifier (trading metrics from ``returns``, the
        return of a trade on each label, when given)."""
        from alphafactory.training.report import (
            classification_table,
            curve_table,
            dropped_metrics,
            fold_table,
            prediction_table,
        )

        for model, result in results.items():
            # Every feature row the walk-forward did not use, by cause (metrics.json "samples").
            self.samples[self.key(dataset, model)] = dropped_metrics(result)
            for table, frame in (("predictions", prediction_table(result)),
                                 ("folds", fold_table(result)),
                                 ("training_curves", curve_table(result))):  # fmt: skip
                self.add_table(table, frame.assign(model=self.key(dataset, model)))
            if {"p_up", "p_down"} & set(result.predictions.columns):  # a classifier
                table = classification_table(result, returns)
                self.add_table("classification", table.assign(model=self.key(dataset, model)))

    def add_backtest(self, key: str, result: BacktestResult, *, tearsheet: bool) -> None:
        """Add a strategy's equity curve (starting at 1) and its trades (the runs contract)."""
        self.equity[key] = result.equity / result.initial_cash
        trades = result.trades
        if len(trades):
            self.add_table("trades", pd.DataFrame({
                "timestamp": trades["timestamp"], "symbol": trades["symbol"], "model": key,
                "qty": trades["shares"], "price": trades["price"], "notional": trades["notional"],
                "cost": trades["spread"] + trades["impact"] + trades["commission"],
            }))  # fmt: skip
        if tearsheet:
            self.tearsheets[key] = result


def write_run(
    config: WorkflowConfig,
    record: RunRecord,
    *,
    root: str | Path | None,
    path: str | Path | None,
    name: str,
    seconds: float,
) -> Run:
    """Create the run directory and write the record into it; remove it if anything fails."""
    run = Run.create(name, config.to_mapping(), seed=config.seed, root=root, path=path,
                     staged=True)  # fmt: skip
    try:
        for table, frames in record.tables.items():
            # An empty validation table is a result ("no issues"), so it is written too.
            kept = [f for f in frames if len(f)] or frames[:1]
            run.write_table(table, pd.concat(kept, ignore_index=True))
        if record.equity:
            run.write_table("equity", pd.DataFrame(record.equity).rename_axis("timestamp"))
        _copy_signals(run, record.files)
        for key, artifact in record.artifacts.items():
            artifact.save(run.path / "models" / key.replace(":", "/"))
        for key, result in record.tearsheets.items():
            result.to_html(run.figures_dir / f"tearsheet_{key.replace(':', '_')}.html")
        metrics: dict[str, Any] = {"models": record.metrics, "n_trials": record.n_trials,
                                   "seconds": seconds}  # fmt: skip
        if record.samples:
            metrics["samples"] = record.samples
        run.write_metrics(metrics)
        run.write_manifest(data_fingerprints=record.fingerprints, n_trials=record.n_trials,
                           extra={"job": config.job})  # fmt: skip
    except BaseException:
        run.discard()
        raise
    return run.publish()


def _copy_signals(run: Run, files: Mapping[str, Path]) -> None:
    """Copy signal files (and sidecars) in: ``signals.csv`` for one, ``signals_<dataset>`` else."""
    from alphafactory.signals import sidecar_path

    for dataset, file in files.items():
        stem = "signals" if len(files) == 1 else f"signals_{dataset}"
        copy = run.copy_file(file, f"{stem}{file.suffix}")
        sidecar = sidecar_path(file)
        if sidecar.is_file():
            run.copy_file(sidecar, sidecar_path(copy).name)


def summary_table(metrics: Mapping[str, Mapping[str, Any]], dataset: str = "") -> pd.DataFrame:
    """One row per strategy: IC, Rank IC, net Sharpe (95% CI), DSR, max drawdown, shortfall.

    Keys are ``dataset:strategy``, or a strategy of ``dataset``. Runs without a backtest have
    only the IC columns.
    """
    rows = []
    for key, m in metrics.items():
        dataset, strategy = key.split(":", 1) if ":" in key else (dataset, key)
        row: dict[str, Any] = {"dataset": dataset, "strategy": strategy, "IC": m["ic"],
                               "Rank IC": m["rank_ic"]}  # fmt: skip
        sharpe = m.get("sharpe")
        if isinstance(sharpe, Mapping):
            row |= {
                "Sharpe (net)": sharpe["value"],
                "Sharpe 95% CI": f"[{sharpe['low']:.2f}, {sharpe['high']:.2f}]",
                "DSR": m["deflated_sharpe"],
                "trials": m["n_trials"],
                "max DD": m["max_drawdown"],
                "IS (bps)": m.get("shortfall_bps", float("nan")),
            }
        else:
            row |= {"ICIR": m["icir"], "trials": m["n_trials"]}
        rows.append(row)
    return pd.DataFrame(rows)


def format_summary(summary: pd.DataFrame) -> str:
    """The terminal table of a summary: numbers rounded, a dash for no shortfall."""
    table = summary.copy()
    for column in ("IC", "Rank IC", "ICIR", "Sharpe (net)", "DSR", "max DD"):
        if column in table:
            table[column] = table[column].map(lambda v: f"{v:.3f}")
    if "IS (bps)" in table:
        table["IS (bps)"] = table["IS (bps)"].map(lambda v: "-" if pd.isna(v) else f"{v:.1f}")
    return table.to_string(index=False)
