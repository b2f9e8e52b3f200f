"""The compiled TA-Lib panel driver against the pure-Python reference loop."""

from __future__ import annotations

import multiprocessing
import threading
import warnings

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from talib import abstract

from alphafactory.data.wide import load_panel
from alphafactory.features import apply_talib, talib_panel
from alphafactory.features.talib_reference import apply_talib_reference

# One case per shape of TA-Lib signature: a real input, price inputs, two real inputs, real and
# integer parameters, several outputs, integer outputs, a moving-average type.
CASES = [
    ("RSI", ("close",), {"timeperiod": 14}),
    ("MACD", ("close",), {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
    ("ATR", ("high", "low", "close"), {"timeperiod": 14}),
    ("BBANDS", ("close",), {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 1.5, "matype": 1}),
    ("OBV", ("close", "volume"), {}),
    ("STOCH", ("high", "low", "close"), {"fastk_period": 9, "slowk_period": 3}),
    ("SAR", ("high", "low"), {"acceleration": 0.03, "maximum": 0.25}),
    ("ADOSC", ("high", "low", "close", "volume"), {"fastperiod": 3, "slowperiod": 10}),
    ("CORREL", ("high", "low"), {"timeperiod": 20}),
    ("KAMA", ("close",), {"timeperiod": 10}),
    ("MINMAXINDEX", ("close",), {"timeperiod": 15}),
    ("CDLENGULFING", ("open", "high", "low", "close"), {}),
    ("CDLMORNINGSTAR", ("open", "high", "low", "close"), {"penetration": 0.4}),
    ("ROCP", ("close",), {"timeperiod": 5}),
]


@pytest.fixture
def wide(bars):
    """A ragged panel (late listing, early delisting) with interior missing bars too."""
    fields = {k: v.copy() for k, v in load_panel(bars).fields.items()}
    fields["close"][100:103, 0] = np.nan   # three missing closes inside S0
    fields["volume"][150, 3] = np.nan      # one missing volume inside S3
    fields["high"][40, 3] = np.nan
    return fields


def assert_same(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_array_equal(g, e)


def test_compiled_driver_is_active():
    assert talib_panel.DRIVER == "compiled"


@pytest.mark.parametrize(("func", "fields", "params"), CASES, ids=[c[0] for c in CASES])
def test_driver_ragged_panel_with_gaps_equals_reference(wide, func, fields, params):
    inputs = [wide[k] for k in fields]
    assert_same(apply_talib(func, *inputs, **params),
                apply_talib_reference(func, *inputs, **params))


def _default_inputs(name: str, fields: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Inputs for any TA-Lib function: its price fields, close for a real series (high and low
    for a second one), a constant period series for MAVP."""
    inputs = []
    for key, value in abstract.Function(name).input_names.items():
        if isinstance(value, list):
            inputs += [fields[v] for v in value]
        elif key == "periods":
            inputs.append(np.full_like(fields["close"], 10.0))
        else:
            inputs.append(fields[{"price": "close", "price0": "high", "price1": "low"}[key]])
    return inputs


@pytest.mark.parametrize("func", talib.get_functions())
def test_driver_every_talib_function_equals_reference(wide, func):
    inputs = _default_inputs(func, wide)
    got = apply_talib(func, *inputs)
    assert_same(got, apply_talib_reference(func, *inputs))
    for out in got:
        assert out.dtype == np.float64


@pytest.mark.parametrize(("func", "fields", "params"), CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_driver_default_parameters_equal_talib(wide, func, fields, params):
    del params
    clean = [np.ascontiguousarray(wide[k][:, 3]) for k in fields]
    clean = [np.where(np.isnan(x), 1.0, x) for x in clean]
    raw = getattr(talib, func)(*clean)
    assert_same(apply_talib(func, *clean), raw if isinstance(raw, tuple) else (raw,))


@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_driver_any_memory_layout_gives_same_values(wide, layout):
    base = [wide[k] for k in ("high", "low", "close")]
    if layout == "C":
        inputs = [np.ascontiguousarray(x) for x in base]
    elif layout == "F":
        inputs = [np.asfortranarray(x) for x in base]
    elif layout == "strided":  # every other column of a wider array
        inputs = []
        for x in base:
            wider = np.full((x.shape[0], 2 * x.shape[1]), -1.0)
            wider[:, ::2] = x
            inputs.append(wider[:, ::2])
    else:  # time reversed twice: negative strides
        inputs = [np.ascontiguousarray(x[::-1])[::-1] for x in base]
    (got,) = apply_talib("ATR", *inputs, timeperiod=10)
    (expected,) = apply_talib_reference("ATR", *base, timeperiod=10)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("gap", [None, "interior", "leading", "trailing", "all"])
def test_driver_long_series_screened_beside_talib(gap):
    # Long enough for the sidecar screen (>= 2**17 bars); a NaN found there recomputes.
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200_000)))
    high, low = close * 1.01, close * 0.99
    if gap == "interior":
        low[150_000] = np.nan
    elif gap == "leading":
        high[:1000] = np.nan
    elif gap == "trailing":
        close[-7:] = np.nan
    elif gap == "all":
        close[:] = np.nan
    got = apply_talib("ATR", high, low, close, timeperiod=14)
    assert_same(got, apply_talib_reference("ATR", high, low, close, timeperiod=14))
    if gap is None:
        np.testing.assert_array_equal(got[0], talib.ATR(high, low, close, 14))


def test_driver_infinity_is_a_value_not_a_gap():
    close = np.linspace(1.0, 2.0, 300_000)
    close[5000] = np.inf  # the screen's fast test flags the block; the exact test clears it
    assert_same(apply_talib("SMA", close, timeperiod=3),
                apply_talib_reference("SMA", close, timeperiod=3))


def test_driver_short_and_empty_columns(wide):
    close = wide["close"][:10].copy()
    close[:, 1] = np.nan
    (out,) = apply_talib("RSI", close, timeperiod=14)  # 10 bars < lookback 14
    assert np.isnan(out).all()
    (out,) = apply_talib("RSI", wide["close"][:30], timeperiod=14)
    assert np.isnan(out[:14, 0]).all() and np.isfinite(out[14:, 0]).all()


def test_driver_concurrent_calls_agree():
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (300_000, 1)), axis=0))
    expected = apply_talib_reference("RSI", close, timeperiod=14)[0]
    results: list[np.ndarray] = []

    def work():
        for _ in range(3):
            results.append(apply_talib("RSI", close, timeperiod=14)[0])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12
    for r in results:
        np.testing.assert_array_equal(r, expected)


def _rsi_last(queue):
    close = np.linspace(1.0, 2.0, 300_000) + np.sin(np.arange(300_000))
    queue.put(float(apply_talib("RSI", close, timeperiod=14)[0][-1]))


def test_driver_works_in_a_forked_child():
    close = np.linspace(1.0, 2.0, 300_000) + np.sin(np.arange(300_000))
    expected = float(talib.RSI(close, 14)[-1])
    apply_talib("RSI", close, timeperiod=14)  # the parent's sidecar thread exists now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        child = ctx.Process(target=_rsi_last, args=(queue,))
        child.start()
    got = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert got == expected


def test_driver_errors_name_the_problem(wide):
    close, high = wide["close"], wide["high"]
    with pytest.raises(ValueError, match="no function 'NOPE'"):
        apply_talib("NOPE", close)
    with pytest.raises(TypeError, match=r"ATR takes 3 input series \['high', 'low', 'close'\]"):
        apply_talib("ATR", high, close)
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['period'\]"):
        apply_talib("RSI", close, period=14)
    with pytest.raises(TypeError, match="timeperiod must be an integer"):
        apply_talib("RSI", close, timeperiod=14.5)
    with pytest.raises(ValueError, match="rejects RSI parameters"):
        apply_talib("RSI", close, timeperiod=1)
    with pytest.raises(ValueError, match="out of TA-Lib's integer range"):
        apply_talib("RSI", close, timeperiod=10**12)
    with pytest.raises(ValueError, match="input 'low' has shape"):
        apply_talib("ATR", high, close[:-1], close)
    with pytest.raises(ValueError, match="no rows"):
        apply_talib("RSI", close[:0])


def test_driver_other_callables_run_the_reference_loop(wide):
    def double_sma(real, timeperiod=5):
        return talib.SMA(real, timeperiod) * 2

    (got,) = apply_talib(double_sma, wide["close"], timeperiod=4)
    (sma,) = apply_talib("SMA", wide["close"], timeperiod=4)
    np.testing.assert_array_equal(got, 2 * sma)


@settings(max_examples=40, deadline=None)
@given(
    n_time=st.integers(1, 80),
    n_cols=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    nan_rate=st.sampled_from([0.0, 0.05, 0.3, 0.9]),
    case=st.sampled_from(CASES),
)
def test_driver_random_panels_equal_reference(n_time, n_cols, seed, nan_rate, case):
    func, fields, params = case
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_time, n_cols)), axis=0))
    spread = np.abs(rng.normal(0, 0.01, (n_time, n_cols)))
    data = {"open": close * (1 + rng.normal(0, 0.005, close.shape)), "high": close * (1 + spread),
            "low": close * (1 - spread), "close": close,
            "volume": rng.lognormal(10, 0.5, close.shape)}
    inputs = []
    for k in fields:
        x = data[k].copy()
        x[rng.random(x.shape) < nan_rate] = np.nan
        inputs.append(x)
    assert_same(apply_talib(func, *inputs, **params),
                apply_talib_reference(func, *inputs, **params))
