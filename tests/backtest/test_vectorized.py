from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import (
    Commission,
    FixedBps,
    SpreadImpact,
    SquareRootImpact,
    backtest,
    market_from,
)
from alphafactory.data.wide import Panel

# These tests drive the order-level limit (max_leverage), the costs and the reference loop
# with decisions above gross 1: the target-gross cap (max_gross_leverage, tested in
# test_gross_and_bankruptcy.py) is off.
backtest = partial(backtest, max_gross_leverage=None)

FIELDS = ("open", "high", "low", "close", "volume")


def _one_asset(prices, weights):
    index = pd.date_range("2024-01-01", periods=len(prices), freq="D", tz="UTC", name="timestamp")
    return (
        pd.DataFrame({"A": prices}, index=index, dtype=float),
        pd.DataFrame({"A": weights}, index=index, dtype=float),
    )


def test_hand_case_one_asset_fixed_bps_next_close():
    prices, weights = _one_asset([100, 110, 99, 120], [1.0, np.nan, 0.5, np.nan])
    result = backtest(prices, weights, execution="next_close", cost=FixedBps(10), cash=1000)
    # bar 1: 1000/110 shares would leave cash -1 after the 10 bps; the buy is shrunk to what
    # cash pays with its cost: a * 110 * 1.001 = 1000. bar 3: value 120 a, sell half.
    shares = 1000 / (110 * 1.001)
    value3 = 120 * shares
    sell = shares - 0.5 * value3 / 120
    cash3 = sell * 120 - sell * 120 * 1e-3
    expected = [1000, 110 * shares, 99 * shares, cash3 + 120 * (shares - sell)]
    assert result.equity.to_numpy() == pytest.approx(expected, rel=1e-12)
    assert result.positions["A"].to_numpy() == pytest.approx(
        [0, shares, shares, shares - sell], rel=1e-12
    )
    assert result.cash.iloc[1] == pytest.approx(0.0, abs=1e-9)
    assert result.costs["spread"].sum() == pytest.approx((110 * shares + sell * 120) * 1e-3)
    assert result.limited_notional.iloc[1] == pytest.approx((1000 / 110 - shares) * 110)
    assert len(result.trades) == 2


def test_hand_case_close_execution_trades_same_bar():
    prices, weights = _one_asset([100, 120], [0.5, np.nan])
    result = backtest(prices, weights, execution="close", cash=1000)
    assert result.positions["A"].tolist() == [5.0, 5.0]
    assert result.equity.tolist() == [1000.0, 1100.0]
    assert result.cash.tolist() == [500.0, 500.0]


def test_zero_cost_equals_frictionless_formula():
    rng = np.random.default_rng(0)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (50, 3)), axis=0))
    index = pd.date_range("2024-01-01", periods=50, freq="D", tz="UTC")
    px = pd.DataFrame(prices, index=index, columns=list("ABC"))
    w = rng.uniform(-0.5, 0.8, (50, 3))
    weights = pd.DataFrame(w, index=index, columns=list("ABC"))
    returns = prices[1:] / prices[:-1] - 1
    # "close": weights w[t] are held over (t, t+1]; "next_close": over (t+1, t+2]. Gross weight
    # reaches 2.4: leverage allowed, so that no order is shrunk.
    same_bar = backtest(px, weights, execution="close", cash=1.0, max_leverage=5)
    growth = np.concatenate([[1.0], np.cumprod(1 + (w[:-1] * returns).sum(axis=1))])
    np.testing.assert_allclose(same_bar.equity.to_numpy(), growth, rtol=1e-12)
    lagged = backtest(px, weights, execution="next_close", cash=1.0, max_leverage=5)
    growth = np.concatenate([[1.0, 1.0], np.cumprod(1 + (w[:-2] * returns[1:]).sum(axis=1))])
    np.testing.assert_allclose(lagged.equity.to_numpy(), growth, rtol=1e-12)


