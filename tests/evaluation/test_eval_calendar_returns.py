from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.evaluation import monthly_returns, yearly_returns

RETURNS = pd.Series(
    [0.1, -0.5, 0.2, 1.0],
    index=pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2025-03-03"], tz="UTC"),
)


def test_monthly_returns_hand_computed():
    table = monthly_returns(RETURNS)
    assert list(table.index) == [2024, 2025] and list(table.columns) == list(range(1, 13))
    assert table.loc[2024, 1] == pytest.approx(1.1 * 0.5 - 1)
    assert table.loc[2024, 2] == pytest.approx(0.2)
    assert table.loc[2025, 3] == pytest.approx(1.0)
    assert np.isnan(table.loc[2024, 3]) and table.notna().sum().sum() == 3


def test_yearly_returns_hand_computed_and_consistent_with_months():
    yearly = yearly_returns(RETURNS)
    assert yearly.to_dict() == pytest.approx({2024: 1.1 * 0.5 * 1.2 - 1, 2025: 1.0})
    months = monthly_returns(RETURNS)
    np.testing.assert_allclose((1 + months).prod(axis=1) - 1, yearly.to_numpy())


def test_calendar_returns_need_dates():
    with pytest.raises(ValueError, match="need a DatetimeIndex"):
        monthly_returns(pd.Series([0.1, 0.2]))
