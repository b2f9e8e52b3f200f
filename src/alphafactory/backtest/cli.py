"""`alphafactory backtest`: signals -> weights -> vectorized backtest, written as a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

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
    parser.add_argument("--bars", default="sample",
                        help="'sample' (bundled daily equities) or a bars CSV/Parquet file")
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


def load_bars(spec: str) -> pd.DataFrame:
    """Bars from ``"sample"`` (the bundled daily equities) or a CSV/Parquet file."""
    from alphafactory.cli import CLIError
    from alphafactory.data import load_ohlcv_csv, load_sample, read_parquet

    if spec == "sample":
        return load_sample()
    path = Path(spec)
    if not path.exists():
        raise CLIError(f"--bars: no file at {path} (or pass 'sample')")
    if path.suffix.lower() in {".parquet", ".pq"}:
        return read_parquet(path)
    return load_ohlcv_csv(path)  # type: ignore[return-value]


def strategy_weights(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Load bars and signals, and turn the scores into weights; returns (bars, scores, weights)."""
    from alphafactory.cli import CLIError
    from alphafactory.data import to_wide
    from alphafactory.signals import (
        SignalFileError,
        load_signals,
        quantile_long_short,
        rebalance_every,
        score_proportional,
        scores_wide,
        threshold_long_flat,
        top_bottom_k,
        universe_from_prices,
    )

    bars = load_bars(args.bars)
    try:
        signals = load_signals(args.signals, bars=bars)
        scores = scores_wide(signals, model=args.model)
    except (SignalFileError, FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    close = to_wide(bars, "close")
    scores = scores.reindex(index=close.index, columns=close.columns)
    universe = universe_from_prices(close)
    if args.rule == "topk":
        weights = top_bottom_k(scores, args.k, 0 if args.long_only else args.k, universe=universe)
    elif args.rule == "quantile":
        weights = quantile_long_short(scores, args.quantiles, long_only=args.long_only,
                                      universe=universe)
    elif args.rule == "proportional":
        weights = score_proportional(scores, max_weight=args.max_weight, universe=universe)
    else:
        weights = threshold_long_flat(scores, enter=args.threshold, universe=universe)
    every: int | str = int(args.rebalance) if args.rebalance.isdigit() else args.rebalance
    return bars, scores, rebalance_every(weights, every)


def write_backtest_run(args: argparse.Namespace, name: str, result: Any, extra: dict) -> Path:
    """Write a run directory: config, signals copy, equity, trades, metrics, tearsheet."""
    import pandas as pd

    from alphafactory.data import fingerprint
    from alphafactory.runs import Run

    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
              if k != "func" and v is not None}
    run = Run.create(name, config, seed=int(getattr(args, "seed", 0)), path=args.out)
    bars = load_bars(args.bars)
    run.write_manifest(data_fingerprints={"bars": fingerprint(bars)})
    run.copy_file(args.signals, "signals.csv")
    equity = (result.equity / result.initial_cash).to_frame(name="strategy")
    run.write_table("equity", equity)
    trades = result.trades
    run.write_table("trades", pd.DataFrame({
        "timestamp": trades["timestamp"], "symbol": trades["symbol"], "model": "strategy",
        "qty": trades["shares"], "price": trades["price"], "notional": trades["notional"],
        "cost": trades["spread"] + trades["impact"] + trades["commission"],
    }))
    summary = result.summary()
    run.write_metrics({"models": {"strategy": {k: float(v) for k, v in summary.items()}},
                       **extra})
    result.to_html(run.figures_dir / "tearsheet.html")
    return run.path


def _backtest(args: argparse.Namespace) -> int:
    from alphafactory.backtest import FixedBps, SpreadImpact, SquareRootImpact, backtest
    from alphafactory.cli import CLIError

    bars, _, weights = strategy_weights(args)
    cost = {"sqrt": SquareRootImpact(eta=args.eta, half_spread_bps=None),
            "fixed": FixedBps(args.bps),
            "spread": SpreadImpact()}[args.cost]
    try:
        result = backtest(bars, weights, cost=cost, execution=args.execution, cash=args.cash,
                          borrow_bps=args.borrow_bps, participation_cap=args.participation_cap)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    table = result.summary()
    for key in ("total_return", "sharpe", "max_drawdown", "mean_turnover", "cost_bps_of_traded",
                "final_equity"):
        print(f"{key:<20} {table[key]:>14.6g}")
    if not args.no_run:
        path = write_backtest_run(args, "backtest", result, {"cost_model": args.cost})
        print(f"run written to {path}")
    return 0
