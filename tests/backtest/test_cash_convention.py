"""Cash convention: orders shrunk so that cash after costs stays >= 0 unless leverage is allowed.

Reference numbers were recorded from vectorbt and Backtesting.py by bench/reference_vectorbt.py
(``parity``) and bench/reference_backtesting.py into tests/backtest/data/; neither library is
needed here.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.backtest import Commission, CostModel, CostParameters, FixedBps, backtest
from alphafactory.data.wide import Panel

# These tests drive the order-level limit (max_leverage), the costs and the reference loop
# with decisions above gross 1: the target-gross cap (max_gross_leverage, tested in
# test_gross_and_bankruptcy.py) is off.
backtest = partial(backtest, max_gross_leverage=None)

DATA = Path(__file__).parent / "data"


def _weights(rows) -> np.ndarray:
    return np.array([[np.nan if w is None else w for w in row] for row in rows], dtype=float)


def _vectorbt_cases() -> list[dict]:
    return json.loads((DATA / "vectorbt_reference.json").read_text())["cases"]


@pytest.mark.parametrize("case", _vectorbt_cases(), ids=lambda case: case["name"])
def test_equity_equals_recorded_vectorbt_at_full_gross(case):
    record = json.loads((DATA / "vectorbt_reference.json").read_text())
    close = np.array(case["close"])
    index = pd.date_range("2020-01-01", periods=len(close), freq="D", tz="UTC")
    columns = [f"S{i}" for i in range(close.shape[1])]
    weights = pd.DataFrame(_weights(case["weights"]), index=index, columns=columns)
    # vectorbt credits short proceeds to cash and never limits shorts: the long-short book is
    # compared where our limit does not bind either (gross 1.6 within 2x equity).
    leverage = 2.0 if case["name"].startswith("long_short") else 1.0
    result = backtest(
        pd.DataFrame(close, index=index, columns=columns), weights,
        cost=FixedBps(record["fee_bps"]), execution="close", cash=record["init_cash"],
        max_leverage=leverage,
    )
    np.testing.assert_allclose(result.equity.to_numpy(), case["equity"], rtol=1e-9)
    np.testing.assert_allclose(result.cash.to_numpy(), case["cash"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(result.shares_array, case["positions"], rtol=1e-9, atol=1e-9)
    if leverage == 1.0:  # the comparison is about shrunk orders: some were
        assert result.limited_notional.sum() > 0


def test_equity_and_shares_equal_recorded_backtesting_py_whole_shares_commission():
    record = json.loads((DATA / "backtesting_reference.json").read_text())
    index = pd.DatetimeIndex(record["timestamps"], tz="UTC", name="timestamp")
    bars = pd.DataFrame(
        {field: record[field] for field in ("open", "high", "low", "close")}, index=index
    ).assign(volume=1e6)
    weights = pd.DataFrame({"asset": _weights([record["weights"]])[0]}, index=index)
    result = backtest(
        bars, weights, cost=Commission(bps=record["commission"] * 1e4), execution="next_open",
        cash=record["cash"], whole_shares=True,
    )
    np.testing.assert_array_equal(result.positions["asset"].to_numpy(), record["position"])
    np.testing.assert_allclose(result.equity.to_numpy(), record["equity"], rtol=1e-9)
    buys = result.trades[result.trades["shares"] > 0]
    cash_before = result.cash.shift(1).reindex(buys["timestamp"]).to_numpy()
    assert len(buys) >= 5
    # Most entries were shrunk below the whole shares the cash would buy without commission.
    assert (np.floor(cash_before / buys["price"].to_numpy()) > buys["shares"].to_numpy()).sum() >= 5


def _frames(prices, weights, columns):
    index = pd.date_range("2024-01-01", periods=len(prices), freq="D", tz="UTC")
    return (
        pd.DataFrame(prices, index=index, columns=columns, dtype=float),
        pd.DataFrame(weights, index=index, columns=columns, dtype=float),
    )


def test_rotation_sells_first_and_buys_with_the_freed_cash():
    prices, weights = _frames([[50.0, 20.0], [40.0, 25.0]], [[1.0, 0.0], [0.0, 1.0]], ["A", "B"])
    result = backtest(prices, weights, execution="close", cost=FixedBps(10), cash=1000)
    a = 1000 / (50 * 1.001)  # bar 0: all in A, shrunk to pay its cost
    cash = 40 * a * 0.999  # bar 1: A sold first...
    b = cash / (25 * 1.001)  # ...then B bought with what the sale left
    np.testing.assert_allclose(result.positions.to_numpy(), [[a, 0.0], [0.0, b]], rtol=1e-12)
    assert result.cash.to_numpy() == pytest.approx([0.0, 0.0], abs=1e-9)


def test_short_counts_in_gross_exposure_without_leverage():
    prices, weights = _frames([[50.0], [55.0]], [[-1.0], [np.nan]], ["A"])
    result = backtest(prices, weights, execution="close", cost=FixedBps(20), cash=1000)
    a = 1000 / (50 * 1.002)  # gross a * 50 = equity after costs 1000 - a * 50 * 0.002
    assert result.positions["A"].iloc[0] == pytest.approx(-a, rel=1e-12)
    assert result.cash.iloc[0] == pytest.approx(1000 + a * 50 * 0.998, rel=1e-12)
    assert result.equity.iloc[1] == pytest.approx(1000 + a * 50 * 0.998 - a * 55, rel=1e-12)


def test_long_to_short_crossing_order_is_cut_where_gross_reaches_equity():
    prices, weights = _frames([[50.0], [50.0]], [[1.0], [-1.0]], ["A"])
    result = backtest(prices, weights, execution="close", cost=FixedBps(10), cash=1000)
    held = 1000 / (50 * 1.001)
    # Selling s > held shares: slack 0 - 0.001 * 50 s - (s - 2 held) * 50 = 0.
    sold = 2 * held / 1.001
    assert result.positions["A"].to_numpy() == pytest.approx([held, held - sold], rel=1e-12)
    position_value = -(held - sold) * 50
    assert position_value == pytest.approx(result.equity.iloc[1], rel=1e-12)  # gross = equity


def test_max_leverage_allows_borrowing_up_to_the_limit():
    prices, weights = _frames([[50.0], [60.0]], [[3.0], [np.nan]], ["A"])
    result = backtest(
        prices, weights, execution="close", cost=FixedBps(10), cash=1000, max_leverage=2
    )
    a = 2000 / (50 * (1 + 2 * 0.001))  # a * 50 = 2 * (1000 - a * 50 * 0.001)
    assert result.positions["A"].iloc[0] == pytest.approx(a, rel=1e-12)
    assert result.cash.iloc[0] == pytest.approx(1000 - a * 50 * 1.001, rel=1e-12)
    assert result.cash.iloc[0] < -900  # borrowed
    exposure = result.position_values["A"].iloc[0] / result.equity.iloc[0]
    assert exposure == pytest.approx(2.0, rel=1e-12)


def test_orders_that_fit_are_not_shrunk_and_ledger_reports_none():
    prices, weights = _frames([[50.0, 20.0], [40.0, 25.0]], [[0.5, 0.4], [0.3, 0.6]], ["A", "B"])
    result = backtest(prices, weights, execution="close", cost=FixedBps(10), cash=1000)
    assert result.positions.iloc[0].to_numpy() == pytest.approx([10.0, 20.0])
    assert result.limited_notional.sum() == 0.0
    assert result.summary()["limited_notional"] == 0.0


@pytest.mark.parametrize("leverage", [0.0, -1.0, np.inf, np.nan])
def test_bad_max_leverage_raises(leverage):
    prices, weights = _frames([[50.0]], [[1.0]], ["A"])
    with pytest.raises(ValueError, match="max_leverage must be a positive finite"):
        backtest(prices, weights, execution="close", max_leverage=leverage)


def _random_case(seed, n_bars, n_assets, long_only):
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.05, (n_bars, n_assets)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.02, close.shape))
    gaps = rng.random(close.shape) < 0.1
    close[gaps] = np.nan
    open_[gaps] = np.nan
    low = 0.0 if long_only else -1.5
    weights = rng.uniform(low, 1.5, close.shape)
    weights[rng.random(n_bars) < 0.2] = np.nan
    index = pd.date_range("2024-01-01", periods=n_bars, freq="D", tz="UTC")
    symbols = pd.Index([f"S{i}" for i in range(n_assets)])
    market = Panel.from_arrays(index, symbols, close=close, open=open_,
                    volume=rng.uniform(50, 5000, close.shape))
    return market, pd.DataFrame(weights, index=index, columns=symbols)


def _execution_prices(open_, close):
    """The price each bar's orders and slack use: the open, else the last price seen."""
    price = np.zeros_like(open_)
    last = np.zeros(open_.shape[1])
    for t in range(len(open_)):
        price[t] = np.where(np.isnan(open_[t]), last, open_[t])
        last = np.where(np.isnan(close[t]), price[t], close[t])
    return price


