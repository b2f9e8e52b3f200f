"""Matching-engine benchmark: throughput, latency, memory and book-size scaling.

Workload (``alphafactory.engine.workloads.benchmark_orders``): 1,000,000 seeded messages, ~60%
limit adds (passive ones a geometric number of ticks behind the opposite best, 17% marketable),
~30% cancels of live orders (qty 0), ~10% market orders (price 0), one account, instrument 0,
about 5,000 live orders. Reports:

- messages/s through ``MatchingEngine.process`` (default settings; median of 7 runs on a reused
  engine after ``reset()``, and the median of 3 fresh engines), and the pure-Python reference book
  (``alphafactory.engine.reference``) on the same messages in the same run: the ratio;
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

from alphafactory.engine import MatchingEngine
from alphafactory.engine.reference import ReferenceBook
from alphafactory.engine.workloads import benchmark_orders

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 30.0


def python_throughput(orders, runs: int = 7) -> tuple[float, float]:
    MatchingEngine().process(orders)  # the process's first big allocations, not timed
    colds = []
    for _ in range(3):
        engine = MatchingEngine()
        cold_start = time.perf_counter()
        engine.process(orders)
        colds.append(len(orders) / (time.perf_counter() - cold_start))
    cold = statistics.median(colds)
    rates = []
    for _ in range(runs):
        engine.reset()
        start = time.perf_counter()
        engine.process(orders)
        rates.append(len(orders) / (time.perf_counter() - start))
    return statistics.median(rates), cold


def reference_throughput(orders) -> float:
    rows = orders.tolist()
    book = ReferenceBook(tick_size=0.01)
    start = time.perf_counter()
    book.process(rows)
    return len(rows) / (time.perf_counter() - start)


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


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    orders = benchmark_orders(n, seed=1)
    median, cold = python_throughput(orders)
    reference = reference_throughput(orders)
    ratio = median / reference
    print(f"workload: {n:,} messages, seed 1\n")
    print(f"{'path':<44}{'messages/s':>14}")
    print(f"{'MatchingEngine.process (median of 7, reused)':<44}{median:>14,.0f}")
    print(f"{'MatchingEngine.process (fresh engine, med. 3)':<44}{cold:>14,.0f}")
    print(f"{'pure-Python reference book':<44}{reference:>14,.0f}")
    verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
    print(f"{'ratio engine / reference':<44}{ratio:>13.1f}x  ({verdict}: target >= "
          f"{TARGET_RATIO:.0f}x)")
    rows = cpp_harness(n)
    if rows:
        print(f"\nC++ harness: process() median {float(rows['throughput_median'][0][0]):,.0f} "
              f"msg/s, best {float(rows['throughput_best'][0][0]):,.0f}")
        print(f"\n{'type':<10}{'count':>10}{'p50 ns':>9}{'p99 ns':>9}{'p99.9 ns':>10}")
        for name, count, p50, p99, p999 in rows.get("latency", []):
            print(f"{name:<10}{int(count):>10,}{p50:>9}{p99:>9}{p999:>10}")
        print(f"\n{'resting orders':>15}{'messages/s':>14}{'bytes/order':>13}")
        for size, rate, per_order in rows.get("book_size", []):
            print(f"{int(size):>15,}{float(rate):>14,.0f}{float(per_order):>13.1f}")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
