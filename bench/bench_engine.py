"""Matching-engine benchmark: throughput, latency, memory and book-size scaling.

Workload (``alphafactory.engine.workloads.benchmark_orders``, seed 1, 1,000,000 messages): limit
adds (passive ones a geometric number of ticks, p = 0.3, behind the opposite best; 17% of adds
priced at the opposite best, so marketable), cancels of live orders and market orders, one
account, instrument 0. Measured on seed 1 (printed again by every run): 60.0% limit, 30.0%
cancel, 9.9% market; 4,800 live orders on average (667..6,196) on 22 levels a side on average;
limit prices 99,972..100,040 ticks; 0.35 trades and 1.39 events per message.

Reports, each in the same run:

- messages/s through ``MatchingEngine.process`` from Python: the very first call of the process,
  fresh engines (median of 3) and a reused engine after ``reset()`` (median of 7);
- the pure-Python book of sorted price levels with FIFO deques and an id dict
  (``alphafactory.engine.reference_sorted.SortedBook``, the fair baseline: the ratio), checked to
  produce the engine's trades and events on the same messages (a mismatch exits 1);
- p50/p99/p99.9 latency per message type and throughput at 10^3, 10^5 and 10^7 resting orders,
  with bytes per resting order, from the C++ harness ``cpp/bench/engine_bench.cpp`` (compiled
  here with the system C++ compiler, -O3).

Run: ``python bench/bench_engine.py [n_messages]`` (or ``make bench BENCH=engine``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from alphafactory.engine import EVENT_DTYPE, TRADE_DTYPE, MatchingEngine, OrderType
from alphafactory.engine.reference_sorted import SortedBook
from alphafactory.engine.workloads import benchmark_orders

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 30.0


def target(name: str, value: float, op: str, goal: float, unit: str, scale: str = "") -> None:
    """One ``TARGET`` line for ``bench/run_all.py`` (``scale``: "M" prints millions)."""
    ok = value >= goal if op == ">=" else value <= goal
    div = 1e6 if scale == "M" else 1.0
    print(f"TARGET {name}: {value / div:.1f}{scale} {unit} vs target {op} {goal / div:g}{scale} "
          f"{unit} -> {'PASS' if ok else 'SHORT'}")


def stream_stats(orders: np.ndarray) -> str:
    """Message mix, live orders and levels a side (sampled every 1,000 messages)."""
    types, counts = np.unique(orders["type"], return_counts=True)
    mix = ", ".join(f"{OrderType(int(t)).name.lower()} {c / len(orders):.1%}"
                    for t, c in zip(types, counts, strict=True))
    engine = MatchingEngine(events="no_accepted")
    live, levels = [], []
    for start in range(0, len(orders), 1000):
        engine.process(orders[start:start + 1000])
        depth = engine.depth_ticks(levels=1_000_000)
        live.append(engine.resting_orders)
        levels.append((len(depth["bid_price"]) + len(depth["ask_price"])) / 2)
    priced = orders["price"][orders["type"] == OrderType.LIMIT]
    return (f"{mix}; live orders mean {np.mean(live):,.0f} (min {min(live):,}, max "
            f"{max(live):,}); levels a side mean {np.mean(levels):.0f}; limit prices "
            f"{priced.min():,}..{priced.max():,} ticks")


def python_throughput(orders: np.ndarray, runs: int = 7) -> tuple[float, float, float]:
    """(first call in the process, fresh engines median of 3, reused engine median of runs)."""
    start = time.perf_counter()
    MatchingEngine().process(orders)
    first = len(orders) / (time.perf_counter() - start)
    colds = []
    for _ in range(3):
        engine = MatchingEngine()
        start = time.perf_counter()
        engine.process(orders)
        colds.append(len(orders) / (time.perf_counter() - start))
    rates = []
    for _ in range(runs):
        engine.reset()
        start = time.perf_counter()
        engine.process(orders)
        rates.append(len(orders) / (time.perf_counter() - start))
    return first, statistics.median(colds), statistics.median(rates)


def reference_throughput(orders: np.ndarray) -> tuple[float, bool]:
    """Messages/s of the sorted-level Python book, and whether it agrees with the engine."""
    rows = orders.tolist()
    book = SortedBook()
    start = time.perf_counter()
    trades, events = book.process(rows)
    rate = len(rows) / (time.perf_counter() - start)
    got_t, got_e = MatchingEngine().process(orders)
    same = (np.array_equal(got_t, np.array(trades, dtype=TRADE_DTYPE))
            and np.array_equal(got_e, np.array(events, dtype=EVENT_DTYPE)))
    return rate, same


def cpp_harness(n: int) -> dict[str, list[list[str]]] | None:
    compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if compiler is None:
        print("no C++ compiler: latency and book-size figures skipped")
        return None
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = out_dir / "engine_bench"
    sources = [ROOT / "cpp/bench/engine_bench.cpp", ROOT / "cpp/src/matching_engine.cpp",
               ROOT / "cpp/src/matching_engine_queries.cpp", ROOT / "cpp/src/workload.cpp"]
    subprocess.run([compiler, "-O3", "-DNDEBUG", "-std=c++17", f"-I{ROOT / 'cpp/include'}",
                    *map(str, sources), "-o", str(exe)], check=True)
    proc = subprocess.run([str(exe), str(n), "7"], check=True, capture_output=True, text=True)
    rows: dict[str, list[list[str]]] = {}
    for line in proc.stdout.splitlines():
        key, *values = line.split()
        rows.setdefault(key, []).append(values)
    return rows


def report_cpp(rows: dict[str, list[list[str]]]) -> None:
    median = float(rows["throughput_median"][0][0])
    print(f"\nC++ harness: process() median {median:,.0f} msg/s, "
          f"best {float(rows['throughput_best'][0][0]):,.0f}")
    print(f"\n{'type':<10}{'count':>10}{'p50 ns':>9}{'p99 ns':>9}{'p99.9 ns':>10}")
    latency = rows.get("latency", [])
    for name, count, p50, p99, p999 in latency:
        print(f"{name:<10}{int(count):>10,}{p50:>9}{p99:>9}{p999:>10}")
    sizes = rows.get("book_size", [])
    print(f"\n{'resting orders':>15}{'messages/s':>14}{'bytes/order':>13}")
    for size, rate, per_order in sizes:
        print(f"{int(size):>15,}{float(rate):>14,.0f}{float(per_order):>13.1f}")
    target("engine.cpp", median, ">=", 50e6, "msg/s", "M")
    for name, _, _, p99, _ in latency:
        target(f"engine.p99_{name.lower()}", float(p99), "<=", 100, "ns")
    if sizes:
        rates = [float(rate) for _, rate, _ in sizes]
        flat = min(rates) / max(rates)
        target("engine.flat_1e3_to_1e7", flat * 100, ">=", 90, "%")
        target("engine.bytes_per_order", float(sizes[-1][2]), "<=", 64, "bytes/order")


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    orders = benchmark_orders(n, seed=1)
    first, cold, median = python_throughput(orders)
    reference, same = reference_throughput(orders)
    print(f"workload: {n:,} messages, seed 1: {stream_stats(orders)}\n")
    print(f"{'path':<46}{'messages/s':>14}{'vs reference':>14}")
    for name, rate in [("MatchingEngine.process (reused, median of 7)", median),
                       ("MatchingEngine.process (fresh engine, med. 3)", cold),
                       ("MatchingEngine.process (first call in process)", first),
                       ("pure-Python sorted-level book (SortedBook)", reference)]:
        print(f"{name:<46}{rate:>14,.0f}{rate / reference:>13.1f}x")
    print(f"(ratio target >= {TARGET_RATIO:.0f}x; the book {'agrees' if same else 'DISAGREES'} "
          f"with the engine on every trade and event)")
    target("engine.python_reused", median, ">=", 40e6, "msg/s", "M")
    target("engine.python_fresh", cold, ">=", 30e6, "msg/s", "M")
    target("engine.python_first_call", first, ">=", 30e6, "msg/s", "M")
    target("engine.ratio_vs_sorted_book", median / reference, ">=", TARGET_RATIO, "x")
    rows = cpp_harness(n)
    if rows:
        report_cpp(rows)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