class _Flat(CostModel):
    """Given cost parameters on every cell (SpreadImpact needs volume history)."""

    def __init__(self, **params) -> None:
        self.params = CostParameters(**params)

    def parameters(self, market: Panel) -> CostParameters:
        return self.params


_COSTS = [
    FixedBps(0),
    FixedBps(25),
    _Flat(half_spread=5e-4, impact_coef=2e-4, impact_exponent=0.5, commission_per_share=0.01,
          commission_min=1.0),
    _Flat(impact_coef=1e-5, commission_bps=10, commission_min=2.0),
]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n_bars=st.integers(1, 15),
    n_assets=st.integers(1, 6),
    cost=st.sampled_from(_COSTS),
    execution=st.sampled_from(["next_open", "close"]),
    whole=st.booleans(),
    cap=st.sampled_from([None, 0.2]),
)
def test_cash_after_costs_never_negative_without_leverage(
    seed, n_bars, n_assets, cost, execution, whole, cap
):
    market, weights = _random_case(seed, n_bars, n_assets, long_only=True)
    cash = 1e4
    result = backtest(market, weights, cost=cost, execution=execution, cash=cash,
                      whole_shares=whole, participation_cap=cap)
    assert (result.cash.to_numpy() >= -1e-9 * cash).all()
    assert (result.equity.to_numpy() > 0).all()  # equity stays positive too


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n_bars=st.integers(1, 15),
    n_assets=st.integers(1, 6),
    cost=st.sampled_from(_COSTS),
    leverage=st.sampled_from([0.5, 1.0, 2.0]),
    whole=st.booleans(),
)
def test_no_bar_leaves_gross_above_the_limit_or_raises_an_excess(
    seed, n_bars, n_assets, cost, leverage, whole
):
    """At the execution prices: slack after trading >= min(slack before, 0), every bar."""
    market, weights = _random_case(seed, n_bars, n_assets, long_only=False)
    cash = 1e4
    result = backtest(market, weights, cost=cost, execution="next_open", cash=cash,
                      whole_shares=whole, max_leverage=leverage, periods_per_year=252)
    price = _execution_prices(market.open, market.close)
    shares = result.shares_array
    held_before = np.vstack([np.zeros(n_assets), shares[:-1]])
    cash_after = result.cash.to_numpy() + result.costs["borrow"].to_numpy()  # before borrow
    cash_before = np.concatenate([[cash], result.cash.to_numpy()[:-1]])

    def slack(held, cash_now):
        value = held * price
        return leverage * (cash_now + value.sum(axis=1)) - np.abs(value).sum(axis=1)

    before, after = slack(held_before, cash_before), slack(shares, cash_after)
    tolerance = 1e-9 * (cash + np.abs(shares * price).sum(axis=1))
    assert (after >= np.minimum(before, 0.0) - tolerance).all()
