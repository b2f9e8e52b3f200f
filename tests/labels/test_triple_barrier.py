"""Hand-built triple-barrier cases: the decision is at bar T0 = 20 (close 100, sigma known)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.labels import meta_labels, triple_barrier

T0 = 20
P0 = 100.0
# 21 warm-up closes alternating +-1% log moves, ending at 100 at T0
WARM = P0 * np.exp(np.array([0.0 if i % 2 == 0 else 0.01 for i in range(T0 + 1)])[::-1])
SIGMA = float(pd.Series(np.log(WARM)).diff().iloc[1:].std())
UP, DN = P0 * np.exp(2 * SIGMA), P0 * np.exp(-2 * SIGMA)


def _bars(path: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Warm-up bars with a tiny range, then ``path`` bars given as (open, high, low, close)."""
    warm = [(c, c * 1.0001, c * 0.9999, c) for c in WARM]
    rows = warm + path
    ts = pd.date_range("2021-01-04", periods=len(rows), freq="D", tz="UTC", name="timestamp")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=ts)
    frame["volume"] = 1_000.0
    return frame


QUIET = (P0, P0 * 1.001, P0 * 0.999, P0)


def _at_t0(frame: pd.DataFrame) -> pd.Series:
    return frame.iloc[T0]


def test_triple_barrier_upper_touched_first():
    bars = _bars([QUIET, (P0, UP * 1.001, P0 * 0.999, P0 * 1.01), QUIET, QUIET])
    row = _at_t0(triple_barrier(bars, horizon=3))
    assert row["label"] == 1.0
    assert row["touch_time"] == bars.index[T0 + 2]
    assert row["ret"] == pytest.approx(UP / P0 - 1)
    assert row["upper"] == pytest.approx(UP) and row["lower"] == pytest.approx(DN)


def test_triple_barrier_lower_touched_first():
    bars = _bars([(P0, P0 * 1.001, DN * 0.999, P0), (P0, UP * 1.01, P0, UP), QUIET])
    row = _at_t0(triple_barrier(bars, horizon=3))
    assert row["label"] == -1.0 and row["touch_time"] == bars.index[T0 + 1]
    assert row["ret"] == pytest.approx(DN / P0 - 1)


def test_triple_barrier_tie_in_one_bar_resolves_against_position():
    bars = _bars([(P0, UP * 1.01, DN * 0.99, P0), QUIET, QUIET])
    long_row = _at_t0(triple_barrier(bars, horizon=3))
    assert long_row["label"] == -1.0  # stop first for a long (or no) side
    side = pd.Series(-1.0, index=bars.index)
    short_row = _at_t0(triple_barrier(bars, horizon=3, side=side))
    assert short_row["label"] == 1.0  # for a short, the upper barrier is the stop


def test_triple_barrier_gap_exits_at_open():
    gap_open = UP * 1.03
    bars = _bars([(gap_open, gap_open * 1.01, gap_open * 0.99, gap_open), QUIET, QUIET])
    row = _at_t0(triple_barrier(bars, horizon=3))
    assert row["label"] == 1.0 and row["ret"] == pytest.approx(gap_open / P0 - 1)


def test_triple_barrier_vertical_barrier_labels_zero():
    bars = _bars([QUIET, QUIET, (P0, P0 * 1.002, P0 * 0.998, P0 * 1.001), QUIET])
    row = _at_t0(triple_barrier(bars, horizon=3))
    assert row["label"] == 0.0
    assert row["touch_time"] == bars.index[T0 + 3]
    assert row["ret"] == pytest.approx(0.001)


def test_triple_barrier_last_bars_without_full_horizon_are_nan_unless_touched():
    bars = _bars([QUIET, QUIET])  # only 2 bars after T0
    out = triple_barrier(bars, horizon=3)
    assert np.isnan(out["label"].iloc[T0:]).all()
    assert out["touch_time"].iloc[T0:].isna().all()
    touched = _bars([QUIET, (P0, UP * 1.01, P0, P0)])
    assert _at_t0(triple_barrier(touched, horizon=3))["label"] == 1.0


def test_triple_barrier_warmup_without_volatility_is_nan():
    bars = _bars([QUIET] * 5)
    out = triple_barrier(bars, horizon=2, vol_window=20)
    assert out["label"].iloc[:T0].isna().all()
    assert out.attrs["horizon"] == 2


def test_triple_barrier_next_open_entry_uses_next_open():
    entry = 101.0
    up = entry * np.exp(2 * SIGMA)
    # the bar after T0 opens at 101 and reaches 101 e^{2 sigma} but not 100 e^{2 sigma} + 1%
    bars = _bars([(entry, up * 1.0005, entry * 0.999, entry), QUIET, QUIET])
    row = _at_t0(triple_barrier(bars, horizon=3, entry="next_open"))
    assert row["upper"] == pytest.approx(up)
    assert row["label"] == 1.0 and row["ret"] == pytest.approx(up / entry - 1)


def test_meta_labels_score_primary_side():
    bars = _bars([QUIET, (P0, UP * 1.001, P0 * 0.999, P0), QUIET])
    long_signal = pd.Series(0.7, index=bars.index)
    meta_long = meta_labels(long_signal, bars, horizon=3, entry="close")
    meta_short = meta_labels(-long_signal, bars, horizon=3, entry="close")
    assert meta_long.iloc[T0] == 1.0 and meta_short.iloc[T0] == 0.0
    flat = meta_labels(long_signal * 0, bars, horizon=3)
    assert flat.isna().all()
    assert meta_long.attrs["horizon"] == 3


def test_triple_barrier_panel_matches_single_symbol(bars):
    panel = triple_barrier(bars, horizon=4)
    one = bars.xs("S1", level="symbol")
    single = triple_barrier(one, horizon=4)
    got = panel.xs("S1", level="symbol")
    np.testing.assert_array_equal(got["label"].to_numpy(), single["label"].to_numpy())
    np.testing.assert_allclose(got["ret"].to_numpy(), single["ret"].to_numpy(), equal_nan=True)


def test_triple_barrier_bad_arguments_raise(single_bars):
    with pytest.raises(ValueError, match="positive"):
        triple_barrier(single_bars, pt=0)
    with pytest.raises(ValueError, match="horizon"):
        triple_barrier(single_bars, horizon=0)
