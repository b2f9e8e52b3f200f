"""Features benchmark: TA-Lib wrapper overhead, build_features speed and memory, windows memory.

Run alone: ``.venv/bin/python bench/bench_features.py [--quick]``. Every ratio is against a
reference measured in the same run (best of ``--repeats`` timings each):

1. RSI(14), MACD(12,26,9), ATR(14), BBANDS(20,2), OBV on 1,000,000 bars and on a 2520 x 500
   panel: our wrappers against raw TA-Lib calls (one call, or one call per panel column).
2. ``build_features`` on 500 symbols x 2520 days (default spec): seconds against the same
   build computing every feature on the whole panel at once (one block, as before column blocks),
   each family's share of the time, peak memory allocated during the call (tracemalloc) over
   the output frame's values, and the resident-set high-water mark of a process that only builds.
3. ``make_windows``: the dataset's memory over its float32 array, for several lookbacks.
4. ``check_causal`` over every registered feature on a small panel.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator

import numpy as np
import talib

import alphafactory.features.build as build_module
from alphafactory.data import synthetic_market
from alphafactory.features import (
    atr,
    bbands,
    build_features,
    check_causal,
    list_features,
    macd,
    obv,
    rsi,
)
from alphafactory.labels import forward_returns

BUILD_SECONDS_TARGET = 5.0  # issue #20, 500 symbols x 2520 days, all features
BUILD_PEAK_TARGET = 1.3  # peak allocation over the output frame's values


def target(name: str, value: float, op: str, goal: float, unit: str) -> None:
    """One ``TARGET`` line for ``bench/run_all.py``."""
    ok = value <= goal if op == "<=" else value >= goal
    print(f"TARGET {name}: {value:.2f} {unit} vs target {op} {goal:g} {unit} -> "
          f"{'PASS' if ok else 'SHORT'}")


def time_pair(
    a: Callable[[], object], b: Callable[[], object], repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every time of each of two functions, runs interleaved so load drift hits both alike."""
    times = np.empty((2, repeats))
    for r in range(repeats):
        for k, fn in enumerate((a, b)):
            start = time.perf_counter()
            fn()
            times[k, r] = time.perf_counter() - start
    return times[0], times[1]


def ohlcv(shape: tuple[int, ...], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, shape), axis=0))
    spread = np.abs(rng.normal(0, 0.005, shape))
    return {
        "high": close * (1 + spread),
        "low": close * (1 - spread),
        "close": close,
        "volume": rng.lognormal(12, 0.5, shape),
    }


