from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.evaluation import drawdown_table, max_drawdown

DATES = pd.date_range("2024-01-01", periods=7, freq="D", tz="UTC")
# wealth 1.1 0.55 0.66 1.32 1.188 1.2474 0.99792; peaks 1.1 1.1 1.1 1.32 1.32 1.32 1.32
RETURNS = pd.Series([0.1, -0.5, 0.2, 1.0, -0.1, 0.05, -0.2], index=DATES)


def test_drawdown_table_hand_computed_episodes():
    table = drawdown_table(RETURNS)
    assert list(table.columns) == ["start", "trough", "end", "depth", "length"]
    assert len(table) == 2
    first, second = table.iloc[0], table.iloc[1]
    assert (first["start"], first["trough"], first["end"]) == (DATES[1], DATES[1], DATES[3])
    assert first["depth"] == pytest.approx(-0.5) and first["length"] == 2
    assert (second["start"], second["trough"]) == (DATES[4], DATES[6])
    assert second["end"] is None
    assert second["depth"] == pytest.approx(0.99792 / 1.32 - 1) and second["length"] == 3


def test_drawdown_table_first_row_is_max_drawdown_and_top_limits():
    rng = np.random.default_rng(5)
    returns = pd.Series(rng.normal(0.0005, 0.01, 600),
                        index=pd.bdate_range("2020-01-01", periods=600, tz="UTC"))
    table = drawdown_table(returns, top=None)
    worst = max_drawdown(returns)
    row = table.iloc[0]
    assert (row["depth"], row["length"]) == (worst.depth, worst.duration)
    assert (row["start"], row["trough"], row["end"]) == (worst.start, worst.trough, worst.end)
    assert table["depth"].is_monotonic_increasing and (table["depth"] < 0).all()
    assert len(drawdown_table(returns, top=3)) == 3
    # episodes do not overlap and their lengths sum to the periods under water
    assert table["length"].sum() == int((returns.add(1).cumprod().cummax().clip(lower=1)
                                         > returns.add(1).cumprod()).sum())


def test_drawdown_table_without_losses_is_empty_and_arrays_use_positions():
    assert drawdown_table(pd.Series([0.01, 0.0, 0.02])).empty
    table = drawdown_table(np.array([-0.1, 0.2, -0.05]))
    assert table["start"].tolist() == [0, 2] and table["end"].tolist() == [1, None]
    with pytest.raises(ValueError, match="top must be >= 1"):
        drawdown_table(RETURNS, top=0)
