from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alphafactory
from alphafactory.backtest import FixedBps, SquareRootImpact
from alphafactory.data import synthetic_market, to_wide
from alphafactory.execution import lob_backtest
from alphafactory.signals import top_bottom_k

CASH = 1e5


@pytest.fixture(scope="module")
def planted():
    return synthetic_market(n_symbols=20, n_bars=260, seed=4, alpha_ic=0.2)


def _weights(bars: pd.DataFrame, every: int, seed: int) -> pd.DataFrame:
    close = bars["close"].unstack("symbol")
    rng = np.random.default_rng(seed)
    weights = pd.DataFrame(rng.uniform(-0.6, 0.9, close.shape), index=close.index,
                           columns=close.columns)
    # Within gross 1 (the backtest's max_gross_leverage scales a row above it, with a warning).
    weights = weights.div(weights.abs().sum(axis=1).clip(lower=1.0), axis=0)
    return weights.iloc[::every].reindex(close.index).iloc[:120]


def _reconciles(result, cash: float) -> None:
    table, tol = result.attribution, 1e-9 * cash
    for column in ("book", "vectorized"):
        line = table[column]
        assert line["net_pnl"] == pytest.approx(
            line["gross_pnl"] - line["spread_cost"] - line["impact_cost"]
            - line["opportunity_cost"] - line["fees"], abs=tol)
        for cost in ("spread_cost", "impact_cost", "opportunity_cost", "fees"):
            assert line[cost] >= 0, (column, cost)  # a cost is never a gain
    bar_gross = result.frictionless.equity.iloc[-1] - cash
    assert table.loc["gross_pnl", "vectorized"] == pytest.approx(bar_gross, abs=tol)
    book = table["book"]
    assert book["gross_pnl"] == pytest.approx(bar_gross - book["timing_in_gross"], abs=tol)
    parents = result.parents
    costs = parents[["spread", "impact", "opportunity", "fees", "timing"]].sum(axis=1)
    assert np.allclose(parents["cost"], costs, rtol=0, atol=tol)  # per parent, same fills
    assert book["net_pnl"] == pytest.approx(bar_gross - parents["cost"].sum(), abs=tol)


def test_lob_backtest_attribution_adds_up(bars):
    result = lob_backtest(bars, _weights(bars, 6, 5), cash=CASH, horizon_seconds=300,
                          n_slices=5)
    _reconciles(result, CASH)
    assert len(result.parents) == len(result.frictionless.trades)
    assert (result.parents["fill_ratio"] > 0).all()
    assert np.isfinite(result.attribution.to_numpy()).all()
    assert "same half spread" in result.note and "SquareRootImpact" in result.note
    whole, _ = result.shortfall_bps()  # the IS and the attribution: the same fills
    parents = result.parents
    costs = result.attribution.loc[["spread_cost", "impact_cost", "opportunity_cost", "fees"],
                                   "book"].sum() + result.attribution.loc["timing_in_gross", "book"]
    assert whole * 1e-4 * parents["notional"].sum() == pytest.approx(costs, rel=1e-9)


@settings(max_examples=6, deadline=None)
@given(algo=st.sampled_from(["twap", "vwap", "pov"]),
       style=st.sampled_from(["passive", "aggressive"]), every=st.integers(4, 15),
       seed=st.integers(0, 1000), half=st.sampled_from([None, 3.0]))
def test_lob_backtest_reconciles_for_any_run(bars_factory, algo, style, every, seed, half):
    bars = bars_factory(n_symbols=3, n_bars=130, seed=seed % 7)
    result = lob_backtest(bars, _weights(bars, every, seed), cash=CASH, algo=algo, style=style,
                          n_slices=3, horizon_seconds=60, half_spread_bps=half, seed=seed)
    _reconciles(result, CASH)


def test_lob_backtest_books_use_the_cost_models_half_spread(bars):
    cost = SquareRootImpact(half_spread_bps=7.0)
    result = lob_backtest(bars, _weights(bars, 10, 1), cost=cost, cash=CASH, n_slices=2,
                          horizon_seconds=30)
    parents = result.parents
    tick_over_price = parents["tick_size"] / parents["initial_price"]
    assert np.allclose(tick_over_price, 7e-4, rtol=0.6)  # one tick ~ the half spread


def test_lob_backtest_fixed_seed_identical(bars):
    kwargs = {"cash": CASH, "horizon_seconds": 120, "n_slices": 4, "cost": FixedBps(5), "seed": 3}
    weights = _weights(bars, 6, 5)
    a, b = lob_backtest(bars, weights, **kwargs), lob_backtest(bars, weights, **kwargs)
    pd.testing.assert_frame_equal(a.attribution, b.attribution)
    pd.testing.assert_frame_equal(a.parents, b.parents)


def test_lob_signal_line_reports_planted_ic(planted):
    wide = to_wide(planted.truth.dropna().to_frame(), "truth")
    weights = top_bottom_k(wide, 5, 5).iloc[-40::10].reindex(wide.index)
    result = lob_backtest(planted.bars, weights, scores=wide, cash=CASH, horizon_seconds=60,
                          n_slices=3)
    assert result.attribution.loc["signal_rank_ic", "book"] == pytest.approx(0.19, abs=0.04)


def test_backtest_package_never_imports_execution():
    root = Path(alphafactory.__file__).parent / "backtest"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("alphafactory.execution") for n in names), path.name
