"""`alphafactory data ...` commands: download, validate, samples."""

from __future__ import annotations

import argparse
from pathlib import Path

_EPILOG = """examples:
  alphafactory data download --asset-class equities --symbol AAPL --start 2015-01-01
  alphafactory data validate data/equities/AAPL.csv
  alphafactory data samples
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` command group."""
    parser = subparsers.add_parser(
        "data",
        help="download, validate and list OHLCV data",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    dl = sub.add_parser(
        "download",
        help="download bars through yfinance into data/<class>/",
        epilog=(
            "example:\n"
            "  alphafactory data download --asset-class equities --symbol AAPL --start 2015-01-01"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dl.add_argument("--symbol", required=True, help="AAPL, BTC-USD, EURUSD ...")
    dl.add_argument("--start", required=True, help="first date, e.g. 2015-01-01")
    dl.add_argument("--end", default=None, help="end date (exclusive); default today")
    dl.add_argument("--interval", default="1d", help="yfinance interval (1d, 1h, 5m ...)")
    dl.add_argument("--asset-class", default="equities", choices=["equities", "crypto", "fx"])
    dl.add_argument("--data-dir", default="data", help="root folder (default: data)")
    dl.add_argument("--refresh", action="store_true", help="download even if the file exists")
    dl.add_argument("--on-error", default="raise", choices=["raise", "drop", "repair"])
    dl.set_defaults(func=_download)

    val = sub.add_parser(
        "validate",
        help="check a CSV or Parquet file; exit 1 on errors",
        epilog="example:\n  alphafactory data validate data/equities/AAPL.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    val.add_argument("path", type=Path, help="OHLCV .csv or .parquet file")
    val.add_argument("--asset-class", default="equities", choices=["equities", "crypto", "fx"])
    val.add_argument("--calendar", default=None, help="24/7, weekdays or an exchange code")
    val.add_argument("--strict", action="store_true", help="also exit 1 on warnings")
    val.add_argument("--limit", type=int, default=40, help="issues printed at most (40)")
    val.set_defaults(func=_validate)

    samples = sub.add_parser(
        "samples",
        help="list the data bundled with the package",
        epilog="example:\n  alphafactory data samples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    samples.set_defaults(func=_samples)


def _download(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.data.download import DownloadError, csv_path, download
    from alphafactory.data.validation import DataValidationError

    try:
        bars = download(
            args.symbol,
            args.start,
            args.end,
            interval=args.interval,
            asset_class=args.asset_class,
            data_dir=args.data_dir,
            refresh=args.refresh,
            on_error=args.on_error,
        )
    except (DownloadError, DataValidationError) as exc:
        raise CLIError(str(exc)) from exc
    path = csv_path(args.symbol, args.asset_class, args.data_dir)
    stamps = bars.index
    print(f"{path}: {len(bars)} bars, {stamps.min().date()} to {stamps.max().date()}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.data.parquet_io import read_parquet
    from alphafactory.data.validation import validate_ohlcv

    path: Path = args.path
    if not path.is_file():
        raise CLIError(f"no file at {path}")
    if path.suffix.lower() == ".parquet":
        report = validate_ohlcv(
            read_parquet(path),
            asset_class=args.asset_class,
            calendar=args.calendar,
            source=str(path),
        )
    else:
        from alphafactory.data.csv_io import validate_csv

        report = validate_csv(path, asset_class=args.asset_class, calendar=args.calendar)
    print(report.format(limit=args.limit))
    failed = not report.ok or (args.strict and len(report.issues) > 0)
    return 1 if failed else 0


def _samples(args: argparse.Namespace) -> int:
    from alphafactory.data.bundled import list_samples

    for name, row in list_samples().iterrows():
        print(f"{name}: {row['symbols']} {row['start']}..{row['end']} ({row['frequency']})")
        print(f"  {row['description']}")
        print(f"  source: {row['source']}; {row['license']}")
        print(f"  adjustment: {row['adjustment']}")
        print(f'  load: alphafactory.data.load_sample("{name}")')
    return 0
