"""`alphafactory train`: walk a model forward on bundled or synthetic data into a run directory."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
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
        "--executor", default=None,
        help="'processes', a worker count, or a Dask scheduler address tcp://HOST:PORT "
             "(default: in-process; results are identical)"
    )
    parser.add_argument("--cost-bps", type=float, default=None,
                        help="cost per unit traded of the long-short summary (config's, else 5)")
    parser.add_argument("--keep-models", choices=("none", "last", "all"), default=None,
                        help="also write the fold models to folds/<k>/ (config's, else none)")
    parser.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    import dataclasses

    from alphafactory.cli import CLIError
    from alphafactory.pipeline.train_job import TrainJob, train_job
    from alphafactory.runs import read_toml

    _check_out(args)
    doc: dict[str, Any] = {}
    where = "the train defaults"
    if args.config is not None:
        if not args.config.is_file():
            raise CLIError(f"no config file at {args.config}")
        doc, where = read_toml(args.config), str(args.config)
    job = TrainJob.from_mapping(doc, where, model=args.model)
    source = _bars_source(args, job.experiment, doc.get("data"))
    job = dataclasses.replace(
        job,
        data=source,
        cost_bps=job.cost_bps if args.cost_bps is None else args.cost_bps,
        keep_models=job.keep_models if args.keep_models is None else args.keep_models,
    )
    with _executor(args.executor) as executor:
        outcome = train_job(job, path=args.out, executor=executor)
    metrics = outcome.metrics
    print(f"{outcome.run.path}")
    print(
        f"{job.experiment.model}: {outcome.n_folds} folds, IC {metrics['ic']:.4f} "
        f"(t {metrics['ic_t']:.1f}), rank IC {metrics['rank_ic']:.4f}, long-short Sharpe "
        f"{metrics['long_short_sharpe']:.2f} after {job.cost_bps:g} bps"
    )
    return 0


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an unusable --out before training (not after the folds have run).

    A run directory is new or empty: train never replaces one (no --force), since a run is a
    record other runs and the registry point at.
    """
    from alphafactory.errors import ConfigError
    from alphafactory.runs.output_paths import same_file

    out = args.out
    if out is None:
        return
    for flag, value in (("--config", args.config), ("--bars", args.bars)):
        if value and Path(value).exists() and (
            same_file(out, Path(value)) or Path(value).resolve().is_relative_to(out.resolve())
        ):
            raise ConfigError(f"--out {out}: holds the input {flag} {value}; choose another path")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; a run directory must be new or empty")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(
            f"--out {out}: already exists and is not empty; a run directory must be new or "
            "empty, choose another path"
        )


def _bars_source(
    args: argparse.Namespace, config: ExperimentConfig, data_doc: Any
) -> BarsSource:
    """The bars source: --bars (or --sample / --synthetic) over the config's [data], else sample."""
    from alphafactory.data.sources import BarsSource

    if args.synthetic:
        args.bars = config.synthetic.spec()  # [synthetic] alpha_kind included
    elif args.sample:
        args.bars = f"sample:{args.sample}"
    where = f"[data] of {args.config}"
    base = BarsSource.from_config(data_doc, where=where) if data_doc is not None else None
    if base is None and args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args, base)
    assert source is not None
    return source


@contextlib.contextmanager
def _executor(value: str | None) -> Iterator[Any]:
    """``--executor``: None, "processes", a worker count, or a Dask client of that address."""
    if value is not None and "://" in value:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ValueError("--executor tcp://...: needs the 'distributed' extra") from None
        try:
            client = Client(value, timeout=10)
        except OSError as exc:
            raise ValueError(f"--executor {value}: no Dask scheduler there ({exc})") from None
        with client:
            yield client
        return
    if value is None or value == "processes":
        yield value
        return
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(f"--executor must be 'processes', an integer or a Dask scheduler "
                         f"address tcp://HOST:PORT, got {value!r}.") from None
    yield workers
