"""Shared fixtures. Session-scoped frames are shared: copy before mutating."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import SyntheticMarket, load_sample, synthetic_market


@pytest.fixture(scope="session")
def sample_bars() -> pd.DataFrame:
    """The bundled ``us-equities-daily`` panel (5 symbols, 2000-03 .. 2013-03)."""
    return load_sample("us-equities-daily")


@pytest.fixture(scope="session")
def small_market() -> SyntheticMarket:
    """A 20-symbol x 500-bar daily synthetic market with a planted IC of 0.1."""
    return synthetic_market(n_symbols=20, n_bars=500, seed=0, alpha_ic=0.1)


# Small deterministic OHLCV bars for feature and label tests.
def make_bars(n_symbols: int = 4, n_bars: int = 300, seed: int = 0, ragged: bool = True):
    """Random-walk OHLCV bars, long (timestamp, symbol); with ``ragged`` one symbol lists late
    and one delists early."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2020-01-01", periods=n_bars, freq="D", tz="UTC", name="timestamp")
    frames = []
    for i in range(n_symbols):
        ret = rng.normal(0.0003, 0.015, n_bars)
        close = 50.0 * (i + 1) * np.exp(np.cumsum(ret))
        open_ = close * np.exp(rng.normal(0, 0.005, n_bars))
        high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, n_bars)))
        low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, n_bars)))
        volume = rng.lognormal(12, 0.4, n_bars)
        frame = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=ts
        )
        if ragged and i == 1:
            frame = frame.iloc[n_bars // 5 :]
        if ragged and i == 2:
            frame = frame.iloc[: -n_bars // 6]
        frame["symbol"] = f"S{i}"
        frames.append(frame)
    bars = pd.concat(frames).set_index("symbol", append=True).sort_index()
    return bars


@pytest.fixture(scope="session")
def bars_factory():
    """The :func:`make_bars` generator, for tests that need their own size or seed."""
    return make_bars


@pytest.fixture
def bars() -> pd.DataFrame:
    return make_bars()


@pytest.fixture
def single_bars() -> pd.DataFrame:
    return make_bars(n_symbols=1, ragged=False).droplevel("symbol")


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Undo what Streamlit's AppTest leaves on ``__main__`` (its ``__file__`` points at the last
    page script), so a later spawned worker process does not re-run a dashboard page as its
    main module. Autouse for every test: pages are rendered from several test packages."""
    import sys

    main = sys.modules["__main__"]
    saved = {key: main.__dict__[key] for key in ("__file__", "__spec__") if key in main.__dict__}
    yield
    sys.modules["__main__"] = main
    for key in ("__file__", "__spec__"):
        if key in saved:
            main.__dict__[key] = saved[key]
        else:
            main.__dict__.pop(key, None)
