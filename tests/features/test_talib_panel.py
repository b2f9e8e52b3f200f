from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from alphafactory.data.wide import load_panel
from alphafactory.features import apply_talib, atr, bbands, macd, obv, rsi


@pytest.fixture
def wide(bars):
    return load_panel(bars).fields


def _per_column(func, *arrays, **params):
    """Reference: raw TA-Lib on each symbol's own bars (its listed span)."""
    n_time, n_cols = arrays[0].shape
    first = func(*[np.ascontiguousarray(a[:, 0]) for a in arrays], **params)
    n_out = len(first) if isinstance(first, tuple) else 1
    outs = [np.full((n_time, n_cols), np.nan) for _ in range(n_out)]
    for j in range(n_cols):
        rows = np.flatnonzero(np.isfinite(arrays[0][:, j]))
        lo, hi = rows[0], rows[-1] + 1
        res = func(*[np.ascontiguousarray(a[lo:hi, j]) for a in arrays], **params)
        res = res if isinstance(res, tuple) else (res,)
        for out, r in zip(outs, res, strict=True):
            out[lo:hi, j] = r
    return outs


@pytest.mark.parametrize(
    ("ours", "ref", "fields", "params"),
    [
        (lambda f: (rsi(f["close"], 14),), talib.RSI, ("close",), {"timeperiod": 14}),
        (lambda f: macd(f["close"], 12, 26, 9), talib.MACD, ("close",),
         {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
        (lambda f: (atr(f["high"], f["low"], f["close"], 14),), talib.ATR,
         ("high", "low", "close"), {"timeperiod": 14}),
        (lambda f: bbands(f["close"], 20, 2.0), talib.BBANDS, ("close",),
         {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0}),
        (lambda f: (obv(f["close"], f["volume"]),), talib.OBV, ("close", "volume"), {}),
    ],
    ids=["rsi", "macd", "atr", "bbands", "obv"],
)
def test_core_wrappers_ragged_panel_equal_talib_per_column(wide, ours, ref, fields, params):
    got = ours(wide)
    expected = _per_column(ref, *[wide[k] for k in fields], **params)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_array_equal(g, e)


def test_wrapper_nan_before_first_and_after_last_bar(wide):
    out = rsi(wide["close"], 14)
    close = wide["close"]
    late, early = 1, 2  # S1 lists late, S2 delists early (conftest)
    first = np.flatnonzero(np.isfinite(close[:, late]))[0]
    assert np.isnan(out[: first + 14, late]).all()
    assert np.isfinite(out[first + 14 :, late]).all()
    last = np.flatnonzero(np.isfinite(close[:, early]))[-1]
    assert np.isnan(out[last + 1 :, early]).all()
    assert np.isfinite(out[last, early])


def test_wrapper_series_and_frame_keep_type_and_index(bars):
    close = bars["close"].unstack("symbol")
    frame = rsi(close, 10)
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.equals(close.index) and frame.columns.equals(close.columns)
    series = rsi(close["S0"], 10)
    assert isinstance(series, pd.Series) and series.index.equals(close.index)
    np.testing.assert_array_equal(series.to_numpy(), talib.RSI(close["S0"].to_numpy(), 10))
    one_d = rsi(close["S0"].to_numpy(), 10)
    assert isinstance(one_d, np.ndarray) and one_d.ndim == 1


def test_apply_talib_candlestick_warmup_is_nan(wide):
    (out,) = apply_talib("CDLENGULFING", *[wide[k] for k in ("open", "high", "low", "close")])
    assert np.isnan(out[:2, 0]).all()
    assert set(np.unique(out[2:, 0])) <= {-100.0, 0.0, 100.0}


def test_apply_talib_mismatched_shapes_raise(wide):
    with pytest.raises(ValueError, match="shape"):
        apply_talib("OBV", wide["close"], wide["volume"][:-1])


def test_wrapper_interior_gap_skips_missing_bar(wide):
    close = wide["close"].copy()
    close[100:103, 0] = np.nan  # three missing bars inside S0's history
    out = rsi(close, 14)
    valid = np.isfinite(close[:, 0])
    expected = talib.RSI(close[valid, 0], 14)
    np.testing.assert_array_equal(out[valid, 0], expected)
    assert np.isnan(out[100:103, 0]).all()
    assert np.isfinite(out[-1, 0])  # the recursion continues after the gap
