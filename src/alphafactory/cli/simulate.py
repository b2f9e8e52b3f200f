"""`alphafactory simulate ...`: the CSV simulator (same code and output as `alphafactory-sim`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_EPILOG = """example:
  alphafactory simulate --orders orders.csv --trades trades.csv --events events.csv --tick-size 0.01

Bad rows are reported as FILE:LINE: message and skipped; --strict stops at the first one
(exit 1, nothing written).
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
    parser.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from alphafactory.cli import CLIError
    from alphafactory.engine.simulate import simulate_csv

    try:
        summary = simulate_csv(args.orders, args.trades, args.events, tick_size=args.tick_size,
                               strict=args.strict, stp=args.stp,
                               accepted_events=not args.no_accepted)
    except ValueError as exc:
        if args.strict and str(exc).startswith("bad row"):
            print(f"alphafactory: {exc}", file=sys.stderr)
            return 1
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(str(exc)) from None
    for line in summary.bad_rows:
        print(line, file=sys.stderr)
    print(f"{summary.rows} rows, {summary.orders} processed, {len(summary.bad_rows)} bad, "
          f"{summary.trades} trades, {summary.events} events", file=sys.stderr)
    return 0
