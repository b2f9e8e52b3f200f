"""Data loading benchmark: a 2M-row OHLCV panel loaded and validated from CSV and Parquet.

Run alone: ``.venv/bin/python bench/bench_data.py [--quick] [--repeats N]``.

The data: ``synthetic_market(n_symbols=800, n_bars=2520, seed=7, calendar="XNYS")``, 2,016,000
daily bars on XNYS sessions, written once by ``write_ohlcv_csv`` (the long format ``load_bars``
reads, about 200 MB) and ``write_parquet`` (zstd) under the temp folder and reused.

Each measurement runs in a fresh Python process, so memory figures do not leak between runs:
the process imports everything, builds the XNYS calendar once (a fixed ~1 s cost that a
long-lived process pays once; it is printed apart as "cold"), notes its resident memory, then
loads the file: the peak is the RSS high-water mark over that baseline (``VmHWM``, reset to the
baseline first through ``/proc/self/clear_refs``; ``getrusage`` where that is missing), and a
second process gives the peak of Python-tracked allocations of our load (tracemalloc, which
does not see Arrow's buffers). Times are the best of ``--repeats`` loads in the first process. The
references, measured the same way: ``pyarrow.csv.read_csv(...).to_pandas()`` and
``pandas.read_csv(engine="pyarrow")`` (the floor: reading with no validation), and
``pq.read_table(...).to_pandas()`` and ``pandas.read_parquet`` for Parquet.

Targets (issue #20): load + validate <= 5 s (CSV), <= 2 s (Parquet); peak memory <= 3x the
loaded frame's ``memory_usage(deep=True)``. The script exits non-zero only when the CSV and
Parquet loads disagree with each other or with the bars that were written.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

N_SYMBOLS, N_BARS, SEED = 800, 2520, 7
TARGETS = {"csv": 5.0, "parquet": 2.0}
PEAK_TARGET = 3.0


def target(name: str, value: float, op: str, goal: float, unit: str) -> None:
    """One ``TARGET`` line for ``bench/run_all.py``."""
    ok = value <= goal if op == "<=" else value >= goal
    print(f"TARGET {name}: {value:.2f} {unit} vs target {op} {goal:g} {unit} -> "
          f"{'PASS' if ok else 'SHORT'}")  # fmt: skip


def data_files(n_symbols: int) -> tuple[Path, Path, str]:
    """The CSV and Parquet files (written on first use) and the written bars' fingerprint."""
    from alphafactory.data import fingerprint, synthetic_market, write_ohlcv_csv, write_parquet

    folder = Path(tempfile.gettempdir()) / f"alphafactory-bench-data-{n_symbols}x{N_BARS}-{SEED}"
    csv, parquet, stamp = folder / "bars.csv", folder / "bars.parquet", folder / "fingerprint"
    if not stamp.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"writing {n_symbols} x {N_BARS} bars to {folder} (once) ...", flush=True)
        bars = synthetic_market(n_symbols=n_symbols, n_bars=N_BARS, seed=SEED,
                                calendar="XNYS").bars  # fmt: skip
        write_ohlcv_csv(bars, csv)
        write_parquet(bars, parquet)
        stamp.write_text(fingerprint(bars))
    return csv, parquet, stamp.read_text()


def _rss_now() -> float:
    """Resident memory now, bytes; resets the high-water mark to it where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # VmHWM := VmRSS, so the imports' own peak does not mask the load's
    except OSError:
        pass
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def _rss_peak() -> float:
    """Resident memory high-water mark, bytes (VmHWM; getrusage where /proc lacks it)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _loader(kind: str):
    import pandas as pd
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from alphafactory.data import load_bars

    return {
        "ours": load_bars,
        "arrow_csv": lambda p: pcsv.read_csv(p).to_pandas(),
        "pandas_csv": lambda p: pd.read_csv(p, engine="pyarrow"),
        "arrow_parquet": lambda p: pq.read_table(p).to_pandas(),
        "pandas_parquet": pd.read_parquet,
    }[kind]


