from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.labels import direction, forward_returns


def _wide(series: pd.Series) -> pd.DataFrame:
    return series.unstack("symbol")


def test_forward_returns_close_entry_equals_future_close_ratio(bars):
    ret = forward_returns(bars, horizon=3)
    close = _wide(bars["close"])
    expected = close.shift(-3) / close - 1
    pd.testing.assert_frame_equal(_wide(ret), expected, check_names=False)
    assert ret.index.equals(bars.index)
    assert ret.attrs["horizon"] == 3


def test_forward_returns_next_open_entry_uses_next_open(bars):
    ret = forward_returns(bars, horizon=2, entry="next_open", kind="log")
    close, open_ = _wide(bars["close"]), _wide(bars["open"])
    # rows where the symbol has no bar at t are not labels (S1 lists late)
    expected = np.log(close.shift(-2) / open_.shift(-1)).where(close.notna())
    pd.testing.assert_frame_equal(_wide(ret), expected, check_names=False)
    assert ret.attrs["entry"] == "next_open"


def test_forward_returns_last_bars_without_full_horizon_are_nan(single_bars):
    ret = forward_returns(single_bars, horizon=5)
    assert ret.iloc[-5:].isna().all()
    assert ret.iloc[:-5].notna().all()


def test_forward_returns_changing_past_bars_leaves_later_labels(single_bars):
    base = forward_returns(single_bars, horizon=4, entry="next_open")
    changed = single_bars.copy()
    changed.iloc[:50] *= 1.7
    # labels at t >= 50 use bars t+1.. only (entry next_open) -> unchanged
    pd.testing.assert_series_equal(
        forward_returns(changed, horizon=4, entry="next_open").iloc[50:], base.iloc[50:]
    )


def test_forward_returns_demean_has_zero_cross_sectional_mean(bars):
    ret = forward_returns(bars, horizon=1, demean=True)
    means = ret.groupby(level="timestamp").mean().dropna()
    np.testing.assert_allclose(means.to_numpy(), 0.0, atol=1e-15)


def test_forward_returns_vol_scaled_divides_by_past_volatility(single_bars):
    raw = forward_returns(single_bars, horizon=4)
    scaled = forward_returns(single_bars, horizon=4, vol_scaled=True, vol_window=20)
    logret = np.log(single_bars["close"]).diff()
    sigma = logret.rolling(20).std()
    np.testing.assert_allclose(
        scaled.to_numpy(), (raw / (sigma * 2.0)).to_numpy(), rtol=1e-8, equal_nan=True
    )


def test_forward_returns_bad_arguments_raise(single_bars):
    with pytest.raises(ValueError, match="horizon"):
        forward_returns(single_bars, horizon=0)
    with pytest.raises(ValueError, match="entry"):
        forward_returns(single_bars, entry="open")
    with pytest.raises(ValueError, match="demean"):
        forward_returns(single_bars, demean=True)


def test_direction_thresholds_forward_return(single_bars):
    ret = forward_returns(single_bars, horizon=2)
    lab = direction(single_bars, horizon=2, threshold=0.01)
    expected = np.sign(ret.where((ret.abs() > 0.01) | ret.isna(), 0.0))
    np.testing.assert_array_equal(lab.to_numpy(), expected.to_numpy())
    assert lab.attrs["horizon"] == 2


@pytest.mark.parametrize("entry", ["close", "next_open"])
def test_forward_log_returns_carry_planted_ic_exactly(small_market, entry):
    """The synthetic market plants corr(truth_t, label_t) = alpha_ic for both entries: an
    off-by-one bar in the label would destroy it."""
    label = forward_returns(small_market.bars, 1, kind="log", entry=entry)
    frame = pd.DataFrame({"truth": small_market.truth, "label": label}).dropna()
    ic = frame.groupby(level="timestamp").apply(lambda g: g["truth"].corr(g["label"]))
    np.testing.assert_allclose(ic.to_numpy(), 0.1, atol=1e-9)
    # the same test on a label one bar late (the return over bar t+2) is not exact
    late = forward_returns(small_market.bars, 2, kind="log", entry="close") - forward_returns(
        small_market.bars, 1, kind="log", entry="close")
    frame2 = pd.DataFrame({"truth": small_market.truth, "label": late}).dropna()
    ic2 = frame2.groupby(level="timestamp").apply(lambda g: g["truth"].corr(g["label"]))
    assert np.abs(ic2.to_numpy() - 0.1).max() > 1e-3