def indicator_cases(d: dict[str, np.ndarray]) -> dict[str, tuple[Callable, Callable, tuple]]:
    h, lo, c, v = d["high"], d["low"], d["close"], d["volume"]
    return {
        "RSI(14)": (lambda: rsi(c, 14), talib.RSI, (c,), {"timeperiod": 14}),
        "MACD(12,26,9)": (lambda: macd(c, 12, 26, 9), talib.MACD, (c,),
                          {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
        "ATR(14)": (lambda: atr(h, lo, c, 14), talib.ATR, (h, lo, c), {"timeperiod": 14}),
        "BBANDS(20,2)": (lambda: bbands(c, 20, 2.0), talib.BBANDS, (c,),
                         {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}),
        "OBV": (lambda: obv(c, v), talib.OBV, (c, v), {}),
    }


def bench_indicators(n_bars: int, panel: tuple[int, int], repeats: int) -> list[tuple]:
    rows = []
    for label, data in ((f"1-D {n_bars:,} bars", ohlcv((n_bars,))),
                        (f"panel {panel[0]} x {panel[1]}", ohlcv(panel))):
        for name, (ours, raw_fn, inputs, params) in indicator_cases(data).items():
            if inputs[0].ndim == 1:
                def raw(raw_fn=raw_fn, inputs=inputs, params=params):
                    return raw_fn(*inputs, **params)
            else:
                def raw(raw_fn=raw_fn, inputs=inputs, params=params):
                    return [raw_fn(*[x[:, j] for x in inputs], **params)
                            for j in range(inputs[0].shape[1])]
            raw()
            ours()
            t_raw, t_ours = time_pair(raw, ours, repeats)
            rows.append((label, name, t_raw.min() * 1e3, t_ours.min() * 1e3,
                         t_ours.min() / t_raw.min(), np.median(t_ours) / np.median(t_raw)))
    return rows


@contextlib.contextmanager
def whole_panel() -> Iterator[None]:
    """Build with one block of all symbols: every feature on the whole panel at once."""
    saved = build_module.BLOCK_BYTES
    build_module.BLOCK_BYTES = 1 << 62
    try:
        yield
    finally:
        build_module.BLOCK_BYTES = saved


def family_seconds(bars) -> dict[str, float]:
    """Wall seconds per family in one build (cross-sectional features apart); the remainder
    is bars to panel, the writes into the output and the frame."""
    spent: dict[str, float] = defaultdict(float)
    compute, load = build_module._compute, build_module.load_panel

    def timed_compute(d, ctx):
        start = time.perf_counter()
        try:
            return compute(d, ctx)
        finally:
            key = d.family + (" (cross-sectional ranks/z)" if d.cross_sectional else "")
            spent[key] += time.perf_counter() - start

    def timed_load(b):
        start = time.perf_counter()
        try:
            return load(b)
        finally:
            spent["bars to panel (load_panel)"] += time.perf_counter() - start

    build_module._compute, build_module.load_panel = timed_compute, timed_load
    try:
        gc.collect()
        start = time.perf_counter()
        build_features(bars, progress=False)
        total = time.perf_counter() - start
    finally:
        build_module._compute, build_module.load_panel = compute, load
    spent["writes into the output, frame"] = total - sum(spent.values())
    spent["total"] = total
    return dict(spent)


def build_rss(n_symbols: int, n_bars: int) -> dict[str, float]:
    """Resident set before one build in a fresh process and its high-water mark during it
    (Linux: the mark is reset first, so making the synthetic bars does not count)."""
    code = (
        "import json, re\n"
        "from alphafactory.data import synthetic_market\n"
        "from alphafactory.features import build_features\n"
        "def kb(field):\n"
        "    text = open('/proc/self/status').read()\n"
        "    return int(re.search(field + r':\\s+(\\d+)', text).group(1))\n"
        f"bars = synthetic_market({n_symbols}, {n_bars}, seed=0).bars\n"
        f"build_features(bars.iloc[:{n_symbols} * 300], progress=False)\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "base = kb('VmRSS')\n"
        "build_features(bars, progress=False)\n"
        "print(json.dumps([base, kb('VmHWM')]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    base, high = json.loads(done.stdout.strip().splitlines()[-1])
    return {"rss_before_gb": base * 1024 / 1e9, "rss_high_water_gb": high * 1024 / 1e9}


def bench_build(n_symbols: int, n_bars: int, repeats: int) -> dict[str, float]:
    bars = synthetic_market(n_symbols, n_bars, seed=0).bars
    build_features(bars.iloc[: n_symbols * 300], progress=False)  # warm imports and caches

    def ours() -> None:
        build_features(bars, progress=False)
        gc.collect()

    def reference() -> None:
        with whole_panel():
            build_features(bars, progress=False)
        gc.collect()

    t_ours, t_whole = time_pair(ours, reference, repeats)
    gc.collect()
    tracemalloc.start()
    feats = build_features(bars, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    output = feats.memory_usage(index=False, deep=False).sum()
    shape = feats.shape
    del feats
    gc.collect()
    return {
        "seconds": float(t_ours.min()),
        "seconds_whole_panel": float(t_whole.min()),
        "columns": shape[1],
        "rows": shape[0],
        "output_gb": output / 1e9,
        "peak_alloc_gb": peak / 1e9,
        "peak_over_output": peak / output,
        "input_gb": bars.memory_usage(deep=False).sum() / 1e9,
        **build_rss(n_symbols, n_bars),
        "families": family_seconds(bars),
    }


def bench_windows(n_symbols: int, n_bars: int, lookbacks: tuple[int, ...]) -> list[tuple]:
    from alphafactory.features import make_windows

    bars = synthetic_market(n_symbols, n_bars, seed=1).bars
    feats = build_features(bars, progress=False)
    target = forward_returns(bars, 1, entry="next_open")
    rows = []
    for lookback in lookbacks:
        gc.collect()
        tracemalloc.start()
        ds = make_windows(feats, target, lookback, nan_policy="zero")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        array = ds.values.nbytes
        total = array + ds.target.nbytes + ds.sample_symbol.nbytes + ds.time_positions.nbytes
        total += ds.labels.nbytes
        materialized = len(ds) * lookback * ds.n_features * 4
        rows.append((lookback, len(ds), array / 1e6, total / array, peak / array,
                     materialized / array))
    return rows


def bench_causality(n_symbols: int, n_bars: int) -> tuple[int, float, bool]:
    bars = synthetic_market(n_symbols, n_bars, seed=2).bars
    names = list(list_features()["name"])
    start = time.perf_counter()
    report = check_causal(names, bars, n_cuts=20)
    return len(names), time.perf_counter() - start, report.ok


def print_indicators(n_bars: int, panel: tuple[int, int], repeats: int) -> None:
    print("1. TA-Lib wrappers against raw TA-Lib (best of", repeats, "runs; ratio of the "
          "best times and of the median times)")
    print(f"{'input':<22}{'indicator':<16}{'raw ms':>10}{'ours ms':>10}{'best':>8}{'median':>8}")
    for label, name, t_raw, t_ours, best, median in bench_indicators(n_bars, panel, repeats):
        print(f"{label:<22}{name:<16}{t_raw:>10.2f}{t_ours:>10.2f}{best:>8.2f}{median:>8.2f}")


def print_windows_and_causality() -> None:
    print("\n3. make_windows memory (100 symbols x 1000 bars, all features, float32)")
    print(f"{'lookback':>9}{'samples':>10}{'array MB':>10}{'dataset/array':>15}"
          f"{'build peak/array':>18}{'materialized/array':>20}")
    for lookback, n, mb, ratio, peak, mat in bench_windows(100, 1000, (20, 60, 120)):
        print(f"{lookback:>9}{n:>10}{mb:>10.1f}{ratio:>15.3f}{peak:>18.3f}{mat:>20.1f}")

    n_feat, seconds, ok = bench_causality(20, 400)
    print(f"\n4. check_causal: {n_feat} features, 20 symbols x 400 bars, 20 cuts x 3 checks: "
          f"{seconds:.2f} s, all causal: {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--build-repeats", type=int, default=3,
                        help="timed build_features runs of each kind")
    parser.add_argument("--only-build", action="store_true", help="run section 2 alone")
    args = parser.parse_args()
    n_bars, panel = (100_000, (504, 100)) if args.quick else (1_000_000, (2520, 500))
    build_size = (50, 504) if args.quick else (500, 2520)

    if not args.only_build:
        print_indicators(n_bars, panel, args.repeats)
    print(f"\n2. build_features, default spec, {build_size[0]} symbols x {build_size[1]} bars "
          f"(best of {args.build_repeats}; reference: the same build on the whole panel at once)")
    res = bench_build(*build_size, args.build_repeats)
    families = res.pop("families")
    for key, value in res.items():
        shown = f"{value:>10.3f}" if isinstance(value, float) else f"{value:>10}"
        print(f"  {key:<22}{shown}")
    speedup = res["seconds_whole_panel"] / res["seconds"]
    grew = res["rss_high_water_gb"] - res["rss_before_gb"]
    print(f"  speed-up over the whole-panel build: {speedup:.2f}x; the resident set grew "
          f"{grew:.2f} GB in the build ({grew / res['output_gb']:.2f}x the output)")
    total = families.pop("total")
    head = f"share of one build ({total:.2f} s)"
    print(f"  {head:<44}{'seconds':>9}{'share':>8}")
    for name, sec in sorted(families.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<44}{sec:>9.2f}{100 * sec / total:>7.1f}%")
    if args.quick:
        print("  (--quick: not the targets' size, so no TARGET lines)")
    else:
        target("features.build_seconds", res["seconds"], "<=", BUILD_SECONDS_TARGET, "s")
        target("features.build_peak_ratio", res["peak_over_output"], "<=", BUILD_PEAK_TARGET, "x")

    if not args.only_build:
        print_windows_and_causality()

if __name__ == "__main__":
    main()