def child(kind: str, path: str, repeats: int, trace: bool) -> None:
    """One fresh process: warm up, load ``path`` ``repeats`` times; print a JSON line."""
    from alphafactory.data import calendars

    load = _loader(kind)
    start = time.perf_counter()
    calendars.sessions("XNYS", "2010-01-04", "2010-01-05")  # the calendar: once per process
    cold = time.perf_counter() - start
    base = _rss_now()
    if trace:
        tracemalloc.start()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        frame = load(path)
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            peak_rss = _rss_peak() - base
            traced = tracemalloc.get_traced_memory()[1] if trace else 0
            size = int(frame.memory_usage(deep=True).sum())
            if trace:
                tracemalloc.stop()
        del frame
    print(json.dumps({"best": min(times), "times": times, "cold_calendar": cold,
                      "peak_rss": peak_rss, "traced": traced, "size": size}))  # fmt: skip


def measure(kind: str, path: Path, repeats: int, trace: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--repeats", str(repeats)]
        + (["--trace"] if trace else []),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def agree(csv: Path, parquet: Path, written: str) -> bool:
    """Both files load to the bars that were written (same fingerprint)."""
    from alphafactory.data import fingerprint, load_bars

    got = {fmt: fingerprint(load_bars(p)) for fmt, p in (("csv", csv), ("parquet", parquet))}
    same = set(got.values()) == {written}
    print(f"fingerprints: written {written[:19]}..., csv {got['csv'][:19]}..., parquet "
          f"{got['parquet'][:19]}... -> {'agree' if same else 'DISAGREE'}")  # fmt: skip
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="80 symbols instead of 800")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.repeats, args.trace)
        return 0
    n_symbols = 80 if args.quick else N_SYMBOLS
    csv, parquet, written = data_files(n_symbols)
    rows = n_symbols * N_BARS
    print(f"\n=== data loading: {n_symbols} symbols x {N_BARS} days = {rows:,} rows; CSV "
          f"{csv.stat().st_size / 1e6:.0f} MB, Parquet {parquet.stat().st_size / 1e6:.0f} MB; "
          f"best of {args.repeats}, each in a fresh process ===")  # fmt: skip
    ok = agree(csv, parquet, written)
    print(f"{'load':<40}{'seconds':>9}{'peak RSS MB':>13}{'x frame':>9}{'traced MB':>11}")
    results = {}
    for fmt, path, refs in (
        ("csv", csv, ("arrow_csv", "pandas_csv")),
        ("parquet", parquet, ("arrow_parquet", "pandas_parquet")),
    ):
        for kind in ("ours", *refs):
            got = measure(kind, path, args.repeats)
            if kind == "ours":  # tracemalloc slows a load: a process of its own, ours only
                got["traced"] = measure(kind, path, 1, trace=True)["traced"]
            results[fmt, kind] = got
        size = results[fmt, "ours"]["size"]
        for kind in ("ours", *refs):
            r = results[fmt, kind]
            label = f"{fmt}: " + ("load_bars (read + validate)" if kind == "ours" else kind)
            traced = f"{r['traced'] / 1e6:.0f}" if kind == "ours" else "-"
            print(f"{label:<40}{r['best']:>9.2f}{r['peak_rss'] / 1e6:>13.0f}"
                  f"{r['peak_rss'] / size:>9.2f}{traced:>11}")  # fmt: skip
        ours = results[fmt, "ours"]
        floor = results[fmt, refs[0]]
        print(f"  {fmt}: frame {size / 1e6:.0f} MB in memory; ours / {refs[0]} (the floor): "
              f"{ours['best'] / floor['best']:.2f}x time, "
              f"{ours['peak_rss'] / floor['peak_rss']:.2f}x peak; ours / {refs[1]}: "
              f"{ours['best'] / results[fmt, refs[1]]['best']:.2f}x time; first call's calendar "
              f"build (cold, not in the figure) {ours['cold_calendar']:.2f} s")  # fmt: skip
    if args.quick:
        print("(--quick: not the targets' size, so no TARGET lines)")
        return 0 if ok else 1
    for fmt in ("csv", "parquet"):
        target(f"data.{fmt}_load_validate", results[fmt, "ours"]["best"], "<=", TARGETS[fmt], "s")
    for fmt in ("csv", "parquet"):
        r = results[fmt, "ours"]
        target(f"data.{fmt}_peak_ratio", r["peak_rss"] / r["size"], "<=", PEAK_TARGET, "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
