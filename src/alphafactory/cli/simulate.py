"""`alphafactory simulate ...`: the CSV simulator (same code and output as `alphafactory-sim`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_EPILOG = """example:
  alphafactory simulate --orders orders.csv --trades trades.csv --events events.csv --tick-size 0.01

Bad rows are reported as FILE:LINE: message and skipped; --strict stops at the first one
(exit 1, nothing written). A header-only orders file is a valid empty run (header-only outputs);
a missing, empty (0-byte) or directory --orders is an error (exit 2). --trades and --events must
differ from --orders and from each other, and an existing one is replaced only with --force.
Outputs appear only when the run succeeds.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` command."""
    parser = subparsers.add_parser(
        "simulate",
        help="run the matching engine over an orders CSV",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=Path, required=True, help="input orders CSV")
    parser.add_argument("--trades", type=Path, required=True, help="output trades CSV")
    parser.add_argument("--events", type=Path, required=True, help="output events CSV")
    parser.add_argument("--tick-size", default="0.01", help="tick size (default 0.01)")
    parser.add_argument("--stp", default="none",
                        choices=["none", "cancel_taker", "cancel_maker", "cancel_both"])
    parser.add_argument("--no-accepted", action="store_true", help="omit ACCEPTED events")
    parser.add_argument("--strict", action="store_true", help="stop at the first bad row")
    parser.add_argument("--force", action="store_true",
                        help="replace existing --trades and --events files")
    parser.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from alphafactory.engine.simulate import simulate_csv
    from alphafactory.errors import DataError, SourceNotFoundError
    from alphafactory.runs.output_paths import check_output_paths

    if not args.orders.exists():
        raise SourceNotFoundError(f"--orders {args.orders}: no such file")
    if args.orders.is_dir():
        raise DataError(f"--orders {args.orders}: is a directory; expected an orders CSV file")
    # The guard with the flags' names, before any work (the library repeats it with its own).
    check_output_paths({"--trades": args.trades, "--events": args.events},
                       inputs={"--orders": args.orders}, overwrite=args.force)
    try:
        summary = simulate_csv(args.orders, args.trades, args.events, tick_size=args.tick_size,
                               strict=args.strict, stp=args.stp,
                               accepted_events=not args.no_accepted, overwrite=args.force)
    except DataError as exc:
        if args.strict and str(exc).startswith("bad row"):
            print(f"alphafactory: error: {exc}", file=sys.stderr)
            return 1
        raise
    for line in summary.bad_rows:
        print(line, file=sys.stderr)
    print(f"{summary.rows} rows, {summary.orders} processed, {len(summary.bad_rows)} bad, "
          f"{summary.trades} trades, {summary.events} events", file=sys.stderr)
    return 0
