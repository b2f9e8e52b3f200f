"""`alphafactory backtest`: signals -> weights -> vectorized backtest, written as a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphafactory.cli._bars import BARS_DESTS, add_bars_arguments, bars_source_from_args

if TYPE_CHECKING:
    import pandas as pd

    from alphafactory.runs import Run

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
    parser.add_argument("--rule", choices=["topk", "quantile", "proportional", "threshold"],
                        default="topk", help="scores -> weights rule")
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


def strategy_weights(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Load bars and signals, and turn the scores into weights; returns (bars, scores, weights)."""
    from alphafactory.data import to_wide
    from alphafactory.portfolio import weights_from_scores
    from alphafactory.signals import load_signals, scores_wide, universe_from_prices

    bars = strategy_bars(args)
    signals = load_signals(args.signals, bars=bars)
    scores = scores_wide(signals, model=args.model)
    close = to_wide(bars, "close")
    scores = scores.reindex(index=close.index, columns=close.columns)
    rule_params = {"topk": {"k": args.k, "long_only": args.long_only},
                   "quantile": {"quantiles": args.quantiles, "long_only": args.long_only},
                   "proportional": {"max_weight": args.max_weight},
                   "threshold": {"threshold": args.threshold}}[args.rule]
    every: int | str = int(args.rebalance) if args.rebalance.isdigit() else args.rebalance
    weights = weights_from_scores(scores, args.rule, universe=universe_from_prices(close),
                                  rebalance=every, **rule_params)
    return bars, scores, weights


def strategy_bars(args: argparse.Namespace) -> pd.DataFrame:
    """The bars of a strategy command: ``--bars`` and its options, else the ``[data]`` source
    recorded in the signal file's sidecar (a ``train`` run's config), else the bundled sample.
    ``args.bars_source`` is set to the :class:`BarsSource` used."""
    import json
    import sys

    from alphafactory.data import fingerprint
    from alphafactory.data.sources import BarsSource
    from alphafactory.signals import sidecar_path

    side = sidecar_path(args.signals)
    meta = json.loads(side.read_text()) if side.is_file() else {}
    recorded = (meta.get("model_config") or {}).get("data")
    base = None
    if args.bars is None and isinstance(recorded, dict):
        base = BarsSource.from_config(recorded, where=f"the [data] source recorded in {side}")
    elif args.bars is None:
        args.bars = "sample"
    source = bars_source_from_args(args, base)
    assert source is not None
    args.bars_source = source
    bars = source.load()
    expected = meta.get("data_fingerprint")
    if expected and expected != fingerprint(bars):
        print(f"note: the bars of {source.spec!r} differ from those the signals were made from "
              f"(fingerprint in {side.name}); updated data?", file=sys.stderr)  # fmt: skip
    return bars


def create_strategy_run(args: argparse.Namespace, name: str, bars: pd.DataFrame) -> Run:
    """Create the run directory of a ``backtest`` or ``execute`` command from its arguments."""
    from alphafactory.data import fingerprint
    from alphafactory.runs import Run

    source = getattr(args, "bars_source", None) or bars_source_from_args(args)
    skip = {"func", "bars_source", *BARS_DESTS}
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k not in skip and v is not None}
    config["data"] = source.to_config()
    run = Run.create(name, config, seed=int(getattr(args, "seed", 0)), path=args.out)
    run.write_manifest(data_fingerprints={"bars": fingerprint(bars)},
                       extra={"data": source.to_config()})
    run.copy_file(args.signals, "signals.csv")
    return run


def write_backtest_run(
    args: argparse.Namespace, name: str, bars: pd.DataFrame, result: Any, extra: dict
) -> Path:
    """Write a run directory: config, manifest, signals copy, equity, trades, metrics, tearsheet."""
    from alphafactory.backtest import record_backtest

    run = create_strategy_run(args, name, bars)
    record_backtest(run, result, extra=extra)
    return run.path


def _backtest(args: argparse.Namespace) -> int:
    from alphafactory.backtest import FixedBps, SpreadImpact, SquareRootImpact, backtest

    bars, _, weights = strategy_weights(args)
    cost = {"sqrt": SquareRootImpact(eta=args.eta, half_spread_bps=None),
            "fixed": FixedBps(args.bps),
            "spread": SpreadImpact()}[args.cost]
    result = backtest(bars, weights, cost=cost, execution=args.execution, cash=args.cash,
                      borrow_bps=args.borrow_bps, participation_cap=args.participation_cap)
    table = result.summary()
    for key in ("total_return", "sharpe", "max_drawdown", "mean_turnover", "cost_bps_of_traded",
                "final_equity"):
        print(f"{key:<20} {table[key]:>14.6g}")
    if not args.no_run:
        path = write_backtest_run(args, "backtest", bars, result, {"cost_model": args.cost})
        print(f"run written to {path}")
    return 0
