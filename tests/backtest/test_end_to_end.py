"""Planted alpha -> signal file -> weights -> backtests: the pieces agree on a known answer."""

from __future__ import annotations

import pytest

from alphafactory.backtest import FixedBps, backtest
from alphafactory.data import synthetic_market, to_wide
from alphafactory.signals import export_signals, load_signals, scores_wide, top_bottom_k


@pytest.fixture(scope="module")
def planted():
    return synthetic_market(n_symbols=20, n_bars=260, seed=4, alpha_ic=0.2)


def test_planted_alpha_earns_through_file_and_backtest(tmp_path, planted):
    scores = planted.truth.dropna()
    path = export_signals(scores.rename("score"), tmp_path / "truth.csv", model="truth")
    wide = scores_wide(load_signals(path, bars=planted.bars))
    weights = top_bottom_k(wide, 5, 5)
    free = backtest(planted.bars, weights, cash=1e6)
    costly = backtest(planted.bars, weights, cost=FixedBps(20), cash=1e6)
    assert free.summary()["sharpe"] > 3
    assert costly.equity.iloc[-1] < free.equity.iloc[-1]
    null = synthetic_market(n_symbols=20, n_bars=260, seed=4, alpha_ic=0.0)
    null_weights = top_bottom_k(to_wide(null.truth.dropna().to_frame(), "truth"), 5, 5)
    assert backtest(null.bars, null_weights, cash=1e6).summary()["sharpe"] < 3
