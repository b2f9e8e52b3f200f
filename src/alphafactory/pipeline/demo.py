"""The demo job: bundled and synthetic bars to signals, backtests, book execution and a run.

Per dataset: validate the bars, build causal features and next-open labels, walk LSTM, TCN and
Transformer forward (out-of-sample scores only), add a rank-average ensemble fixed in advance,
export the signals, backtest every strategy with square-root costs at the next open, and execute
the ensemble's rebalances through the C++ book. Everything lands in one run directory.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alphafactory.data import fingerprint, load_sample, synthetic_market, validate_ohlcv
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.pipeline.config import DatasetSettings, DemoConfig
from alphafactory.pipeline.execution_step import execute_in_book
from alphafactory.pipeline.strategies import (
    rank_average,
    run_backtest,
    strategy_metrics,
    strategy_weights,
)
from alphafactory.runs import Run
from alphafactory.signals import export_signals
from alphafactory.training import walk_forward
from alphafactory.training.report import curve_table, fold_table, prediction_table

ENSEMBLE = "ensemble"
SIGNAL_DIR = Path("signals/signal_files")


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    """What the demo produced: its run, the summary table and the signal files."""

    run: Run
    summary: pd.DataFrame
    signal_files: dict[str, Path]
    seconds: float


def load_dataset(settings: DatasetSettings, seed: int) -> pd.DataFrame:
    """Return the bars of one demo dataset (bundled sample or seeded synthetic panel)."""
    if settings.source == "sample":
        return load_sample(settings.sample)
    market = synthetic_market(
        n_symbols=settings.n_symbols, n_bars=settings.n_bars, seed=seed, alpha_ic=settings.alpha_ic
    )
    return market.bars


def run_demo(
    config: DemoConfig | None = None,
    *,
    root: str | Path | None = None,
    signal_dir: str | Path = SIGNAL_DIR,
    name: str = "demo",
    log: Callable[[str], None] = print,
) -> DemoOutcome:
    """Run the demo and write its run directory.

    Parameters
    ----------
    config : DemoConfig, optional
        Defaults to ``DemoConfig()``.
    root : path, optional
        Runs root (``$ALPHAFACTORY_RUNS`` or ``./runs`` when omitted).
    signal_dir : path
        Where the signal files go: ``alpha_ml_signals.csv`` for the bundled sample and
        ``alpha_ml_signals_<dataset>.csv`` for the others.
    log : callable
        Receives one line per step.
    """
    config = config or DemoConfig()
    started = time.perf_counter()
    run = Run.create(name, config.to_mapping(), seed=config.seed, root=root)
    log(f"run directory: {run.path}")
    tables: dict[str, list[pd.DataFrame]] = {}
    metrics: dict[str, dict[str, object]] = {}
    fingerprints: dict[str, str] = {}
    signal_files: dict[str, Path] = {}
    equity: dict[str, pd.Series] = {}

    for dataset, settings in config.datasets.items():
        bars = load_dataset(settings, config.seed)
        fingerprints[dataset] = fingerprint(bars)
        # The synthetic panel trades every weekday; real equities follow the XNYS calendar.
        asset_class = "fx" if settings.source == "synthetic" else "equities"
        report = validate_ohlcv(bars, asset_class=asset_class)
        issues = report.issues.assign(dataset=dataset)
        tables.setdefault("validation", []).append(issues)
        log(
            f"[{dataset}] {bars.index.get_level_values('symbol').nunique()} symbols, "
            f"{len(bars)} bars, validation: {len(issues)} issue(s)"
        )

        features = build_features(bars, list(config.features))
        labels = forward_returns(bars, **dataclasses.asdict(config.labels))
        scores: dict[str, pd.Series] = {}
        label_series: pd.Series | None = None
        for model in config.models:
            t0 = time.perf_counter()
            result = walk_forward(
                features,
                labels,
                model=model,
                splitter=settings.walk_forward.splitter(),
                lookback=settings.walk_forward.lookback,
                config={"preset": config.preset},
                seed=config.seed,
            )
            key = f"{dataset}:{model}"
            for table, frame in (
                ("predictions", prediction_table(result)),
                ("folds", fold_table(result)),
                ("training_curves", curve_table(result)),
            ):
                tables.setdefault(table, []).append(frame.assign(model=key))
            scores[model] = result.predictions["score"]
            label_series = result.predictions["label"]
            seconds = time.perf_counter() - t0
            log(f"[{dataset}] {model}: {len(result.folds)} folds in {seconds:.1f} s")
        assert label_series is not None
        scores[ENSEMBLE] = rank_average({m: scores[m] for m in config.models})
        label_series = label_series.reindex(scores[ENSEMBLE].index)
        label_series.attrs["horizon"] = config.labels.horizon

        signal_files[dataset] = _export(scores, dataset, signal_dir, config, fingerprints[dataset])
        for strategy, strategy_scores in scores.items():
            key = f"{dataset}:{strategy}"
            weights = strategy_weights(strategy_scores, config.portfolio)
            result = run_backtest(bars, weights, config.portfolio)
            metrics[key] = strategy_metrics(
                strategy_scores,
                label_series.reindex(strategy_scores.index),
                result,
                n_trials=config.n_trials,
                seed=config.seed,
            )
            equity[key] = result.equity / config.portfolio.cash
            trades = result.trades
            if len(trades):
                tables.setdefault("trades", []).append(trades.assign(model=key))
            if strategy == ENSEMBLE:
                t0 = time.perf_counter()
                wide_scores = strategy_scores.unstack("symbol")
                executed = execute_in_book(
                    bars,
                    weights,
                    wide_scores,
                    portfolio=config.portfolio,
                    settings=config.execution,
                    model=key,
                    seed=config.seed,
                )
                metrics[key].update(
                    shortfall_bps=executed.shortfall_bps,
                    fill_ratio=executed.fill_ratio,
                    n_parents=executed.n_parents,
                )
                for table, frame in executed.tables.items():
                    tables.setdefault(table, []).append(frame)
                log(
                    f"[{dataset}] book execution of the ensemble: {executed.n_parents} parents, "
                    f"shortfall {executed.shortfall_bps:.1f} bps "
                    f"in {time.perf_counter() - t0:.1f} s"
                )
        tables.setdefault("predictions", []).append(
            scores[ENSEMBLE]
            .to_frame("score")
            .reset_index()
            .assign(model=f"{dataset}:{ENSEMBLE}", fold=-1, label=label_series.to_numpy())
        )

    for name_, frames in tables.items():
        # An empty validation table is a result ("no issues"), so it is written too.
        kept = [f for f in frames if len(f)] or frames[:1]
        run.write_table(name_, pd.concat(kept, ignore_index=True))
    run.write_table("equity", pd.DataFrame(equity).rename_axis("timestamp"))
    for dataset, path in signal_files.items():
        run.copy_file(path, "signals.csv" if dataset == "sample" else path.name)
    seconds = time.perf_counter() - started
    run.write_metrics({"models": metrics, "n_trials": config.n_trials, "seconds": seconds})
    run.write_manifest(data_fingerprints=fingerprints, n_trials=config.n_trials)
    return DemoOutcome(run, summary_table(metrics), signal_files, seconds)


def summary_table(metrics: dict[str, dict[str, object]]) -> pd.DataFrame:
    """One row per strategy: IC, Rank IC, net Sharpe (95% CI), DSR, max drawdown, shortfall."""
    rows = []
    for key, m in metrics.items():
        dataset, strategy = key.split(":", 1)
        sharpe = m["sharpe"]
        assert isinstance(sharpe, dict)
        rows.append(
            {
                "dataset": dataset,
                "strategy": strategy,
                "IC": m["ic"],
                "Rank IC": m["rank_ic"],
                "Sharpe (net)": sharpe["value"],
                "Sharpe 95% CI": f"[{sharpe['low']:.2f}, {sharpe['high']:.2f}]",
                "DSR": m["deflated_sharpe"],
                "trials": m["n_trials"],
                "max DD": m["max_drawdown"],
                "IS (bps)": m.get("shortfall_bps", float("nan")),
            }
        )
    return pd.DataFrame(rows)


def _export(
    scores: dict[str, pd.Series],
    dataset: str,
    signal_dir: str | Path,
    config: DemoConfig,
    data_fingerprint: str,
) -> Path:
    frames = [s.rename("score").to_frame().assign(model=m) for m, s in scores.items()]
    long = pd.concat(frames).reset_index()
    stem = "alpha_ml_signals" if dataset == "sample" else f"alpha_ml_signals_{dataset}"
    path = Path(signal_dir) / f"{stem}.csv"
    metadata = {
        "model_config": {
            "models": list(config.models),
            "preset": config.preset,
            "ensemble": "rank_average",
            "dataset": dataset,
            "seed": config.seed,
        },
        "data_fingerprint": data_fingerprint,
        "description": f"Out-of-sample walk-forward scores on the {dataset} dataset (demo).",
    }
    return export_signals(long, path, metadata=metadata, overwrite=True)
