from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from alphafactory.features import make_windows
from alphafactory.labels import forward_returns


@pytest.fixture
def feats(bars):
    close = bars["close"]
    grouped = close.groupby(level="symbol")
    frame = pd.DataFrame(
        {
            "ret1": grouped.pct_change(fill_method=None),
            "ret5": grouped.pct_change(5, fill_method=None),
            "logv": np.log(bars["volume"]),
        }
    )
    return frame


def test_make_windows_batch_matches_frame_rows(feats, bars):
    target = forward_returns(bars, horizon=2)
    ds = make_windows(feats, target, lookback=10)
    assert ds.horizon == 2
    i = len(ds) // 2
    ts, sym = ds.index[i]
    x = ds.X_at([i])[0]
    expected = feats.xs(sym, level="symbol").loc[:ts].iloc[-10:].to_numpy(np.float32)
    np.testing.assert_array_equal(x, expected)
    assert ds.y_at([i])[0] == np.float32(target.loc[(ts, sym)])
    assert x.shape == (10, 3) and x.dtype == np.float32


def test_make_windows_drop_policy_has_no_nan_and_needs_target(feats, bars):
    target = forward_returns(bars, horizon=3)
    ds = make_windows(feats, target, lookback=7)
    assert np.isfinite(ds.X_at(np.arange(len(ds)))).all()
    assert np.isfinite(ds.y_at(np.arange(len(ds)))).all()
    # every usable (t, symbol) row is a sample: compare with a direct count
    ok = feats.notna().all(axis=1).groupby(level="symbol").transform(
        lambda s: s.rolling(7).sum() == 7
    ) & target.notna()
    assert len(ds) == int(ok.sum())


def test_make_windows_zero_policy_fills_nan(feats):
    ds = make_windows(feats, None, lookback=30, nan_policy="zero")
    x = ds.X_at(np.arange(len(ds)))
    assert np.isfinite(x).all()
    assert len(ds) > make_windows(feats, None, lookback=30).__len__()


def test_make_windows_select_times_shares_array(feats, bars):
    ds = make_windows(feats, forward_returns(bars), lookback=5)
    cut = len(ds.timestamps) // 2
    train, test = ds.select_times(slice(0, cut)), ds.select_times(slice(cut, None))
    assert len(train) + len(test) == len(ds)
    assert train.values is ds.values and test.values is ds.values
    assert train.index.get_level_values(0).max() < test.index.get_level_values(0).min()
    between = ds.select_between(ds.timestamps[cut], None)
    assert between.index.equals(test.index)


def test_make_windows_feeds_dataloader(feats, bars):
    ds = make_windows(feats, forward_returns(bars), lookback=8)
    loader = DataLoader(ds, batch_size=16, shuffle=False)
    x, y = next(iter(loader))
    assert x.shape == (16, 8, 3) and y.shape == (16,)
    torch.testing.assert_close(x, torch.from_numpy(ds.X_at(np.arange(16))))
    xb, yb = next(ds.batches(16))
    torch.testing.assert_close(xb, x)
    torch.testing.assert_close(yb, y)


def test_make_windows_zscore_norm_standardizes_each_window(feats):
    ds = make_windows(feats, None, lookback=12, window_norm="zscore")
    x = ds.X_at([0, 1, 2])
    np.testing.assert_allclose(x.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=1), 1.0, atol=1e-4)


def test_make_windows_bad_lookback_raises(feats):
    with pytest.raises(ValueError, match="lookback"):
        make_windows(feats, None, lookback=0)


def test_make_windows_satisfies_training_windows_protocol(feats, bars):
    from alphafactory.features.windows import Windows

    ds = make_windows(feats, forward_returns(bars), lookback=6)
    assert isinstance(ds, Windows)
    idx = np.array([0, 5, 9])
    np.testing.assert_array_equal(ds.gather(idx), ds.X_at(idx))
    np.testing.assert_array_equal(ds.labels[idx], ds.y_at(idx).astype(np.float64))
    np.testing.assert_array_equal(ds.groups, ds.time_positions)
