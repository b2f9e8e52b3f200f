"""`alphafactory signals ...`: export predictions as a signal file, check a signal file."""

from __future__ import annotations

import argparse
from pathlib import Path

_EPILOG = """examples:
  alphafactory signals export --predictions runs/X/predictions.parquet --model lstm
  alphafactory signals check signals/signal_files/alpha_ml_signals.csv --bars sample
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``signals`` command group."""
    parser = subparsers.add_parser(
        "signals",
        help="export and check signal files",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="signals_command", metavar="ACTION")
    export = sub.add_parser(
        "export",
        help="write predictions as a signal file + JSON sidecar",
        epilog=(
            "example:\n"
            "  alphafactory signals export --predictions runs/RUN/predictions.parquet --model lstm"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument(
        "--predictions",
        type=Path,
        required=True,
        help="CSV or Parquet with timestamp, symbol, score (and model)",
    )
    export.add_argument(
        "--out",
        type=Path,
        default=None,
        help="signal file (default signals/signal_files/alpha_ml_signals.csv)",
    )
    export.add_argument("--format", choices=["csv", "parquet"], default=None)
    export.add_argument("--model", default="model", help="model name when there is no column")
    export.add_argument("--data-fingerprint", default=None)
    export.set_defaults(func=_export)
    check = sub.add_parser(
        "check",
        help="validate a signal file (and against bars)",
        epilog=(
            "example:\n"
            "  alphafactory signals check signals/signal_files/alpha_ml_signals.csv --bars sample"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("path", type=Path)
    check.add_argument("--bars", default=None, help="'sample' or a bars CSV/Parquet file")
    check.add_argument("--no-sidecar", action="store_true", help="allow a missing sidecar")
    check.set_defaults(func=_check)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _export(args: argparse.Namespace) -> int:
    import pandas as pd

    from alphafactory.cli import CLIError
    from alphafactory.signals import DEFAULT_SIGNAL_PATH, SignalFileError, export_signals

    if not args.predictions.exists():
        raise CLIError(f"no predictions file at {args.predictions}")
    suffix = args.predictions.suffix.lower()
    frame = (
        pd.read_parquet(args.predictions)
        if suffix in {".parquet", ".pq"}
        else pd.read_csv(args.predictions)
    )
    metadata = {"data_fingerprint": args.data_fingerprint}
    try:
        path = export_signals(
            frame,
            args.out or DEFAULT_SIGNAL_PATH,
            fmt=args.format,
            model=args.model,
            metadata=metadata,
        )
    except (SignalFileError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    print(f"wrote {path} ({len(frame)} rows) and its sidecar")
    return 0


def _check(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.data import load_bars
    from alphafactory.signals import SignalFileError, load_signals

    bars = load_bars(args.bars) if args.bars else None
    try:
        signals = load_signals(args.path, bars=bars, require_sidecar=not args.no_sidecar)
    except (SignalFileError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    models = ", ".join(sorted(signals["model"].unique()))
    print(
        f"{args.path}: {len(signals)} rows, {signals['symbol'].nunique()} symbols, "
        f"{signals['timestamp'].min()} .. {signals['timestamp'].max()}, models: {models}: OK"
    )
    return 0
