"""`alphafactory features ...` commands: build a feature table, list registered features."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

_EPILOG = """examples:
  alphafactory features list
  alphafactory features list --family volatility
  alphafactory features build --bars sample --out runs/features.parquet
  alphafactory features build --bars my_csvs/ --date-format %m/%d/%Y --families returns \\
      --out my_features.parquet
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``features`` command group."""
    parser = subparsers.add_parser(
        "features",
        help="build causal features from bars, list registered features",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="features_command", metavar="SUBCOMMAND")

    build = sub.add_parser(
        "build",
        help="compute features and write them to Parquet",
        epilog=(
            "example:\n"
            "  alphafactory features build --bars sample --out features.parquet"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bars_arguments(build, default="sample")
    build.set_defaults(bars=None)  # None: not given, so --sample / --csv may name the bars
    alias = build.add_mutually_exclusive_group()
    alias.add_argument("--sample", help="alias of --bars sample:NAME")
    alias.add_argument("--csv", type=Path, help="alias of --bars PATH")
    build.add_argument("--out", type=Path, required=True, help="destination .parquet file")
    build.add_argument(
        "--families",
        default=None,
        help="comma-separated families (default: all); see `features list`",
    )
    build.add_argument(
        "--include", default=None, help="comma-separated name patterns to keep, e.g. 'rsi_*,ret_*'"
    )
    build.add_argument("--exclude", default=None, help="comma-separated name patterns to drop")
    build.add_argument("--float64", action="store_true", help="write float64 (default float32)")
    build.add_argument("--force", action="store_true", help="replace --out if it exists")
    build.set_defaults(func=_build)

    lst = sub.add_parser(
        "list",
        help="print the registered features",
        epilog="example:\n  alphafactory features list --family volatility",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lst.add_argument("--family", default=None, help="only this family")
    lst.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    lst.set_defaults(func=_list)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def _build(args: argparse.Namespace) -> int:
    import numpy as np

    from alphafactory.cli import CLIError
    from alphafactory.features import FeatureSpec, build_features
    from alphafactory.runs.output_paths import check_output_paths

    if args.out.suffix != ".parquet":
        raise CLIError(f"--out must be a .parquet file; got {args.out}.")
    alias = "--sample" if args.sample else "--csv" if args.csv else None
    if alias and args.bars is not None:
        raise CLIError(f"--bars and {alias}: both name the bars (rule: give one); got both")
    if args.sample:
        args.bars = f"sample:{args.sample}"
    elif args.csv:
        args.bars = str(args.csv)
    elif args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args)
    assert source is not None
    inputs = {"--bars": source.spec if source.kind == "path" else None,
              "--membership": source.membership}  # fmt: skip
    check_output_paths({"--out": args.out}, inputs=inputs, overwrite=args.force)
    bars = source.load()
    try:
        spec = FeatureSpec(
            families=_split(args.families) or None,
            include=_split(args.include),
            exclude=_split(args.exclude),
        )
        start = time.perf_counter()
        feats = build_features(bars, spec, dtype=np.float64 if args.float64 else np.float32)
    except (KeyError, ValueError) as exc:
        raise CLIError(str(exc).strip("'\"")) from exc
    if feats.shape[1] == 0:
        raise CLIError("The selection matched no feature; see `alphafactory features list`.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    feats.columns = feats.columns.astype(str)
    # Write beside the target and rename: a failed write leaves no half file under --out.
    partial = args.out.with_name(f".{args.out.name}.partial-{os.getpid()}")
    try:
        feats.to_parquet(partial)
        os.replace(partial, args.out)
    finally:
        partial.unlink(missing_ok=True)
    print(
        f"wrote {feats.shape[0]} rows x {feats.shape[1]} features to {args.out} "
        f"in {time.perf_counter() - start:.2f} s"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from alphafactory.cli import CLIError
    from alphafactory.features import list_features

    table = list_features()
    if args.family:
        if args.family not in set(table["family"]):
            known = sorted(set(table["family"]))
            raise CLIError(f"Unknown family {args.family!r}; known: {known}.")
        table = table[table["family"] == args.family]
    if args.csv:
        table.to_csv(sys.stdout, index=False)
        return 0
    with pd.option_context(
        "display.max_rows", None, "display.max_colwidth", 70, "display.width", 160
    ):
        print(table[["name", "family", "warmup", "description"]].to_string(index=False))
    print(f"\n{len(table)} features")
    return 0