def test_next_open_matches_reference_with_all_costs(bars, random_weights, reference):
    cost = SpreadImpact(half_spread_bps=3.0, impact=0.2) + Commission(per_share=0.01, minimum=1.0)
    result = backtest(
        bars, random_weights, cost=cost, cash=1e5, borrow_bps=50.0, periods_per_year=252
    )
    market = market_from(bars)
    params = cost.parameters(market)
    eq, cash, shares, total_cost = reference(
        market.open.tolist(),
        market.close.tolist(),
        random_weights.to_numpy().tolist(),
        lag=1,
        cash=1e5,
        half_spread=params.half_spread,
        impact_coef=params.impact_coef.tolist(),
        per_share=0.01,
        commission_min=1.0,
        borrow_per_bar=50e-4 / 252,
    )
    np.testing.assert_allclose(result.equity.to_numpy(), eq, rtol=1e-9)
    np.testing.assert_allclose(result.cash.to_numpy(), cash, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(result.positions.to_numpy(), shares, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.costs.sum(axis=1).to_numpy(), total_cost, rtol=1e-9)


@pytest.mark.parametrize(
    ("cap", "carry", "whole"), [(0.02, True, False), (0.02, False, True), (None, True, True)]
)
def test_square_root_cap_and_whole_shares_match_reference(
    bars, random_weights, reference, cap, carry, whole
):
    cost = SquareRootImpact(eta=0.8, half_spread_bps=None)
    result = backtest(
        bars,
        random_weights,
        cost=cost,
        cash=1e7,
        execution="next_close",
        participation_cap=cap,
        unfilled="carry" if carry else "drop",
        whole_shares=whole,
    )
    market = market_from(bars)
    params = cost.parameters(market)
    eq, _, shares, _ = reference(
        market.close.tolist(),
        market.close.tolist(),
        random_weights.to_numpy().tolist(),
        lag=1,
        cash=1e7,
        half_spread=params.half_spread.tolist(),
        impact_coef=params.impact_coef.tolist(),
        impact_exponent=0.5,
        volume=market.volume.tolist(),
        cap=cap,
        carry=carry,
        whole=whole,
    )
    np.testing.assert_allclose(result.equity.to_numpy(), eq, rtol=1e-9)
    np.testing.assert_allclose(result.positions.to_numpy(), shares, rtol=1e-9, atol=1e-9)
    if whole:
        assert np.all(result.positions.to_numpy() == np.trunc(result.positions.to_numpy()))


def test_participation_cap_holds(bars, random_weights):
    result = backtest(bars, random_weights, cash=1e7, participation_cap=0.01)
    trades = result.trades
    volume = bars["volume"].rename_axis(["timestamp", "symbol"])
    traded_volume = volume.loc[list(zip(trades["timestamp"], trades["symbol"], strict=True))]
    assert (trades["shares"].abs().to_numpy() <= 0.01 * traded_volume.to_numpy() + 1e-9).all()
    assert (trades["shares"].abs().to_numpy() >= 0.01 * traded_volume.to_numpy() - 1e-6).any()


def test_cash_plus_positions_equals_equity_every_bar(bars, random_weights):
    result = backtest(bars, random_weights, cost=FixedBps(5), cash=1e5, borrow_bps=100)
    total = result.cash + result.position_values.sum(axis=1)
    np.testing.assert_allclose(total.to_numpy(), result.equity.to_numpy(), rtol=1e-12)


def test_next_open_never_uses_the_bars_own_close(bars, random_weights):
    base = backtest(bars, random_weights, cost=FixedBps(5), cash=1e5)
    changed = bars.copy()
    t = bars.index.get_level_values("timestamp").unique()[15]
    changed.loc[t, "close"] = changed.loc[t, "close"].to_numpy() * 1.5
    changed.loc[t, "high"] = np.maximum(changed.loc[t, "high"], changed.loc[t, "close"]).to_numpy()
    moved = backtest(changed, random_weights, cost=FixedBps(5), cash=1e5)
    # Trades up to and including bar t are sized from opens only: identical.
    np.testing.assert_array_equal(
        base.positions.loc[:t].to_numpy(), moved.positions.loc[:t].to_numpy()
    )
    assert base.equity.loc[t] != moved.equity.loc[t]


@pytest.mark.parametrize("bps", [1.0, 10.0, 50.0])
def test_costs_grow_with_bps_and_size(bars, random_weights, bps):
    small = backtest(bars, random_weights, cost=FixedBps(bps), cash=1e5)
    large = backtest(bars, random_weights * 2, cost=FixedBps(bps), cash=1e5)
    more = backtest(bars, random_weights, cost=FixedBps(bps * 2), cash=1e5)
    assert large.costs["spread"].sum() > small.costs["spread"].sum()
    assert more.costs["spread"].sum() > small.costs["spread"].sum()
    assert more.equity.iloc[-1] < small.equity.iloc[-1]


def test_impact_cost_grows_faster_than_notional(bars, random_weights):
    cost = SquareRootImpact(eta=1.0)
    small = backtest(bars, random_weights, cost=cost, cash=1e6)
    large = backtest(bars, random_weights, cost=cost, cash=4e6)
    ratio = large.costs["impact"].sum() / small.costs["impact"].sum()
    assert 4 < ratio < 8.5  # 4x notional, sqrt law gives about 8x


def test_unpriced_symbol_never_traded_and_held_at_last_price(bars, random_weights):
    result = backtest(bars, random_weights, cash=1e5)
    positions = result.positions
    assert (positions["BBB"].iloc[:5] == 0).all()  # listed at bar 5
    assert positions["CCC"].iloc[-6:].nunique() == 1  # delisted: frozen
    last_close = bars["close"].xs("CCC", level="symbol").iloc[-1]
    value = result.position_values["CCC"].iloc[-1]
    assert value == pytest.approx(positions["CCC"].iloc[-1] * last_close)


def test_trades_cost_split_matches_ledger(bars, random_weights):
    cost = SpreadImpact(half_spread_bps=2.0, impact=0.5) + Commission(bps=1.0, minimum=0.5)
    result = backtest(bars, random_weights, cost=cost, cash=1e5)
    trades = result.trades
    for kind in ("spread", "impact", "commission"):
        assert trades[kind].sum() == pytest.approx(result.costs[kind].sum(), rel=1e-9)
    assert result.turnover.iloc[1] == pytest.approx(trades["notional"][
        trades["timestamp"] == result.equity.index[1]].sum() / result.equity.iloc[0])


def test_gross_returns_add_back_costs(bars, random_weights):
    free = backtest(bars, random_weights, cash=1e5)
    costly = backtest(bars, random_weights, cost=FixedBps(20), cash=1e5)
    assert (costly.gross_returns >= costly.returns - 1e-15).all()
    np.testing.assert_allclose(free.gross_returns, free.returns, atol=1e-15)


def test_same_inputs_identical_results(bars, random_weights):
    a = backtest(bars, random_weights, cost=SquareRootImpact(), cash=1e5)
    b = backtest(bars, random_weights, cost=SquareRootImpact(), cash=1e5)
    np.testing.assert_array_equal(a.shares_array, b.shares_array)
    np.testing.assert_array_equal(a.ledger, b.ledger)


@pytest.mark.parametrize(
    "cost", [FixedBps(3), SpreadImpact(half_spread_bps=2.0, impact=0.3)], ids=["flat", "impact"]
)
def test_row_and_column_major_inputs_give_identical_results(bars, random_weights, cost):
    rows = market_from(bars)
    cols = Panel.from_arrays(rows.timestamps, rows.symbols,
        **{f: np.asfortranarray(getattr(rows, f)) for f in FIELDS},
    )
    assert cols.close.flags.f_contiguous and not cols.close.flags.c_contiguous
    a = backtest(rows, random_weights, cost=cost, cash=1e5, participation_cap=0.5)
    b = backtest(cols, random_weights, cost=cost, cash=1e5, participation_cap=0.5)
    np.testing.assert_array_equal(a.ledger, b.ledger)
    np.testing.assert_array_equal(a.shares_array, b.shares_array)


def test_wide_prices_reject_next_open():
    prices, weights = _one_asset([100, 101], [1.0, 1.0])
    with pytest.raises(ValueError, match="needs bar 'open'"):
        backtest(prices, weights)


def test_bad_inputs_raise_clear_errors():
    prices, weights = _one_asset([100, -1], [1.0, 1.0])
    with pytest.raises(ValueError, match="positive and finite"):
        backtest(prices, weights, execution="close")
    prices, weights = _one_asset([100, 101], [1.0, 1.0])
    with pytest.raises(ValueError, match="symbols the prices lack"):
        backtest(prices, weights.rename(columns={"A": "B"}), execution="close")
    with pytest.raises(ValueError, match="execution must be one of"):
        backtest(prices, weights, execution="tomorrow")
    with pytest.raises(ValueError, match="weights must be finite"):
        backtest(prices, weights.replace(1.0, np.inf), execution="close")
    with pytest.raises(ValueError, match="needs bar 'volume'"):
        backtest(prices, weights, execution="close", participation_cap=0.1)
