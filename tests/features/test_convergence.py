"""A feature computed from ``warmup + convergence + 1`` bars equals the one from all history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import build_features, list_features
from alphafactory.features.convergence import ema_convergence, talib_convergence

REGISTRY = list_features()
HISTORY = dict(zip(REGISTRY["name"], REGISTRY["warmup"] + REGISTRY["convergence"], strict=True))
TOLERANCE = 1e-8  # of each feature's standard deviation over the panel


def _tail(bars: pd.DataFrame, n: int) -> pd.DataFrame:
    ts = bars.index.get_level_values("timestamp")
    return bars[ts >= ts.unique()[-n]]


def _tail_errors(bars: pd.DataFrame, extra: int = 0) -> pd.Series:
    """Per feature: |last row from a tail of history + 1 + extra bars - from all bars| / std."""
    n_time = bars.index.get_level_values("timestamp").nunique()
    names = [n for n, h in HISTORY.items() if h + 1 + extra < n_time]
    full = build_features(bars, names, dtype=np.float64)
    last_ts = full.index.get_level_values("timestamp")[-1]
    last, scale = full.xs(last_ts, level="timestamp"), full.std().replace(0.0, 1.0)
    errors = {}
    for h in sorted({HISTORY[n] for n in names}):
        group = [n for n in names if HISTORY[n] == h]
        tail = build_features(_tail(bars, h + 1 + extra), group, dtype=np.float64)
        diff = (tail.xs(last_ts, level="timestamp") - last[group]).abs().max() / scale[group]
        errors.update(diff.to_dict())
    return pd.Series(errors)


def test_every_feature_converges_within_its_history_on_synthetic_bars(bars_factory):
    longest = max(HISTORY.values())
    bars = bars_factory(n_symbols=3, n_bars=longest + 60, seed=11, ragged=False)
    errors = _tail_errors(bars)
    assert len(errors) == len(REGISTRY)  # every registered feature was checked
    assert errors.notna().all() and (errors <= TOLERANCE).all(), errors.nlargest(5)


def test_features_converge_within_their_history_on_real_bars(sample_bars):
    errors = _tail_errors(sample_bars)
    assert len(errors) > 200
    assert (errors.fillna(0.0) <= TOLERANCE).all(), errors.nlargest(5)


def test_recursive_features_need_their_convergence_allowance(bars_factory):
    bars = bars_factory(n_symbols=3, n_bars=800, seed=4, ragged=False)
    full = build_features(bars, ["ema_ratio_20", "rsi_14"], dtype=np.float64).iloc[-3:]
    short = build_features(_tail(bars, 21), ["ema_ratio_20", "rsi_14"], dtype=np.float64)
    diff = (short.iloc[-3:] - full).abs().max() / full.abs().max()
    assert (diff > 1e-6).all()  # the warm-up alone is not enough for a recursive feature


def test_convergence_allowances_follow_the_smoothing():
    assert ema_convergence(1.0) == 0
    assert ema_convergence(0.5, stages=2) == 2 * ema_convergence(0.5)
    assert talib_convergence("EMA", timeperiod=20) == ema_convergence(2 / 21)
    assert talib_convergence("RSI", timeperiod=14) == ema_convergence(1 / 14)
    assert talib_convergence("SMA", timeperiod=20) == 0
    with pytest.raises(ValueError, match="alpha"):
        ema_convergence(0.0)
