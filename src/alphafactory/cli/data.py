"""`alphafactory data ...` commands: download, validate, update, samples."""

from __future__ import annotations

import argparse

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

_EPILOG = """examples:
  alphafactory data download --asset-class equities --symbol AAPL --start 2015-01-01
  alphafactory data validate data/equities/AAPL.csv
  alphafactory data validate my_csvs/ --date-format %m/%d/%Y
  alphafactory data update my_csvs/ --from new_bars/ --date-format %m/%d/%Y
  alphafactory data update yfinance:AAPL,MSFT
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
        help="check a bars source (a file, a folder of per-symbol files, any SPEC); exit 1 on "
        "errors",
        epilog=(
            "examples:\n  alphafactory data validate data/equities/AAPL.csv\n"
            "  alphafactory data validate my_csvs/ --date-format %m/%d/%Y --calendar XNYS"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bars_arguments(val, positional=True)
    val.add_argument("--asset-class", default="equities", choices=["equities", "crypto", "fx"],
                     help="picks the calendar when --calendar is not given")  # fmt: skip
    val.add_argument("--strict", action="store_true", help="also exit 1 on warnings")
    val.add_argument("--limit", type=int, default=40, help="issues printed at most (40)")
    val.set_defaults(func=_validate)

    upd = sub.add_parser(
        "update",
        help="append new bars to a source's files: dedupe, revalidate, report",
        epilog=(
            "examples:\n  alphafactory data update yfinance:AAPL,MSFT\n"
            "  alphafactory data update my_csvs/ --from new_bars/ --date-format %m/%d/%Y\n\n"
            "New rows breaking a row rule are rejected and listed; a new bar with the key of a "
            "stored one\nreplaces it when its values differ; when the merged bars have a new "
            "validation error\nnothing is written. Files keep their header, date format and "
            "zone; each is written\nto a temporary file first and renamed over the old one."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bars_arguments(upd, positional=True)
    upd.add_argument("--from", dest="new", default=None, metavar="SPEC",
                     help="the new bars: a file, a folder of per-symbol files or any SPEC "
                          "(default: download them, for yfinance sources)")  # fmt: skip
    upd.add_argument("--dry-run", action="store_true", help="report, write nothing")
    upd.set_defaults(func=_update)

    samples = sub.add_parser(
        "samples",
        help="list the data bundled with the package",
        epilog="example:\n  alphafactory data samples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    samples.set_defaults(func=_samples)


def _download(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.data.download import DownloadError, check_request, csv_path, download
    from alphafactory.data.validation import DataValidationError

    if not args.symbol.strip():
        raise CLIError(f"--symbol: must be a ticker such as AAPL or BTC-USD, got {args.symbol!r}")
    check_request(args.start, args.end, args.interval, names=("--start", "--end", "--interval"))
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
    path = csv_path(args.symbol, args.asset_class, args.data_dir, args.interval)
    stamps = bars.index
    print(f"{path}: {len(bars)} bars, {stamps.min().date()} to {stamps.max().date()}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.data.calendars import calendar_name, check_calendar

    if args.limit < 0:
        raise CLIError(f"--limit: must be an integer >= 0, got {args.limit}")
    if args.calendar is None:
        args.calendar = calendar_name(args.asset_class)
    check_calendar(args.calendar, "--calendar")
    source = bars_source_from_args(args)
    assert source is not None
    given = {"--universe": source.universe, "--membership": source.membership,
             "--start": source.start, "--end": source.end, "--on-error": args.bars_on_error}
    ignored = [flag for flag, value in given.items() if value is not None]
    if source.kind == "path" and ignored:  # validate checks every row of the files as they are
        raise CLIError(
            f"{', '.join(ignored)}: not used by data validate on files (it reports every row "
            "as stored); drop the flag, or load with it in features build, train or backtest"
        )
    failed = False
    for report in source.validate():
        print(report.format(limit=args.limit))
        failed |= not report.ok or (args.strict and len(report.issues) > 0)
    return 1 if failed else 0


def _update(args: argparse.Namespace) -> int:
    from alphafactory.data.store import update_bars

    source = bars_source_from_args(args)
    assert source is not None
    report = update_bars(source, args.new, dry_run=args.dry_run)
    print(report.format())
    for path in report.files:
        print(f"{'would write' if report.dry_run else 'wrote'} {path}")
    return 0


def _samples(args: argparse.Namespace) -> int:
    from alphafactory.data.bundled import list_samples

    for name, row in list_samples().iterrows():
        print(f"{name}: {row['symbols']} {row['start']}..{row['end']} ({row['frequency']})")
        print(f"  {row['description']}")
        print(f"  source: {row['source']}; {row['license']}")
        print(f"  adjustment: {row['adjustment']}")
        print(f'  load: alphafactory.data.load_sample("{name}")')
    return 0
