"""`alphafactory train`: walk a model forward on bundled or synthetic data into a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from alphafactory.training.experiment import ExperimentConfig

_EPILOG = """examples:
  alphafactory train --model lstm --config research/configs/lstm.toml --synthetic
  alphafactory train --model ridge --config research/configs/ridge.toml --sample us-equities-daily
  alphafactory train --model tcn --config my.toml --synthetic --out runs/my-tcn --executor 2

The config is TOML with sections [model], [train], [walk_forward], [features], [labels] and
[synthetic] (see alphafactory.training.experiment); --model overrides [model] name.
Writes config.toml, manifest.json, predictions.parquet, folds.parquet,
training_curves.parquet and metrics.json.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    parser = subparsers.add_parser(
        "train",
        help="walk-forward training of one model, out-of-sample predictions to a run directory",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default=None, help="registered model name (lstm, tcn, ...)")
    parser.add_argument("--config", type=Path, required=True, help="experiment TOML file")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--sample", default=None, help="bundled sample (default: us-equities-daily)"
    )
    source.add_argument(
        "--synthetic", action="store_true", help="synthetic market from the [synthetic] section"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="run directory to write (default: runs/<time>-…)"
    )
    parser.add_argument(
        "--executor", default=None, help="'processes' or a worker count (default: in-process)"
    )
    parser.add_argument("--cost-bps", type=float, default=5.0, help="cost per unit traded (5)")
    parser.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.runs import Run, read_toml
    from alphafactory.runs.manifest import fingerprint
    from alphafactory.training.experiment import ExperimentConfig, run_experiment
    from alphafactory.training.report import (
        curve_table,
        fold_table,
        model_metrics,
        prediction_table,
    )

    if not args.config.is_file():
        raise CLIError(f"no config file at {args.config}")
    try:
        config = ExperimentConfig.from_mapping(read_toml(args.config), model=args.model)
        bars, source = _load_bars(args, config)
        executor = _executor(args.executor)
        result = run_experiment(bars, config, executor=executor)
    except (ValueError, KeyError) as exc:
        raise CLIError(str(exc)) from exc
    doc = config.to_mapping()
    doc["data"] = source
    name = f"train-{config.model}"
    try:
        run = Run.create(name, doc, seed=config.seed, path=args.out)
    except (FileExistsError, ValueError) as exc:
        raise CLIError(str(exc)) from exc
    metrics = model_metrics(result, cost_bps=args.cost_bps)
    run.write_table("predictions", prediction_table(result))
    run.write_table("folds", fold_table(result))
    run.write_table("training_curves", curve_table(result))
    run.write_metrics({"models": {config.model: metrics}, "n_trials": 1})
    extra = {"data": source, "model": config.model}
    run.write_manifest(
        data_fingerprints={source["name"]: fingerprint(bars)}, n_trials=1, extra=extra
    )
    print(f"{run.path}")
    print(
        f"{config.model}: {len(result.folds)} folds, IC {metrics['ic']:.4f} "
        f"(t {metrics['ic_t']:.1f}), rank IC {metrics['rank_ic']:.4f}, long-short Sharpe "
        f"{metrics['long_short_sharpe']:.2f} after {args.cost_bps:g} bps"
    )
    return 0


def _load_bars(
    args: argparse.Namespace, config: ExperimentConfig
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the bars the command trains on and a description of their source."""
    if args.synthetic:
        from alphafactory.data import synthetic_market

        s = config.synthetic
        market = synthetic_market(s.n_symbols, s.n_bars, seed=s.seed, alpha_ic=s.alpha_ic)
        source = {"name": "synthetic", "n_symbols": s.n_symbols, "n_bars": s.n_bars,
                  "alpha_ic": s.alpha_ic, "seed": s.seed}  # fmt: skip
        return market.bars, source
    from alphafactory.data import load_sample

    name = args.sample or "us-equities-daily"
    return load_sample(name), {"name": name, "source": "bundled"}


def _executor(value: str | None) -> str | int | None:
    if value is None or value == "processes":
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"--executor must be 'processes' or an integer, got {value!r}.") from None
