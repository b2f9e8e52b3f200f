"""Benchmark: the cost of the risk manager in the backtest (on vs off).

The shared workload of ``bench_backtest.py`` (geometric random walks, random long-only weights
summing to 0.95, 10 bps on traded notional) on 500 assets x 2520 daily bars, rebalanced every
bar (``execution="close"``). Rows, each against ``backtest()`` with no risk manager measured in
the same run (best of a few repeats):

* ``risk_managed, no limits``: the Python walk alone (must equal the plain backtest exactly);
* ``position + group + gross``: three limits on every decision (10 groups), no breaker;
* ``+ VaR limit``: a 99% historical VaR limit over 250 bars on every decision;
* ``+ breakers``: a 1% daily loss limit and a 5% drawdown stop reset each session, which trip
  often on this workload; every trip costs one more compiled run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from backtest_workload import FEE_BPS, INITIAL_CASH, N_ASSETS, N_BARS, workload  # noqa: E402

from alphafactory.backtest import FixedBps, backtest, risk_managed_backtest  # noqa: E402
from alphafactory.risk import (  # noqa: E402
    DailyLossLimit,
    MaxDrawdownStop,
    MaxGrossLeverage,
    MaxGroupWeight,
    MaxPositionWeight,
    RiskManager,
    VaRLimit,
)

REPEATS = 3


def best_of(fn, repeats: int = REPEATS) -> tuple[float, object]:
    timings, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        timings.append(time.perf_counter() - started)
    return min(timings), out


def main() -> int:
    close_values, weight_values = workload()
    index = pd.date_range("2010-01-04", periods=N_BARS, freq="B", tz="UTC", name="timestamp")
    columns = [f"S{i:03d}" for i in range(N_ASSETS)]
    close = pd.DataFrame(close_values, index=index, columns=columns)
    weights = pd.DataFrame(weight_values, index=index, columns=columns)
    options = {"cost": FixedBps(FEE_BPS), "execution": "close", "cash": INITIAL_CASH}
    groups = {c: f"G{i % 10}" for i, c in enumerate(columns)}
    limits = (MaxPositionWeight(max_weight=0.0025), MaxGroupWeight(groups=groups, max_weight=0.09),
              MaxGrossLeverage(max_gross=0.9))
    managers = {
        "risk_managed, no limits": RiskManager(),
        "position + group + gross": RiskManager(limits=limits),
        "+ VaR limit": RiskManager(limits=(*limits, VaRLimit(max_var=0.0012, window=250))),
        "+ breakers": RiskManager(limits=(*limits, DailyLossLimit(max_loss=0.01),
                                          MaxDrawdownStop(max_loss=0.05, reset="next_session"))),
    }
    backtest(close, weights, **options)  # warm-up
    base, plain = best_of(lambda: backtest(close, weights, **options))
    rows = [("backtest() (risk off)", base, 1.0, 1, 0)]
    for name, manager in managers.items():
        seconds, out = best_of(lambda m=manager: risk_managed_backtest(close, weights, risk=m,
                                                                       **options))
        if name.startswith("risk_managed") and not np.array_equal(
            out.result.equity.to_numpy(), plain.equity.to_numpy()
        ):
            print("risk_managed_backtest without limits differs from backtest()")
            return 1
        rows.append((name, seconds, seconds / base, out.compiled_runs, len(out.interventions)))
    table = pd.DataFrame(rows, columns=["configuration", "seconds", "x risk off",
                                        "compiled runs", "interventions"])
    print(f"{N_ASSETS} assets x {N_BARS} bars, rebalanced every bar, best of {REPEATS}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
