"""`alphafactory execute`: the signals' orders executed in the simulated book, PnL attributed."""

from __future__ import annotations

import argparse

_EPILOG = """example:
  alphafactory execute --signals signals/signal_files/alpha_ml_signals.csv --algo twap \\
      --style passive --slices 10 --horizon 600 --rebalance 21 --half-spread-bps 2
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``execute`` command."""
    from alphafactory.cli.backtest import add_strategy_arguments

    parser = subparsers.add_parser(
        "execute",
        help="execute a signal file's orders through the C++ book (TWAP/VWAP/POV)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_strategy_arguments(parser)
    parser.add_argument("--algo", choices=["twap", "vwap", "pov"], default="twap")
    parser.add_argument("--style", choices=["passive", "aggressive"], default="passive")
    parser.add_argument("--slices", type=int, default=10)
    parser.add_argument("--horizon", type=float, default=600.0, help="simulated seconds")
    parser.add_argument("--participation", type=float, default=0.1, help="for --algo pov")
    parser.add_argument("--half-spread-bps", type=float, default=None,
                        help="half spread of both columns (default: Corwin-Schultz per bar)")
    parser.add_argument("--eta", type=float, default=1.0,
                        help="square-root impact coefficient of the vectorized column")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_execute)


def _execute(args: argparse.Namespace) -> int:
    import math
    import sys
    import textwrap

    from alphafactory.cli.backtest import check_flag, check_run_out, strategy_fields
    from alphafactory.pipeline.strategy_job import ExecuteJob, execute_job

    check_flag(args.slices >= 1, "--slices", "an integer >= 1", args.slices)
    check_flag(0 < args.horizon < math.inf, "--horizon", "a finite number of seconds > 0",
               args.horizon)
    check_flag(0 < args.participation <= 1, "--participation", "in (0, 1]", args.participation)
    spread = args.half_spread_bps
    check_flag(spread is None or 0 <= spread < math.inf, "--half-spread-bps",
               "a finite number >= 0", spread)
    check_flag(0 < args.eta < math.inf, "--eta", "a finite number > 0", args.eta)
    check_run_out(args)

    job = ExecuteJob(**strategy_fields(args), algo=args.algo, style=args.style,
                     slices=args.slices, horizon=args.horizon, participation=args.participation,
                     half_spread_bps=args.half_spread_bps, eta=args.eta, seed=args.seed)
    outcome = execute_job(job, path=args.out, write=not args.no_run)
    if outcome.note:
        print(outcome.note, file=sys.stderr)
    result = outcome.result
    print(result.attribution.to_string(float_format=lambda v: f"{v:,.2f}"))
    print(textwrap.fill(result.note, 100))
    parents = result.parents
    if len(parents):
        whole, filled = result.shortfall_bps()
        print(f"{len(parents)} parents, mean fill ratio {parents['fill_ratio'].mean():.3f}, "
              f"implementation shortfall {whole:.2f} bps of arrival notional (filled part "
              f"{filled:.2f} bps), notional-weighted, from the same fills as the attribution")
    if outcome.run is not None:
        print(f"run written to {outcome.run.path}")
    return 0
