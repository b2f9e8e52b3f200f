"""`alphafactory score`: a stored model's scores for bars (the library's one inference path)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alphafactory.cli._artifact import add_artifact_arguments, artifact_from_args
from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

if TYPE_CHECKING:
    import pandas as pd

_EPILOG = """examples:
  alphafactory score --artifact runs/my-lstm/model --bars data/equities/
  alphafactory score --artifact runs/my-lstm/model --bars sample --at all --out scores.parquet
  alphafactory score --artifact runs/my-lstm/folds/2 --bars sample --at 2012-05-01,2012-05-02
  alphafactory score --artifact champion --workflow daily-ridge --bars sample

--artifact (or --model) is a model artifact directory (`alphafactory train` writes
DIR/model/) or a registry reference of --workflow NAME: champion, challenger or vN (downloaded
from the registry in mlruns/, or --registry-root DIR / --tracking-uri URI). By default the
latest timestamp of the bars is scored, from the model's warm-up tail only; --at all scores
every timestamp. Prints timestamp,symbol,score as CSV, or writes it to --out (.csv or
.parquet; an existing file only with --force, never over an input).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` command."""
    parser = subparsers.add_parser(
        "score",
        help="score bars with a stored model (latest bar, every bar, or given timestamps)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_artifact_arguments(parser, aliases=("--model",))
    add_bars_arguments(parser, default=None, required=True)
    parser.add_argument("--at", default="last",
                        help="'last' (default), 'all', or comma-separated timestamps")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the scores to this .csv or .parquet file")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    parser.set_defaults(func=_score)


def _score(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.models import load, score
    from alphafactory.runs.output_paths import check_output_paths

    if args.out is not None:
        if args.out.suffix not in (".csv", ".parquet"):
            raise CLIError(f"--out must end in .csv or .parquet, got {args.out}")
        # Before any work: the scores never land on an input, nor on a file without --force.
        inputs = {flag: Path(value) for flag, value in (("--bars", args.bars),
                  ("--artifact", args.artifact)) if value and Path(value).exists()}  # fmt: skip
        check_output_paths({"--out": args.out}, inputs=inputs, overwrite=args.force)
    artifact = load(artifact_from_args(args))
    source = bars_source_from_args(args)
    assert source is not None  # --bars is required
    bars = source.load()
    at = args.at if args.at in ("last", "all") else [s.strip() for s in args.at.split(",")]
    try:
        scores = score(artifact, bars, at=at)
    except ValueError as exc:  # a timestamp that does not parse
        raise CLIError(str(exc)) from exc
    table = scores.reset_index()
    if args.out is None:
        table.to_csv(sys.stdout, index=False)
    else:
        _write_atomic(table, args.out)
    if args.out is not None:
        print(f"{len(table)} scores of {artifact.model} to {args.out}")
    return 0


def _write_atomic(table: pd.DataFrame, out: Path) -> None:
    """Write ``table`` next to ``out`` and rename it into place: a failure leaves no half file."""
    from alphafactory.runs import atomic_write

    if out.suffix == ".csv":
        atomic_write(out, lambda temp: table.to_csv(temp, index=False))
    else:
        atomic_write(out, lambda temp: table.to_parquet(temp, index=False))
