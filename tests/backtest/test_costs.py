from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import (
    Commission,
    CostModel,
    FixedBps,
    NoCost,
    SpreadImpact,
    SquareRootImpact,
    corwin_schultz_spread,
    market_from,
)

MODELS = [
    NoCost(),
    FixedBps(7.0),
    Commission(per_share=0.01, bps=1.0, minimum=1.0),
    SpreadImpact(half_spread_bps=2.0, impact=0.3),
    SpreadImpact(),
    SquareRootImpact(eta=1.0, half_spread_bps=1.0),
    SquareRootImpact(half_spread_bps=None) + Commission(bps=0.5),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_cost_model_contract_nonnegative_zero_at_zero_monotone_in_size(model: CostModel, bars):
    market = market_from(bars)
    price = np.nan_to_num(market.close, nan=100.0)
    costs = [model.cost(market, np.full(market.shape, q), price).total for q in (0, 10, 100, 1000)]
    assert (costs[0] == 0).all()
    for smaller, larger in itertools.pairwise(costs):
        assert (larger >= smaller).all()
        assert (larger >= 0).all()
    sells = model.cost(market, np.full(market.shape, -100.0), price).total
    np.testing.assert_allclose(sells, costs[2])


def test_fixed_bps_hand_value(bars):
    market = market_from(bars)
    out = FixedBps(10).cost(market, np.array([[50.0]]), np.array([[20.0]]))
    assert out.spread[0, 0] == pytest.approx(1.0)
    assert out.impact[0, 0] == 0 and out.commission[0, 0] == 0


def test_commission_minimum_applies_per_order(bars):
    market = market_from(bars)
    out = Commission(per_share=0.005, minimum=1.0).cost(
        market, np.array([[10.0, 1000.0, 0.0]]), np.array([[10.0, 10.0, 10.0]])
    )
    assert out.commission.tolist() == [[1.0, 5.0, 0.0]]


def test_square_root_impact_hand_value():
    index = pd.date_range("2024-01-01", periods=30, freq="B", tz="UTC", name="timestamp")
    close = 100 * np.exp(np.cumsum(np.tile([0.01, -0.01], 15)))
    bars = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, index=index
    )
    model = SquareRootImpact(eta=0.5, half_spread_bps=0.0, vol_window=10, adv_window=10)
    market = market_from(bars)
    sigma = pd.Series(close).pct_change().iloc[-11:-1].std()
    q = 10_000.0
    cost = model.cost(market, np.full(market.shape, q), market.close).impact[-1, 0]
    expected = q * close[-1] * 0.5 * sigma * np.sqrt(q / 1e6)
    assert cost == pytest.approx(expected, rel=1e-12)


def test_corwin_schultz_recovers_planted_spread():
    rng = np.random.default_rng(0)
    n_bars, steps, spread = 2000, 100, 0.01
    # A continuous mid path; each bar's high trades at the ask, its low at the bid.
    path = 100 * np.exp(np.cumsum(rng.normal(0, 0.01 / np.sqrt(steps), n_bars * steps)))
    bars = path.reshape(n_bars, steps)
    high = bars.max(axis=1) * (1 + spread / 2)
    low = bars.min(axis=1) * (1 - spread / 2)
    estimate = corwin_schultz_spread(high[:, None], low[:, None], window=n_bars)[-1, 0]
    assert estimate == pytest.approx(spread, rel=0.3)
    assert corwin_schultz_spread(high[:, None], low[:, None]).min() >= 0


def test_models_needing_volume_fail_on_close_prices():
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    market = market_from(pd.DataFrame({"A": np.arange(5.0) + 10}, index=index))
    with pytest.raises(ValueError, match="needs bar 'volume'"):
        SquareRootImpact().parameters(market)
    with pytest.raises(ValueError, match="needs bar 'high'"):
        SpreadImpact(impact=0.0).parameters(market)


def test_adding_two_impact_exponents_is_rejected(bars):
    with pytest.raises(ValueError, match="different exponents"):
        (SquareRootImpact() + SpreadImpact(half_spread_bps=1.0)).parameters(market_from(bars))


def test_invalid_parameters_rejected():
    with pytest.raises(ValueError, match=r"FixedBps: bps must be a finite number >= 0, got -1"):
        FixedBps(-1)
    with pytest.raises(ValueError, match="per_share"):
        Commission(per_share=-0.1)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: FixedBps(float("nan")), r"FixedBps: bps must be a finite number >= 0, got nan"),
    (lambda: FixedBps(float("inf")), r"FixedBps: bps must be .*got inf"),
    (lambda: Commission(minimum=float("nan")), r"Commission: minimum must be .*got nan"),
    (lambda: SquareRootImpact(eta=float("nan")), r"SquareRootImpact: eta must be .*got nan"),
    (lambda: SquareRootImpact(half_spread_bps=-1.0), r"half_spread_bps must be .*got -1.0"),
    (lambda: SquareRootImpact(vol_window=0), r"vol_window must be a whole number of bars >= 1"),
    (lambda: SpreadImpact(impact=float("inf")), r"SpreadImpact: impact must be .*got inf"),
    (lambda: SpreadImpact(adv_window=2.5), r"adv_window must be a whole number .*got 2.5"),
])
def test_cost_model_bad_parameter_is_a_config_error_at_construction(make, message):
    from alphafactory.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        make()
