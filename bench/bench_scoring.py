"""Scoring benchmark: latency of ``alphafactory.models.score`` for the latest bar of 500 symbols.

Run alone: ``.venv/bin/python bench/bench_scoring.py [--quick]``.

The model is the default LSTM (``get_model("lstm")``: hidden 32) on the experiment's default
features (9 price and volume features, lookback 20) stored as an artifact; its weights come from
a short fit, since latency does not depend on them. Scoring reads the artifact's warm-up tail
(``artifact.warmup_bars`` bars) of 500 symbols and returns 500 scores. Measured in the same run:

1. ``score(artifact, tail)``: p50, p99 and max over ``--repeats`` calls (target p99 < 250 ms on
   2 cores), against a fair reference, building all 252 registered features on the same tail
   (what scoring cost before it built only the features the model names);
2. where the time goes: features of the artifact, normalizer and window cube, model forward;
3. the same call on a 4x longer history (``at="last"`` reads only the warm-up tail).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from alphafactory.data import synthetic_market
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.models import ModelArtifact, score
from alphafactory.training import WalkForward, fit_final
from alphafactory.training.experiment import DEFAULT_FEATURES

N_SYMBOLS = 500
LOOKBACK = 20


def default_lstm_artifact() -> ModelArtifact:
    """The default LSTM on the default features, fitted briefly on a small synthetic panel."""
    bars = synthetic_market(40, 420, seed=1, alpha_ic=0.1).bars
    features = build_features(bars, list(DEFAULT_FEATURES))
    labels = forward_returns(bars, 1, kind="log", entry="next_open", demean=True)
    return fit_final(
        features, labels, model="lstm", splitter=WalkForward(train=200, val=60, test=60),
        lookback=LOOKBACK, config={"train": {"epochs": 1, "max_batches_per_epoch": 5,
                                             "progress": False}},
    )  # fmt: skip


def tail_of(bars: pd.DataFrame, n: int) -> pd.DataFrame:
    ts = bars.index.get_level_values("timestamp")
    return bars[ts >= ts.unique()[-n]]


def timings(fn: Callable[[], object], repeats: int) -> np.ndarray:
    out = np.empty(repeats)
    for r in range(repeats):
        start = time.perf_counter()
        fn()
        out[r] = time.perf_counter() - start
    return out * 1e3


def breakdown(artifact: ModelArtifact, tail: pd.DataFrame, repeats: int) -> dict[str, float]:
    """Median ms of the stages of ``score`` for the latest bar, each run as ``score`` runs it."""
    from alphafactory.features.window_frames import frame_cube
    from alphafactory.features.windows import PanelWindows
    from alphafactory.models.scoring import _predict
    from alphafactory.models.seeding import torch_threads

    names = list(artifact.features)
    tail = tail.copy(deep=False)  # object symbols, as score() makes them
    tail.index = tail.index.set_levels(tail.index.levels[1].astype(object), level=1)
    frame = build_features(tail, names)
    stamps = frame.index.get_level_values("timestamp")
    rows = frame[stamps >= stamps.unique()[-LOOKBACK]]
    normalized = artifact.normalizer.transform(rows)
    last = pd.DatetimeIndex(stamps.unique()[-1:])
    cube = np.nan_to_num(frame_cube(normalized, pd.DatetimeIndex(rows.index.unique(0)),
                                    pd.Index(rows.index.unique(1))))  # fmt: skip
    n_sym = cube.shape[0]
    windows = PanelWindows(cube, np.arange(n_sym), np.full(n_sym, LOOKBACK - 1), LOOKBACK)

    def forward() -> None:
        with torch_threads(1):
            artifact.estimator.predict(windows)

    stages = {
        "features the artifact names": lambda: build_features(tail, names),
        "normalizer": lambda: artifact.normalizer.transform(rows),
        "windows and model": lambda: _predict(artifact, rows, normalized, last),
        "  of which the LSTM forward": forward,
    }
    return {stage: float(np.median(timings(fn, repeats))) for stage, fn in stages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    repeats = 15 if args.quick else args.repeats
    ref_repeats = 3 if args.quick else 9

    artifact = default_lstm_artifact()
    warmup = artifact.warmup_bars
    market = synthetic_market(N_SYMBOLS, 4 * warmup, seed=7).bars
    tail = tail_of(market, warmup)
    score(artifact, tail)  # warm imports, TA-Lib and torch kernels
    build_features(tail)

    print(f"default LSTM, {len(artifact.features)} features, lookback {artifact.lookback}, "
          f"warm-up tail {warmup} bars x {N_SYMBOLS} symbols, torch threads "
          f"{torch.get_num_threads()}")
    ms = timings(lambda: score(artifact, tail), repeats)
    ref = timings(lambda: build_features(tail), ref_repeats)
    p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
    print(f"\n1. score(artifact, tail), latest bar of {N_SYMBOLS} symbols, {repeats} calls")
    print(f"{'':<34}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    print(f"{'score':<34}{p50:>10.1f}{p99:>10.1f}{ms.max():>10.1f}")
    print(f"{'reference: all 252 features':<34}{np.median(ref):>10.1f}{'':>10}{ref.max():>10.1f}")
    print(f"ratio score p50 / reference median: {p50 / np.median(ref):.3f}; "
          f"p99 {'meets' if p99 < 250 else 'misses'} the 250 ms target")

    print("\n2. where the time goes (median ms)")
    for stage, value in breakdown(artifact, tail, repeats).items():
        print(f"  {stage:<32}{value:>10.1f}")

    long = timings(lambda: score(artifact, market), max(repeats // 3, 3))
    print(f"\n3. score from {market.index.get_level_values(0).nunique()} bars (4x the tail): "
          f"p50 {np.median(long):.1f} ms, ratio to the tail {np.median(long) / p50:.2f}")


if __name__ == "__main__":
    main()
