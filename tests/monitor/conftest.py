from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market, to_wide
from alphafactory.data.changes import Change
from alphafactory.features import build_features

FEATURES = ["ret_1", "ret_5", "bb_width_10", "dc_width_10", "cs_z_ret_1"]
N_BARS, AT = 900, 600


def _features(changes):
    m = synthetic_market(n_symbols=30, n_bars=N_BARS, seed=5, alpha_ic=0.05, changes=changes)
    return m, build_features(m.bars, FEATURES).astype(np.float64)


@pytest.fixture(scope="session")
def shifted():
    """A market whose volatility doubles at bar 600 (the planted IC does not change)."""
    return _features([Change(at=AT, kind="feature_shift", factor=2.0)])


@pytest.fixture(scope="session")
def unchanged():
    return _features([])


def bars_between(frame: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    stamps = frame.index.get_level_values("timestamp")
    uniq = stamps.unique()
    return frame[(stamps >= uniq[first]) & (stamps <= uniq[last])]


def next_log_return(bars: pd.DataFrame) -> pd.Series:
    close = to_wide(bars, "close")
    out = np.log(close).diff().shift(-1).stack(future_stack=True)
    out.index = out.index.set_names(["timestamp", "symbol"])
    return out.rename("label")
