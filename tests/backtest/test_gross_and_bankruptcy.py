"""Target gross capped at max_gross_leverage, bankruptcy stops trading, and bad parameters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.backtest import (
    BankruptcyWarning,
    FixedBps,
    GrossLeverageWarning,
    backtest,
)
from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError


def _frames(prices, weights, columns=("A",)):
    index = pd.date_range("2024-01-01", periods=len(prices), freq="D", tz="UTC")
    columns = list(columns)
    return (
        pd.DataFrame(prices, index=index, columns=columns, dtype=float),
        pd.DataFrame(weights, index=index, columns=columns, dtype=float),
    )


def test_backtest_weight_100_is_scaled_to_max_gross_leverage_with_one_warning():
    prices, weights = _frames([[50.0], [60.0], [70.0]], [[100.0], [np.nan], [100.0]])
    with pytest.warns(GrossLeverageWarning, match=r"max_gross_leverage=1 on 2 of 2 decision "
                                                   r"bars \(largest 100\)") as record:
        capped = backtest(prices, weights, execution="close", cash=1000)
    assert len(record) == 1
    plain = backtest(prices, weights.clip(upper=1.0), execution="close", cash=1000)
    np.testing.assert_array_equal(capped.equity.to_numpy(), plain.equity.to_numpy())
    assert weights.iloc[0, 0] == 100.0  # the caller's frame is not scaled in place


def test_backtest_gross_cap_scales_every_weight_of_a_row_alike():
    prices, weights = _frames([[10.0, 20.0], [10.0, 20.0]], [[1.5, -0.5], [0.2, 0.3]], "AB")
    with pytest.warns(GrossLeverageWarning, match="on 1 of 2 decision bars"):
        result = backtest(prices, weights, execution="close", cash=1000, max_gross_leverage=1.0)
    held = result.position_values.iloc[0].to_numpy() / 1000
    np.testing.assert_allclose(held, [0.75, -0.25], rtol=1e-12)


def test_backtest_gross_within_max_gross_leverage_gives_no_warning():
    prices, weights = _frames([[10.0, 20.0]], [[1.5, -0.5]], "AB")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backtest(prices, weights, execution="close", cash=1000, max_gross_leverage=2.0,
                 max_leverage=2.0)


def test_backtest_gross_counts_only_the_names_that_trade_at_the_bar():
    # B has no price at the execution bar: it is not traded, so its weight does not count.
    prices, weights = _frames([[10.0, np.nan], [11.0, 20.0]], [[0.8, 0.8], [np.nan, np.nan]],
                              "AB")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = backtest(prices, weights, execution="close", cash=1000)
    assert result.position_values.iloc[0, 0] == pytest.approx(800.0)


def test_risk_managed_backtest_passes_max_gross_leverage_through():
    from alphafactory.backtest import risk_managed_backtest
    from alphafactory.risk import RiskManager

    prices, weights = _frames([[10.0], [11.0]], [[3.0], [np.nan]])
    with pytest.warns(GrossLeverageWarning, match="on 1 of 1 decision bars"):
        result = risk_managed_backtest(prices, weights, risk=RiskManager(), execution="close",
                                       cash=1000)
    assert result.result.position_values.iloc[0, 0] == pytest.approx(1000.0)


def test_backtest_weight_100_levered_goes_bankrupt_and_stops_trading():
    prices, weights = _frames([[50.0], [40.0], [30.0], [60.0]], [[100.0]] * 4)
    with pytest.warns(BankruptcyWarning, match=r"bankrupt at 2024-01-02.*bar 1 of 4"):
        result = backtest(prices, weights, execution="close", cash=1000, max_leverage=100,
                          max_gross_leverage=None)
    assert result.bankrupt_at == pd.Timestamp("2024-01-02", tz="UTC")
    np.testing.assert_array_equal(result.equity.to_numpy()[1:], 0.0)
    np.testing.assert_array_equal(result.cash.to_numpy()[1:], 0.0)
    np.testing.assert_array_equal(result.shares_array[1:], 0.0)
    assert (result.costs.iloc[2:].to_numpy() == 0).all()
    summary = result.summary()
    assert summary["bankrupt"] == 1.0
    assert summary["total_return"] == -1.0 and summary["max_drawdown"] == -1.0
    assert np.isnan(summary["sharpe"]) and np.isnan(summary["calmar"])
    assert summary["final_equity"] == 0.0 and summary["gross_total_return"] == -1.0


def test_backtest_short_gapping_up_at_the_open_is_bankrupt_before_trading():
    index = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    market = Panel.from_arrays(index, pd.Index(["A"]), close=np.full((4, 1), 10.0),
                               open=np.array([[10.0], [10.0], [35.0], [10.0]]), high=None,
                               low=None, volume=None)
    weights = pd.DataFrame([[-1.0]] * 4, index=index, columns=["A"])
    with pytest.warns(BankruptcyWarning, match="bar 2 of 4"):
        result = backtest(market, weights, execution="next_open", cash=1000, max_leverage=1.0)
    # Short 100 shares at the open of bar 1 with 2000 cash: worth 2000 - 3500 < 0 at bar 2's open.
    assert result.bankrupt_at == index[2]
    np.testing.assert_array_equal(result.equity.to_numpy(), [1000.0, 1000.0, 0.0, 0.0])


def test_backtest_bankrupt_run_still_checks_inputs_after_the_bankruptcy():
    prices, weights = _frames([[50.0], [40.0], [-1.0]], [[100.0]] * 3)
    with pytest.raises(ValueError, match=r"prices must be positive.*bar 2"):
        backtest(prices, weights, execution="close", cash=1000, max_leverage=100,
                 max_gross_leverage=None)


def test_backtest_bankrupt_result_reports_and_writes_html(tmp_path):
    prices, weights = _frames([[50.0], [40.0], [30.0], [60.0]] * 3, [[100.0]] * 12)
    with pytest.warns(BankruptcyWarning):
        result = backtest(prices, weights, execution="close", cash=1000, max_leverage=100,
                          max_gross_leverage=None)
    assert result.returns.iloc[1] == -1.0 and result.returns.iloc[2:].isna().all()
    assert np.isfinite(result.weights.to_numpy()).all()
    assert result.to_html(tmp_path / "t.html").stat().st_size > 0


@pytest.mark.parametrize(("option", "value", "message"), [
    ("periods_per_year", 0, r"periods_per_year must be a positive finite number of bars, got 0"),
    ("periods_per_year", np.nan, r"periods_per_year must be .*got nan"),
    ("max_gross_leverage", np.nan, r"max_gross_leverage must be .*got nan"),
    ("max_gross_leverage", 0.0, r"max_gross_leverage must be .*got 0.0"),
    ("max_leverage", np.inf, r"max_leverage must be .*got inf"),
    ("cash", np.nan, r"cash must be a positive finite amount, got nan"),
    ("borrow_bps", np.nan, r"borrow_bps must be a finite number >= 0, got nan"),
    ("borrow_bps", -1.0, r"borrow_bps must be a finite number >= 0, got -1.0"),
    ("participation_cap", np.nan, r"participation_cap must be in \(0, 1\], got nan"),
])
def test_backtest_bad_parameter_raises_config_error_naming_it(option, value, message):
    prices, weights = _frames([[50.0], [60.0]], [[0.5], [0.5]])
    with pytest.raises(ConfigError, match=message):
        backtest(prices, weights, execution="close", **{option: value})


def test_fixed_bps_nan_raises_naming_bps():
    with pytest.raises(ValueError, match=r"bps.*nan"):
        FixedBps(float("nan"))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_bars=st.integers(1, 10),
    n_assets=st.integers(1, 4),
    scale=st.sampled_from([1.0, 10.0, 1e3, 1e8]),
    leverage=st.sampled_from([1.0, 3.0, 50.0]),
    capped=st.booleans(),
    bps=st.sampled_from([0.0, 10.0, 500.0]),
)
def test_backtest_random_huge_weights_never_leave_negative_equity(
    seed, n_bars, n_assets, scale, leverage, capped, bps
):
    """Equity >= 0, cash + positions = equity, metrics finite or the run flagged bankrupt."""
    rng = np.random.default_rng(seed)
    close = np.exp(rng.normal(0, 0.6, (n_bars, n_assets)).cumsum(axis=0)) * 50
    weights = rng.uniform(-scale, scale, close.shape)
    weights[rng.random(close.shape) < 0.1] = np.nan
    prices, frame = _frames(close, weights, [f"S{i}" for i in range(n_assets)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GrossLeverageWarning)
        warnings.simplefilter("ignore", BankruptcyWarning)
        result = backtest(prices, frame, execution="close", cash=1e4, cost=FixedBps(bps),
                          max_leverage=leverage, max_gross_leverage=1.0 if capped else None,
                          borrow_bps=50.0, periods_per_year=252)
    equity = result.equity.to_numpy()
    assert (equity >= 0).all()
    held = (result.shares_array * close).sum(axis=1)
    # Cash and positions may each be huge and cancel, and an order the limit cuts is booked in
    # full then taken back: compare at the scale of what was asked and held.
    wanted = np.nanmax(np.abs(frame.to_numpy()), initial=0.0) * equity.max() * n_assets
    size = max(np.abs(result.cash.to_numpy()).max(), np.abs(held).max(), wanted, 1.0)
    np.testing.assert_allclose(result.cash.to_numpy() + held, equity, rtol=0, atol=1e-13 * size)
    summary = result.summary()
    if result.bankrupt_at is None:
        assert (equity > 0).all() and summary["bankrupt"] == 0.0
        assert np.isfinite(summary["total_return"]) and summary["total_return"] > -1.0
        assert np.isfinite(summary["final_equity"])
    else:
        assert summary["bankrupt"] == 1.0 and summary["total_return"] == -1.0
        assert np.isnan(summary["sharpe"])
        bar = result.market.timestamps.get_loc(result.bankrupt_at)
        assert (equity[bar:] == 0).all() and (result.shares_array[bar:] == 0).all()
