from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.evaluation import (
    deflated_sharpe_ratio,
    ic_summary,
    information_coefficient,
    max_drawdown,
    sharpe_ratio,
    summary,
    turnover,
)


@pytest.fixture
def daily_returns(stamps):
    return pd.Series(np.random.default_rng(3).normal(5e-4, 0.01, len(stamps)), index=stamps)


def test_summary_returns_only_table_matches_functions(daily_returns):
    table = summary(daily_returns, n_trials=20)
    assert table.index.name == "metric" and table.columns.tolist() == ["value"]
    assert table.loc["periods_per_year", "value"] == 252.0
    assert table.loc["sharpe", "value"] == pytest.approx(sharpe_ratio(daily_returns))
    assert table.loc["max_drawdown", "value"] == max_drawdown(daily_returns).depth
    assert table.loc["deflated_sharpe", "value"] == deflated_sharpe_ratio(daily_returns, 20)
    assert "ic_mean" not in table.index and "turnover_mean" not in table.index


def test_summary_with_signal_and_weights_adds_rows(noisy_panel, daily_returns):
    scores, labels = noisy_panel
    weights = scores.unstack("symbol").rank(axis=1).sub(20.5).div(400.0)
    table = summary(daily_returns, scores=scores, labels=labels, weights=weights)
    ic = ic_summary(information_coefficient(scores, labels))
    assert table.loc["ic_mean", "value"] == pytest.approx(ic.mean)
    assert table.loc["ic_t_stat", "value"] == pytest.approx(ic.t_stat)
    assert 0.25 < table.loc["rank_ic_mean", "value"] < 0.35
    assert table.loc["long_short_mean", "value"] > 0
    assert table.loc["turnover_mean", "value"] == pytest.approx(turnover(weights).mean())
    assert table.loc["turnover_annual", "value"] == pytest.approx(252 * turnover(weights).mean())


def test_summary_array_needs_explicit_periods():
    r = np.random.default_rng(0).normal(0, 0.01, 100)
    with pytest.raises(ValueError, match="periods_per_year"):
        summary(r)
    assert summary(r, periods_per_year=12).loc["periods_per_year", "value"] == 12.0


def test_summary_scores_without_labels_raise(daily_returns, noisy_panel):
    with pytest.raises(ValueError, match="together"):
        summary(daily_returns, scores=noisy_panel[0])


def test_summary_single_asset_signal_has_ic_but_no_quantile_spread(stamps, daily_returns):
    rng = np.random.default_rng(1)
    labels = pd.Series(rng.normal(size=len(stamps)), index=stamps)
    scores = labels + rng.normal(size=len(stamps))
    table = summary(daily_returns, scores=scores, labels=labels)
    assert 0.5 < table.loc["ic_mean", "value"] < 0.9  # rolling 63-bar IC, true IC 1/sqrt(2)
    assert "long_short_mean" not in table.index
    assert 0.6 < table.loc["directional_accuracy", "value"] < 0.9
