"""Book-execution benchmark: child orders per second through ``SimulatedVenue``.

Workload: passive TWAP buy parents of 200 lots in 20 slices over 300 simulated seconds, each in a
fresh book warmed up for 30 s (``alphafactory.execution.execution_throughput``), so the time
includes the Poisson background flow between children. Reference, measured in the same run on
the same parents and seeds: the same actions sent straight to ``MatchingEngine`` and
``PoissonOrderFlow`` through the batch API (no venue, no ledger, no value objects). The ratio is
what the Venue layer costs; the fills are checked to be the same.

Run: ``python bench/bench_execution.py [n_parents]`` (or ``make bench BENCH=execution``).
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from alphafactory.engine import ORDER_DTYPE, OrderType
from alphafactory.execution import BookConfig, ParentOrder, Side, SimulatedVenue, execute_parent

LOTS, SLICES, HORIZON = 200, 20, 300.0
BOOK = BookConfig(warmup_seconds=30.0)


def _order(ts, order_id, type_, qty, price=0):
    rec = np.zeros(1, dtype=ORDER_DTYPE)
    rec["ts"], rec["order_id"], rec["type"], rec["qty"], rec["price"] = (
        ts, order_id, int(type_), qty, price)
    rec["side"], rec["account"] = 1, 1
    return rec


def direct(seed: int) -> tuple[int, float]:
    """The executor's passive TWAP written against the engine; returns (children, filled lots)."""
    engine, flow = BOOK.open(seed)
    start, step = flow.now, int(HORIZON * 1e9 / SLICES)
    per_slice, filled, children, oid = LOTS // SLICES, 0, 0, 1 << 20
    for k in range(SLICES):
        begin, end = start + k * step, start + (k + 1) * step
        bid = engine._core.best_bid(0)
        oid += 1
        children += 1
        trades, _ = engine.process(_order(begin, oid, OrderType.LIMIT, per_slice, bid))
        got = int(trades["qty"].sum())
        drive = flow.drive(engine, until=end).trades
        got += int(drive["qty"][drive["maker_account"] == 1].sum())
        if got < per_slice:
            engine.process(_order(end, oid, OrderType.CANCEL, 0))
            oid += 1
            children += 1
            trades, _ = engine.process(_order(end, oid, OrderType.MARKET, per_slice - got))
            got += int(trades["qty"].sum())
        filled += got
    return children, filled


def through_venue(seed: int) -> tuple[int, float]:
    parent = ParentOrder(symbol="X", side=Side.BUY, quantity=LOTS * BOOK.shares_per_lot,
                         horizon_seconds=HORIZON, n_slices=SLICES)
    report = execute_parent(parent, SimulatedVenue({"X": BOOK}, seed=seed))
    return report.n_child_orders, report.filled / BOOK.shares_per_lot


def rate(fn, n_parents: int, repeats: int = 3) -> tuple[float, list]:
    rates, results = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        results = [fn(seed) for seed in range(n_parents)]
        rates.append(sum(c for c, _ in results) / (time.perf_counter() - started))
    return statistics.median(rates), results


def main() -> int:
    n_parents = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    venue_rate, venue_results = rate(through_venue, n_parents)
    direct_rate, direct_results = rate(direct, n_parents)
    same = venue_results == direct_results
    print(f"{n_parents} passive TWAP parents x {SLICES} slices, {LOTS} lots, "
          f"{HORIZON:g} s of Poisson flow each")
    print(f"{'path':<46} {'child orders/s':>16} {'ratio':>8}")
    print(f"{'SimulatedVenue + execute_parent':<46} {venue_rate:>16,.0f} {'1.0':>8}")
    print(f"{'engine + flow batch API (reference)':<46} {direct_rate:>16,.0f} "
          f"{direct_rate / venue_rate:>7.2f}x")
    print(f"same children and fills on both paths: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
