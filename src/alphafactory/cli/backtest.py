"""`alphafactory backtest`: signals -> weights -> vectorized backtest, written as a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args

if TYPE_CHECKING:
    from alphafactory.data.sources import BarsSource

_EPILOG = """examples:
  alphafactory backtest --signals signals/signal_files/alpha_ml_signals.csv --cost sqrt
  alphafactory backtest --signals s.csv --cost fixed --bps 5 --bars data/equities/bars.parquet \\
      --rule quantile --quantiles 5 --rebalance 5
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` command."""
    parser = subparsers.add_parser(
        "backtest",
        help="backtest a signal file with a cost model (vectorized, compiled loop)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_strategy_arguments(parser)
    parser.add_argument("--cost", choices=["sqrt", "fixed", "spread"], default="sqrt",
                        help="square-root impact, fixed bps, or spread + linear impact")
    parser.add_argument("--bps", type=float, default=10.0, help="bps for --cost fixed")
    parser.add_argument("--eta", type=float, default=1.0, help="eta for --cost sqrt")
    parser.add_argument("--borrow-bps", type=float, default=0.0)
    parser.add_argument("--participation-cap", type=float, default=None)
    parser.set_defaults(func=_backtest)


def add_strategy_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by ``backtest`` and ``execute``: data, signals, weighting, run."""
    parser.add_argument("--signals", type=Path, required=True, help="signal file (CSV/Parquet)")
    add_bars_arguments(parser, default=None)
    parser.add_argument("--model", default=None, help="model to trade when the file has several")
    parser.add_argument("--rule", default="topk",
                        help="scores -> weights rule: any name of `alphafactory portfolio list` "
                             "(default topk)")
    parser.add_argument("--params", type=_toml_table, default={}, metavar="TABLE",
                        help="the rule's parameters as a TOML inline table, e.g. "
                             "'{ window = 60, k = 20, limits = { max_weight = 0.1 } }'")
    parser.add_argument("--k", type=int, default=1, help="names per leg for --rule topk")
    parser.add_argument("--long-only", action="store_true")
    parser.add_argument("--quantiles", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.0, help="entry for --rule threshold")
    parser.add_argument("--max-weight", type=float, default=None)
    parser.add_argument("--rebalance", default="1", help="every N bars, or a period like W or M")
    parser.add_argument("--execution", choices=["next_open", "next_close", "close"],
                        default="next_open")
    parser.add_argument("--cash", type=float, default=1e6)
    parser.add_argument("--out", type=Path, default=None, help="run directory (default runs/...)")
    parser.add_argument("--no-run", action="store_true", help="print only, write no run")


def _toml_table(text: str) -> dict[str, Any]:
    """Parse ``--params``: a TOML inline table (the form a workflow's ``params`` takes)."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        value = tomllib.loads(f"params = {text}")["params"]
    except tomllib.TOMLDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not a TOML inline table ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a table like '{{ k = 3 }}', got {text!r}")
    return value


def strategy_source(args: argparse.Namespace) -> BarsSource:
    """The bars source of a strategy command: ``--bars`` and its options, else the ``[data]``
    source recorded in the signal file's sidecar (a run's config), else the bundled sample."""
    from alphafactory.pipeline.strategy_job import recorded_source

    base = recorded_source(args.signals) if args.bars is None else None
    if base is None and args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args, base)
    assert source is not None
    return source


def strategy_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The job fields shared by ``backtest`` and ``execute``, from their common flags."""
    return {
        "data": strategy_source(args), "signals": str(args.signals), "model": args.model,
        "rule": args.rule, "k": args.k, "long_only": args.long_only,
        "quantiles": args.quantiles, "threshold": args.threshold, "max_weight": args.max_weight,
        "params": args.params, "rebalance": args.rebalance, "execution": args.execution,
        "cash": args.cash,
    }  # fmt: skip


def _backtest(args: argparse.Namespace) -> int:
    import sys

    from alphafactory.pipeline.strategy_job import BacktestJob, backtest_job

    job = BacktestJob(**strategy_fields(args), cost=args.cost, bps=args.bps, eta=args.eta,
                      borrow_bps=args.borrow_bps, participation_cap=args.participation_cap)
    outcome = backtest_job(job, path=args.out, write=not args.no_run)
    if outcome.note:
        print(outcome.note, file=sys.stderr)
    table = outcome.result.summary()
    for key in ("total_return", "sharpe", "max_drawdown", "mean_turnover", "cost_bps_of_traded",
                "final_equity"):
        print(f"{key:<20} {table[key]:>14.6g}")
    if outcome.run is not None:
        print(f"run written to {outcome.run.path}")
    return 0
