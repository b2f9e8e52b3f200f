"""Benchmark: alphafactory.backtest.backtest against vectorbt on 500 assets x 2520 bars.

Target weights rebalanced every bar (``execution="close"`` on pre-lagged weights), 10 bps on
traded notional, shared cash, at 95% gross and at 100% gross (where both backtesters shrink the
last buys of every rebalance to the cash left after fees). vectorbt (``Portfolio.from_orders``,
``size_type="targetpercent"``, ``cash_sharing=True``, rust engine) lives in its own virtual
environment: when the Python given by ``ALPHAFACTORY_VBT_PYTHON`` (default
``/tmp/vbt/bin/python``) exists it is re-measured in this run by ``bench/reference_vectorbt.py``
(into the git-ignored ``bench/results/``); otherwise the numbers saved in ``bench/reference/``
are used and the table says so. The equity curves must agree to 1e-9 (relative); exit status 1
otherwise.
Also reported: book-execution throughput of the execution module (child orders per second).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from backtest_workload import (  # noqa: E402
    FEE_BPS,
    FULL_GROSS,
    GROSS,
    INITIAL_CASH,
    N_ASSETS,
    N_BARS,
    workload,
)

from alphafactory.backtest import FixedBps, backtest  # noqa: E402

REPEATS = 20
TOLERANCE = 1e-9
TARGET_RATIO = 100.0  # issue #20: >= 100x vectorbt at both grosses


def target(name: str, value: float, op: str, goal: float, unit: str) -> None:
    """One ``TARGET`` line for ``bench/run_all.py``."""
    met = value >= goal if op == ">=" else value <= goal
    print(f"TARGET {name}: {value:.1f} {unit} vs target {op} {goal:g} {unit} -> "
          f"{'PASS' if met else 'SHORT'}")


def time_alphafactory(gross: float) -> tuple[float, np.ndarray]:
    close_values, weight_values = workload(gross=gross)
    index = pd.date_range("2010-01-04", periods=N_BARS, freq="B", tz="UTC", name="timestamp")
    columns = [f"S{i:03d}" for i in range(N_ASSETS)]
    close = pd.DataFrame(close_values, index=index, columns=columns)
    weights = pd.DataFrame(weight_values, index=index, columns=columns)
    cost = FixedBps(FEE_BPS)
    backtest(close, weights, cost=cost, execution="close", cash=INITIAL_CASH)  # warm-up
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = backtest(close, weights, cost=cost, execution="close", cash=INITIAL_CASH)
        timings.append(time.perf_counter() - started)
    return min(timings), result.equity.to_numpy()


def vectorbt_reference() -> tuple[dict, np.ndarray, np.ndarray, str]:
    python = Path(os.environ.get("ALPHAFACTORY_VBT_PYTHON", "/tmp/vbt/bin/python"))
    source, folder = "saved", HERE / "reference"
    if python.exists():
        live = HERE / "results"
        status = subprocess.call(
            [str(python), str(HERE / "reference_vectorbt.py"), str(live)],
            stdout=subprocess.DEVNULL,
        )
        if status == 0:
            source, folder = "measured in this run", live
        else:
            source = "saved (re-measure failed)"
    record = json.loads((folder / "vectorbt.json").read_text())
    equity = np.load(folder / "vectorbt_equity.npy")
    full_equity = np.load(folder / "vectorbt_equity_full.npy")
    if source == "saved":
        source = f"saved {record['measured_at']}"
    return record, equity, full_equity, source


def execution_throughput() -> tuple[float, int] | None:
    try:
        from alphafactory.execution import execution_throughput as measure
    except ImportError:
        return None
    return measure(seed=0)


def main() -> int:
    record, reference_equity, reference_full, source = vectorbt_reference()
    label = f"vectorbt {record['vectorbt_version']} from_orders ({record['engine']})"
    print(f"{N_ASSETS} assets x {N_BARS} bars, rebalanced every bar, {FEE_BPS:g} bps, shared cash")
    print(f"{'backtester':<44} {'best of runs':>14} {'ratio':>8}")
    gaps, ratios = [], []
    for gross, theirs, reference in (
        (GROSS, float(record["seconds_best"]), reference_equity),
        (FULL_GROSS, float(record["full_gross"]["seconds_best"]), reference_full),
    ):
        ours, equity = time_alphafactory(gross)
        gaps.append(float(np.max(np.abs(equity / reference - 1.0))))
        shrunk = " (the last buys of every rebalance shrunk to the cash left)"
        print(f"-- gross {gross:.0%}" + (shrunk if gross == FULL_GROSS else ""))
        print(f"{'alphafactory.backtest (compiled loop)':<44} {ours * 1e3:>11.2f} ms {'1.0':>8}")
        print(f"{label:<44} {theirs * 1e3:>11.2f} ms {theirs / ours:>7.1f}x")
        print(f"speed-up: {theirs / ours:.1f}x (target >= {TARGET_RATIO:g}x); equity agreement: "
              f"max relative gap {gaps[-1]:.2e} (tolerance {TOLERANCE:g})")
        ratios.append((gross, theirs / ours))
    print(f"vectorbt numbers: {source}")
    for gross, ratio in ratios:
        target(f"backtest.vs_vectorbt_gross_{gross * 100:.0f}", ratio, ">=", TARGET_RATIO,
               "x")
    throughput = execution_throughput()
    if throughput is not None:
        rate, n_children = throughput
        print(f"book execution: {n_children} child orders, {rate:,.0f} child orders/s")
    return 0 if max(gaps) <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
