from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.evaluation import turnover


def test_turnover_hand_computation_from_cash():
    weights = pd.DataFrame({"A": [0.5, 0.5, -0.5], "B": [0.5, 0.0, np.nan]})
    # from cash: .5 * (.5 + .5); then .5 * |0 - .5|; then .5 * (|-1| + |0 - 0|)
    assert turnover(weights).tolist() == pytest.approx([0.5, 0.25, 0.5])


def test_turnover_long_series_equals_wide_frame():
    stamps = pd.date_range("2021-01-04", periods=3, freq="D", tz="UTC", name="timestamp")
    wide = pd.DataFrame({"A": [0.2, 0.4, 0.0], "B": [0.8, 0.6, 1.0]}, index=stamps)
    long = wide.stack()
    long.index = long.index.set_names(["timestamp", "symbol"])
    pd.testing.assert_series_equal(turnover(long), turnover(wide), check_index_type=False)


def test_turnover_full_rotation_of_long_only_book_is_one():
    weights = pd.DataFrame({"A": [1.0, 0.0], "B": [0.0, 1.0]})
    assert turnover(weights).iloc[1] == 1.0


def test_turnover_bad_input_raises():
    with pytest.raises(TypeError, match="weights"):
        turnover(np.ones((3, 2)))
    with pytest.raises(ValueError, match="empty"):
        turnover(pd.DataFrame())
