"""Record Backtesting.py 0.6.6 on a single-asset long/flat rule for the backtest tests.

Run with a Python that has ``backtesting==0.6.6`` (kept out of the project's dependencies), e.g.::

    python3 -m venv /tmp/vbt && /tmp/vbt/bin/pip install backtesting==0.6.6
    /tmp/vbt/bin/python bench/reference_backtesting.py

It writes ``tests/backtest/data/backtesting_reference.json`` (or the file given as argument):
the bars, the rule's decisions as target weights (1 = enter long, 0 = exit, null = hold), and
Backtesting.py's equity curve and per-bar position in whole shares. The rule is a moving-average
crossover computed here once; the strategy buys with the default size (all available margin,
whole shares, commission included) and closes, with ``trade_on_close=False`` (orders fill at
the next open), so ``alphafactory.backtest.backtest(..., execution="next_open",
whole_shares=True, cost=Commission(bps=...))`` must hold the same shares and equity.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "tests/backtest/data/backtesting_reference.json"
N_BARS, CASH, COMMISSION, SEED = 200, 10_000.0, 0.005, 7
FAST, SLOW = 3, 12


def bars() -> pd.DataFrame:
    """Random daily OHLCV with overnight gaps (the open differs from the previous close)."""
    rng = np.random.default_rng(SEED)
    close = 80.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, N_BARS)))
    previous = np.concatenate([[80.0], close[:-1]])
    open_ = previous * np.exp(rng.normal(0.0, 0.008, N_BARS))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, N_BARS))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, N_BARS))
    index = pd.date_range("2021-01-04", periods=N_BARS, freq="B")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1e6}, index=index
    )


def decisions(close: pd.Series) -> np.ndarray:
    """Target weight per bar: 1 when the fast average crosses above the slow one, 0 below."""
    long = (close.rolling(FAST).mean() > close.rolling(SLOW).mean()).to_numpy()
    weights = np.full(len(close), np.nan)
    held = False
    for i in range(1, len(close)):  # Backtesting.py's first next() call is at bar 1
        if long[i] != held:
            weights[i] = 1.0 if long[i] else 0.0
            held = bool(long[i])
    return weights


def main() -> int:
    import backtesting
    from backtesting import Backtest, Strategy

    data = bars()
    weights = decisions(data["Close"])

    class Crossover(Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            w = weights[len(self.data) - 1]
            if w == 1.0:
                self.buy()
            elif w == 0.0:
                self.position.close()

    run = Backtest(data, Crossover, cash=CASH, commission=COMMISSION, trade_on_close=False,
                   exclusive_orders=False, finalize_trades=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = run.run()
    trades = stats["_trades"]
    position = np.zeros(N_BARS)
    for trade in trades.itertuples():
        position[trade.EntryBar : trade.ExitBar] += trade.Size
    open_trades = run._results["_strategy"]._broker.trades  # still open at the end
    for trade in open_trades:
        position[trade.entry_bar :] += trade.size
    record = {
        "tool": "backtesting.Backtest(commission=..., trade_on_close=False), buy() = all margin",
        "backtesting_version": backtesting.__version__,
        "recorded_by": "bench/reference_backtesting.py",
        "cash": CASH,
        "commission": COMMISSION,
        "timestamps": [t.strftime("%Y-%m-%d") for t in data.index],
        **{field.lower(): data[field].tolist() for field in ("Open", "High", "Low", "Close")},
        "weights": [None if np.isnan(w) else w for w in weights],
        "equity": stats["_equity_curve"]["Equity"].tolist(),
        "position": position.tolist(),
        "n_trades": len(trades) + len(open_trades),
    }
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes): {record['n_trades']} trades, final equity "
          f"{record['equity'][-1]:.6f}, shares {sorted(set(trades['Size']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
