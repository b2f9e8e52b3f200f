"""`alphafactory signals ...`: export predictions as a signal file, check a signal file."""

from __future__ import annotations

import argparse
from pathlib import Path

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

_EPILOG = """examples:
  alphafactory signals export --predictions runs/X/predictions.parquet --force
  alphafactory signals export --predictions runs/X-demo --models synthetic:lstm,synthetic:tcn
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
        description=(
            "Write scores as a signal file (timestamp, symbol, model, score; never labels or "
            "fold ids) and its sidecar. From a run's predictions, the sidecar takes the data "
            "fingerprint from the run's manifest.json and the model config from its config.toml."
        ),
        epilog=(
            "example:\n"
            "  alphafactory signals export --predictions runs/RUN/predictions.parquet --force"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument(
        "--predictions",
        type=Path,
        required=True,
        help="a run directory, its predictions.parquet, or a CSV/Parquet file with "
        "timestamp, symbol, score (and model)",
    )
    export.add_argument(
        "--out",
        type=Path,
        default=None,
        help="signal file (default signals/signal_files/alpha_ml_signals.csv)",
    )
    export.add_argument("--format", choices=["csv", "parquet"], default=None)
    export.add_argument("--model", default="model", help="model name when there is no column")
    export.add_argument(
        "--models", default=None, help="comma-separated models to export (default: all)"
    )
    export.add_argument(
        "--data-fingerprint",
        default=None,
        help="fingerprint of the bars, for a file outside a run (a run's manifest has its own)",
    )
    export.add_argument("--force", action="store_true",
                        help="replace an existing signal file and its sidecar")
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
    add_bars_arguments(check, default=None)
    check.add_argument("--no-sidecar", action="store_true", help="allow a missing sidecar")
    check.set_defaults(func=_check)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _export(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.runs.output_paths import check_output_paths
    from alphafactory.signals import (
        DEFAULT_SIGNAL_PATH,
        export_run_signals,
        export_signals,
        load_signals,
        sidecar_path,
    )
    from alphafactory.signals.reader import read_table

    source: Path = args.predictions
    if not source.exists():
        raise CLIError(f"--predictions {source}: no such file or run directory")
    models = [m for m in args.models.split(",") if m] if args.models else None
    out = args.out or DEFAULT_SIGNAL_PATH
    run_dir = source if source.is_dir() else source.parent
    inputs = {"--predictions": source if source.is_file() else source / "predictions.parquet"}
    if source.is_dir():
        inputs.update({f"--predictions {name}": source / name
                       for name in ("manifest.json", "config.toml")})  # fmt: skip
    check_output_paths({"--out": out, "--out's sidecar": sidecar_path(out)}, inputs=inputs,
                       overwrite=args.force)  # fmt: skip
    if (run_dir / "manifest.json").is_file() and (source.is_dir() or source.stem == "predictions"):
        if args.data_fingerprint is not None:
            raise CLIError(
                f"--data-fingerprint: {run_dir} is a run; its manifest.json records the data "
                "fingerprint"
            )
        path = export_run_signals(
            run_dir, out, models=models, fmt=args.format, overwrite=args.force
        )
    else:
        if source.is_dir():
            raise CLIError(f"{source} is a directory but not a run (no manifest.json)")
        fmt = "parquet" if source.suffix.lower() in {".parquet", ".pq"} else "csv"
        frame = read_table(source, fmt)
        if models is not None:
            if "model" not in frame.columns:
                raise CLIError(f"--models: {source} has no model column to select from")
            known = set(frame["model"].astype(str))
            if set(models) - known:
                raise CLIError(
                    f"--models: {sorted(set(models) - known)} not in {source} (it holds "
                    f"{sorted(known)})"
                )
            frame = frame[frame["model"].astype(str).isin(models)]
        metadata = {"data_fingerprint": args.data_fingerprint}
        path = export_signals(
            frame, out, fmt=args.format, model=args.model, metadata=metadata, overwrite=args.force
        )
    rows = len(load_signals(path))
    print(f"wrote {path} ({rows} rows) and its sidecar")
    return 0


def _check(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.signals import SignalFileError, load_signals

    source = bars_source_from_args(args)
    bars = source.load() if source is not None else None
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
