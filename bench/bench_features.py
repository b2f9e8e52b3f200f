"""Features benchmark: TA-Lib wrapper overhead, build_features speed and memory, windows memory.

Run alone: ``.venv/bin/python bench/bench_features.py [--quick]``. Every ratio is against a
reference measured in the same run (best of ``--repeats`` timings each):

1. RSI(14), MACD(12,26,9), ATR(14), BBANDS(20,2), OBV on 1,000,000 bars and on a 2520 x 500
   panel: our wrappers against raw TA-Lib calls (one call, or one call per panel column).
2. ``build_features`` on 500 symbols x 2520 days (default spec): seconds, peak memory
   allocated during the call (tracemalloc) and the output's size.
3. ``make_windows``: the dataset's memory over its float32 array, for several lookbacks.
4. ``check_causal`` over every registered feature on a small panel.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import talib

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


def bench_build(n_symbols: int, n_bars: int) -> dict[str, float]:
    bars = synthetic_market(n_symbols, n_bars, seed=0).bars
    build_features(bars.iloc[: n_symbols * 300], progress=False)  # warm imports and caches
    gc.collect()
    start = time.perf_counter()
    feats = build_features(bars, progress=False)
    seconds = time.perf_counter() - start
    out_bytes = feats.memory_usage(deep=False).sum()
    del feats
    gc.collect()
    tracemalloc.start()
    feats = build_features(bars, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "columns": feats.shape[1],
        "rows": feats.shape[0],
        "output_gb": out_bytes / 1e9,
        "peak_alloc_gb": peak / 1e9,
        "input_gb": bars.memory_usage(deep=False).sum() / 1e9,
        "max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    n_bars, panel = (100_000, (504, 100)) if args.quick else (1_000_000, (2520, 500))
    build_size = (50, 504) if args.quick else (500, 2520)

    print("1. TA-Lib wrappers against raw TA-Lib (best of", args.repeats, "runs; ratio of the "
          "best times and of the median times)")
    print(f"{'input':<22}{'indicator':<16}{'raw ms':>10}{'ours ms':>10}{'best':>8}{'median':>8}")
    for label, name, t_raw, t_ours, best, median in bench_indicators(n_bars, panel, args.repeats):
        print(f"{label:<22}{name:<16}{t_raw:>10.2f}{t_ours:>10.2f}{best:>8.2f}{median:>8.2f}")

    print(f"\n2. build_features, default spec, {build_size[0]} symbols x {build_size[1]} bars")
    res = bench_build(*build_size)
    for key, value in res.items():
        shown = f"{value:>10.3f}" if isinstance(value, float) else f"{value:>10}"
        print(f"  {key:<16}{shown}")

    print("\n3. make_windows memory (100 symbols x 1000 bars, all features, float32)")
    print(f"{'lookback':>9}{'samples':>10}{'array MB':>10}{'dataset/array':>15}"
          f"{'build peak/array':>18}{'materialized/array':>20}")
    for lookback, n, mb, ratio, peak, mat in bench_windows(100, 1000, (20, 60, 120)):
        print(f"{lookback:>9}{n:>10}{mb:>10.1f}{ratio:>15.3f}{peak:>18.3f}{mat:>20.1f}")

    n_feat, seconds, ok = bench_causality(20, 400)
    print(f"\n4. check_causal: {n_feat} features, 20 symbols x 400 bars, 20 cuts x 3 checks: "
          f"{seconds:.2f} s, all causal: {ok}")


if __name__ == "__main__":
    main()
