from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.training.splits import WalkForward


def _panel_index(n_times: int = 40, symbols=("a", "b", "c")) -> pd.MultiIndex:
    times = pd.date_range("2024-01-01", periods=n_times, freq="D", tz="UTC", name="timestamp")
    return pd.MultiIndex.from_product([times, list(symbols)], names=["timestamp", "symbol"])


def test_walk_forward_counts_unique_timestamps_not_rows():
    index = _panel_index()
    splitter = WalkForward(train=10, val=4, test=5, purge=2)
    train, val, test = next(splitter.split(index))
    assert (len(train), len(val), len(test)) == (30, 12, 15)
    times = index.get_level_values("timestamp")
    assert times[train].nunique() == 10 and times[test].nunique() == 5


def test_walk_forward_purge_separates_blocks():
    index = _panel_index()
    splitter = WalkForward(train=10, val=4, test=5, purge=3)
    times = pd.Index(index.get_level_values("timestamp").unique())
    for train, val, test in splitter.split(index):
        t_train = times.get_indexer(index[train].get_level_values(0))
        t_val = times.get_indexer(index[val].get_level_values(0))
        t_test = times.get_indexer(index[test].get_level_values(0))
        assert t_val.min() - t_train.max() == 4  # 3 purged timestamps in between
        assert t_test.min() - t_val.max() == 4


def test_walk_forward_rolling_and_expanding_windows():
    index = pd.date_range("2024-01-01", periods=30, freq="h", tz="UTC")
    rolling = list(WalkForward(train=10, val=0, test=5, purge=1).split(index))
    assert [len(f[0]) for f in rolling] == [10, 10, 10]
    assert [f[0][0] for f in rolling] == [0, 5, 10]
    expanding = list(WalkForward(train=10, val=0, test=5, purge=1, expanding=True).split(index))
    assert [len(f[0]) for f in expanding] == [10, 15, 20]
    assert [f[2][0] for f in expanding] == [11, 16, 21]


def test_walk_forward_test_blocks_never_overlap():
    index = pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")
    tests = [test for _, _, test in WalkForward(train=20, val=5, test=10, purge=2).split(index)]
    joined = np.concatenate(tests)
    assert len(joined) == len(np.unique(joined))


def test_walk_forward_embargo_drops_timestamps_after_earlier_tests():
    index = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC")
    folds = list(WalkForward(train=10, val=0, test=5, purge=1, embargo=2, expanding=True)
                 .split(index))  # fmt: skip
    first_test = folds[0][2]
    later_train = folds[2][0]
    embargoed = {first_test[-1] + 1, first_test[-1] + 2}
    assert embargoed.isdisjoint(later_train)
    assert first_test[-1] + 3 in later_train


def test_walk_forward_without_purge_raises_until_horizon_known():
    splitter = WalkForward(train=10, val=2, test=5)
    index = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC")
    with pytest.raises(ValueError, match="purge is None"):
        next(splitter.split(index))
    assert splitter.with_horizon(3).purge == 3
    with pytest.raises(ValueError, match="shorter than the label horizon"):
        WalkForward(train=10, val=2, test=5, purge=1).with_horizon(3)


def test_walk_forward_too_short_raises_with_needed_span():
    index = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC")
    with pytest.raises(ValueError, match="needs train"):
        list(WalkForward(train=10, val=2, test=5, purge=1).split(index))


def test_walk_forward_folds_table_lists_dates():
    index = _panel_index()
    table = WalkForward(train=10, val=4, test=5, purge=2).folds(index)
    assert list(table.index) == [0, 1, 2, 3]
    first = table.loc[0]
    times = index.get_level_values("timestamp").unique()
    assert first["train_start"] == times[0] and first["train_end"] == times[9]
    assert first["test_start"] == times[18] and first["n_test"] == 5


@pytest.mark.parametrize("kwargs", [{"train": 0}, {"test": 0}, {"val": -1}, {"step": 0}])
def test_walk_forward_invalid_sizes_raise(kwargs):
    params = {"train": 10, "val": 2, "test": 5, **kwargs}
    with pytest.raises(ValueError):
        WalkForward(**params)
