"""`alphafactory train`: walk a model forward on bundled or synthetic data into a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

if TYPE_CHECKING:
    from alphafactory.data.sources import BarsSource
    from alphafactory.training.experiment import ExperimentConfig

_EPILOG = """examples:
  alphafactory train --bars sample --model ridge
  alphafactory train --bars my_csvs/ --date-format %m/%d/%Y --model lstm
  alphafactory train --bars synthetic:n_symbols=24,n_bars=1000,alpha_ic=0.1 --model tcn
  alphafactory train --model lstm --config research/configs/synthetic.toml --synthetic
  alphafactory train --model tcn --config my.toml --bars data/bars.parquet --out runs/my-tcn

Without --config the defaults of alphafactory.training.experiment apply (walk-forward 500 /
120 / 250 bars, 9 price and volume features, next-open log returns). The optional config is
TOML with sections [data] (a bars source, see `alphafactory data validate --help`), [model],
[train], [walk_forward], [features], [labels] and [synthetic]; --model overrides [model] name,
--bars and its options override [data]. The run's config.toml records the [data] source, so
the run reruns from it. Writes config.toml, manifest.json, predictions.parquet, folds.parquet,
training_curves.parquet, metrics.json, model/ (the model refitted once on every labelled bar,
a model artifact: alphafactory.models.load / score) and, with --keep-models, folds/<k>/.
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
    parser.add_argument("--config", type=Path, default=None,
                        help="experiment TOML file (optional; overrides the defaults)")
    add_bars_arguments(parser, default=None)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sample", default=None, help="alias of --bars sample:NAME")
    source.add_argument(
        "--synthetic", action="store_true", help="alias of --bars synthetic:... from [synthetic]"
    )

    parser.add_argument(
        "--out", type=Path, default=None, help="run directory to write (default: runs/<time>-…)"
    )
    parser.add_argument(
        "--executor", default=None, help="'processes' or a worker count (default: in-process)"
    )
    parser.add_argument("--cost-bps", type=float, default=5.0, help="cost per unit traded (5)")
    parser.add_argument("--keep-models", choices=("none", "last", "all"), default="none",
                        help="also write the fold models to folds/<k>/ (default none)")
    parser.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.runs import Run, read_toml
    from alphafactory.runs.manifest import fingerprint
    from alphafactory.training.experiment import ExperimentConfig, final_model, run_experiment
    from alphafactory.training.report import (
        curve_table,
        fold_table,
        model_metrics,
        prediction_table,
    )

    doc_in: dict[str, Any] = {}
    if args.config is not None:
        if not args.config.is_file():
            raise CLIError(f"no config file at {args.config}")
        doc_in = read_toml(args.config)
    data_doc = doc_in.pop("data", None)
    config = ExperimentConfig.from_mapping(doc_in, model=args.model)
    source = _bars_source(args, config, data_doc)
    bars = source.load()
    try:
        executor = _executor(args.executor)
        result = run_experiment(bars, config, executor=executor, keep_models=args.keep_models)
        final = final_model(bars, config)
    except (ValueError, KeyError) as exc:
        raise CLIError(str(exc)) from exc
    doc = config.to_mapping()
    doc["data"] = source.to_config()
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
    extra = {"data": source.to_config(), "model": config.model}
    run.write_manifest(data_fingerprints={"bars": fingerprint(bars)}, n_trials=1, extra=extra)
    final.save(run.path / "model")
    for fold, artifact in result.models.items():
        artifact.save(run.path / "folds" / str(fold))
    print(f"{run.path}")
    print(
        f"{config.model}: {len(result.folds)} folds, IC {metrics['ic']:.4f} "
        f"(t {metrics['ic_t']:.1f}), rank IC {metrics['rank_ic']:.4f}, long-short Sharpe "
        f"{metrics['long_short_sharpe']:.2f} after {args.cost_bps:g} bps"
    )
    return 0


def _bars_source(
    args: argparse.Namespace, config: ExperimentConfig, data_doc: Any
) -> BarsSource:
    """The bars source: --bars (or --sample / --synthetic) over the config's [data], else sample."""
    from alphafactory.data.sources import BarsSource

    if args.synthetic:
        s = config.synthetic
        args.bars = (f"synthetic:n_symbols={s.n_symbols},n_bars={s.n_bars},"
                     f"alpha_ic={s.alpha_ic},seed={s.seed}")  # fmt: skip
    elif args.sample:
        args.bars = f"sample:{args.sample}"
    where = f"[data] of {args.config}"
    base = BarsSource.from_config(data_doc, where=where) if data_doc is not None else None
    if base is None and args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args, base)
    assert source is not None
    return source


def _executor(value: str | None) -> str | int | None:
    if value is None or value == "processes":
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"--executor must be 'processes' or an integer, got {value!r}.") from None
