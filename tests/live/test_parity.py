"""Live/backtest parity: the bot replaying a year of bundled daily bars through a BarVenue books
the same positions and equity as the vectorized backtest of the same rule and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import backtest
from alphafactory.backtest.risk_managed import risk_managed_backtest
from alphafactory.portfolio import build_rule, weights_from_scores
from alphafactory.risk import RiskManager

from .conftest import COST, make_bot, sqlite_url, traded


def batch_weights(bars, rule, rebalance, window=20):
    window_bars, start = traded(bars)
    close = bars["close"].unstack()
    scores = (close / close.shift(window) - 1.0).loc[start:]
    return window_bars, weights_from_scores(scores, rule, rebalance=rebalance)


def bot_result(bot):
    bot.start()
    bot.run()
    positions = bot.venue.positions()
    shares = np.array([positions[s].quantity if s in positions else 0.0 for s in bot.symbols])
    return shares, bot.store.equity(bot.config.name)["equity"]


@pytest.mark.parametrize("rule,params,rebalance", [
    ("topk", {"k": 2, "long_only": True}, 5),
    ("topk", {"k": 1}, 1),
    ("hysteresis", {"enter": 0.05, "exit": 0.0, "long_only": True}, 1),
    ("topk_exposure", {"k": 3, "max_positions": 2, "exposure": 0.9,
                       "min_trade_weight": 0.05}, 3),
])
def test_bot_replay_equals_vectorized_backtest_to_1e9(sample_bars, tmp_path, rule, params,
                                                       rebalance):
    built = build_rule(rule, params)
    window_bars, weights = batch_weights(sample_bars, built, rebalance)
    expected = backtest(window_bars, weights, cost=COST, cash=1e6)
    bot = make_bot(sample_bars, sqlite_url(tmp_path), rule=built, rebalance=rebalance)
    shares, equity = bot_result(bot)
    assert len(equity) == len(expected.equity)
    # the bot snapshots equity at each close before deciding: the last close is the result's
    np.testing.assert_allclose(shares, expected.shares_array[-1], rtol=1e-9, atol=1e-9)
    assert np.max(np.abs(equity.to_numpy() / expected.equity.to_numpy() - 1)) < 1e-9
    assert expected.turnover.sum() > 0


def test_bot_with_risk_manager_equals_risk_managed_backtest(sample_bars, tmp_path):
    risk = RiskManager.from_config([
        {"name": "max_gross_leverage", "max_gross": 0.8},
        {"name": "daily_loss_limit", "max_loss": 0.02},
    ])
    built = build_rule("topk", {"k": 2, "long_only": True})
    window_bars, weights = batch_weights(sample_bars, built, 1)
    expected = risk_managed_backtest(window_bars, weights, risk=risk, cost=COST, cash=1e6)
    assert len(expected.interventions) > 0
    bot = make_bot(sample_bars, sqlite_url(tmp_path), rule=built, rebalance=1, risk=risk)
    shares, equity = bot_result(bot)
    np.testing.assert_allclose(shares, expected.result.shares_array[-1], rtol=1e-9, atol=1e-9)
    ratio = equity.to_numpy() / expected.result.equity.to_numpy() - 1
    assert np.max(np.abs(ratio)) < 1e-9
    assert pd.Index(equity.index).equals(expected.result.equity.index)
