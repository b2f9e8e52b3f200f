"""Random inputs (gaps, listings, NaN decisions, caps, all cost terms) against the reference."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.backtest import BankruptcyWarning, backtest
from alphafactory.backtest.costs import CostModel, CostParameters
from alphafactory.data.wide import Panel

from .conftest import reference_backtest

# These tests drive the order-level limit (max_leverage), the costs and the reference loop
# with decisions above gross 1: the target-gross cap (max_gross_leverage, tested in
# test_gross_and_bankruptcy.py) is off.
backtest = partial(backtest, max_gross_leverage=None)


class _Cells(CostModel):
    """Cost model with given per-cell parameters (to drive every cost term)."""

    def __init__(self, params: CostParameters) -> None:
        self.params = params

    def parameters(self, market: Panel) -> CostParameters:
        return self.params


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_bars=st.integers(1, 12),
    n_assets=st.integers(1, 5),
    execution=st.sampled_from(["next_open", "next_close", "close"]),
    cap=st.sampled_from([None, 0.05, 0.5]),
    carry=st.booleans(),
    whole=st.booleans(),
    exponent=st.sampled_from([None, 0.5, 1.0]),
    minimum=st.sampled_from([0.0, 0.1, 40.0]),
    leverage=st.sampled_from([1.0, 1.5, 4.0]),
)
def test_backtest_matches_reference_on_random_inputs(
    seed, n_bars, n_assets, execution, cap, carry, whole, exponent, minimum, leverage
):
    """exponent None: no impact (the limit's closed form); else impact (its bisection)."""
    rng = np.random.default_rng(seed)
    close = 20 + 80 * rng.random((n_bars, n_assets))
    open_ = close * (1 + rng.normal(0, 0.01, close.shape))
    gaps = rng.random(close.shape) < 0.15
    close[gaps] = np.nan
    open_[gaps | (rng.random(close.shape) < 0.05)] = np.nan
    volume = rng.uniform(100, 5000, close.shape)
    weights = rng.uniform(-1.0, 1.5, close.shape)
    weights[rng.random(close.shape) < 0.1] = np.nan
    weights[rng.random(n_bars) < 0.2] = np.nan
    index = pd.date_range("2024-01-01", periods=n_bars, freq="D", tz="UTC")
    symbols = pd.Index([f"S{i}" for i in range(n_assets)])
    market = Panel.from_arrays(index, symbols, close=close, open=open_, high=None,
                    low=None, volume=volume)
    params = CostParameters(
        half_spread=rng.uniform(0, 1e-3, close.shape),
        impact_coef=rng.uniform(0, 1e-4, close.shape) if exponent else 0.0,
        impact_exponent=exponent or 1.0,
        commission_per_share=0.001,
        commission_bps=0.5,
        commission_min=minimum,
    )
    with warnings.catch_warnings():  # leverage 4 on prices that jump 5x: some runs go bankrupt
        warnings.simplefilter("ignore", BankruptcyWarning)
        result = backtest(
            market, pd.DataFrame(weights, index=index, columns=symbols), cost=_Cells(params),
            execution=execution, cash=1e5, borrow_bps=30, participation_cap=cap,
            unfilled="carry" if carry else "drop", whole_shares=whole, max_leverage=leverage,
            periods_per_year=252,
        )
    exec_price = open_ if execution == "next_open" else close
    eq, cash, shares, costs = reference_backtest(
        exec_price.tolist(), close.tolist(), weights.tolist(),
        lag=0 if execution == "close" else 1, cash=1e5,
        half_spread=params.half_spread, impact_coef=params.impact_coef,
        impact_exponent=exponent or 1.0, per_share=0.001, commission_bps=0.5,
        commission_min=minimum,
        borrow_per_bar=30e-4 / 252, volume=volume.tolist(), cap=cap, carry=carry, whole=whole,
        max_leverage=leverage,
    )
    np.testing.assert_allclose(result.equity.to_numpy(), eq, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(result.cash.to_numpy(), cash, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(result.shares_array, shares, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.costs.sum(axis=1).to_numpy(), costs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_many_orders_over_the_limit_match_reference(seed):
    """Gross 4x on 14 symbols: most buys are shrunk or dropped (the loop's heap path)."""
    rng = np.random.default_rng(seed)
    close = 20 + 80 * rng.random((6, 14))
    weights = rng.uniform(-0.2, 0.8, close.shape)
    index = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
    symbols = pd.Index([f"S{i}" for i in range(14)])
    params = CostParameters(half_spread=rng.uniform(0, 1e-3, close.shape), commission_bps=1.0,
                            commission_min=5.0)
    result = backtest(
        pd.DataFrame(close, index=index, columns=symbols),
        pd.DataFrame(weights, index=index, columns=symbols), cost=_Cells(params),
        execution="close", cash=1e5, whole_shares=seed % 2 == 1,
    )
    eq, cash, shares, _ = reference_backtest(
        close.tolist(), close.tolist(), weights.tolist(), lag=0, cash=1e5,
        half_spread=params.half_spread, commission_bps=1.0, commission_min=5.0,
        whole=seed % 2 == 1,
    )
    assert (result.limited_notional > 0).sum() >= 3
    np.testing.assert_allclose(result.equity.to_numpy(), eq, rtol=1e-9)
    np.testing.assert_allclose(result.cash.to_numpy(), cash, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(result.shares_array, shares, rtol=1e-9, atol=1e-9)
