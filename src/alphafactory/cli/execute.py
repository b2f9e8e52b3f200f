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
    import textwrap

    from alphafactory.backtest import SquareRootImpact
    from alphafactory.cli.backtest import strategy_weights, write_backtest_run
    from alphafactory.execution import lob_backtest
    from alphafactory.execution.run_tables import cost_attribution_table, shortfall_table
    from alphafactory.runs import Run

    bars, scores, weights = strategy_weights(args)
    cost = SquareRootImpact(eta=args.eta, half_spread_bps=args.half_spread_bps)
    result = lob_backtest(
        bars, weights, cost=cost, scores=scores, execution=args.execution, cash=args.cash,
        algo=args.algo, style=args.style, n_slices=args.slices, horizon_seconds=args.horizon,
        participation=args.participation, half_spread_bps=args.half_spread_bps, seed=args.seed,
    )  # fmt: skip
    print(result.attribution.to_string(float_format=lambda v: f"{v:,.2f}"))
    print(textwrap.fill(result.note, 100))
    parents = result.parents
    if len(parents):
        whole, filled = result.shortfall_bps()
        print(f"{len(parents)} parents, mean fill ratio {parents['fill_ratio'].mean():.3f}, "
              f"implementation shortfall {whole:.2f} bps of arrival notional (filled part "
              f"{filled:.2f} bps), notional-weighted, from the same fills as the attribution")
    if not args.no_run:
        path = write_backtest_run(args, "execute", bars, result.vectorized, {"algo": args.algo})
        run = Run.open(path)
        run.write_table("execution/cost_attribution", cost_attribution_table(result.attribution))
        if len(parents):
            run.write_table("execution/shortfall", shortfall_table(parents))
        run.write_table("attribution", result.attribution)
        print(f"run written to {path}")
    return 0
