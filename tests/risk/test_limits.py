"""Contract over every registered limit and breaker, each limit by hand, the manager's order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.risk import (
    LIMITS,
    CircuitBreaker,
    EquityTracker,
    MaxGrossLeverage,
    MaxGroupWeight,
    MaxNetExposure,
    MaxPositions,
    MaxPositionWeight,
    RiskContext,
    RiskLimit,
    RiskManager,
    VaRLimit,
    describe_limits,
    limit_from_config,
    proposal_var,
)

SYMBOLS = ("A", "B", "C", "D")
TS = pd.Timestamp("2024-01-02", tz="UTC")
# Parameters under which a gross-2 proposal breaches each limit.
BINDING = {
    "max_position_weight": {"max_weight": 0.3},
    "max_group_weight": {"groups": {"A": "g1", "B": "g1", "C": "g2"}, "max_weight": 0.5},
    "max_positions": {"max_positions": 2},
    "max_gross_leverage": {"max_gross": 1.0},
    "max_net_exposure": {"max_net": 0.5},
    "var_limit": {"max_var": 0.01, "window": 50},
}


def _context(n_rows: int = 60) -> RiskContext:
    rng = np.random.default_rng(0)
    return RiskContext(timestamp=TS, symbols=SYMBOLS, returns=0.02 * rng.standard_normal(
        (n_rows, len(SYMBOLS))), session=0)


PROPOSAL = np.array([0.8, 0.6, -0.4, 0.2])


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_limit_is_frozen_keyword_only_and_round_trips_its_toml_form(name):
    cls = LIMITS[name]
    limit = limit_from_config({"name": name, **BINDING.get(name, {})})
    with pytest.raises(dataclasses.FrozenInstanceError):
        limit.action = "halt"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cls(0.1)  # type: ignore[call-arg]
    assert limit_from_config({"name": name, **limit.parameters()}) == limit
    with pytest.raises(ConfigError, match="max_wieght"):
        limit_from_config({"name": name, "max_wieght": 0.1})
    with pytest.raises(ConfigError, match="action"):
        limit_from_config({"name": name, "action": "panic"})


@pytest.mark.parametrize("name", sorted(n for n, c in LIMITS.items() if issubclass(c, RiskLimit)))
def test_every_limit_passes_a_flat_book_and_its_fix_is_within_it(name):
    limit = limit_from_config({"name": name, **BINDING[name]})
    context = _context()
    assert limit.check(np.zeros(4), context) is None
    breach = limit.check(PROPOSAL, context)
    assert breach is not None and breach.measure > breach.threshold and breach.reason
    assert limit.check(breach.weights, context) is None
    assert np.all(np.abs(breach.weights) <= np.abs(PROPOSAL) + 1e-12)  # only ever reduces
    assert np.all(np.sign(breach.weights) * np.sign(PROPOSAL) >= 0)


@pytest.mark.parametrize("name", sorted(n for n, c in LIMITS.items()
                                        if issubclass(c, CircuitBreaker)))
def test_every_breaker_sees_no_loss_on_a_rising_path_and_trips_on_a_fall(name):
    breaker = LIMITS[name]()
    tracker = EquityTracker(100.0)
    for equity in (101.0, 102.0):
        tracker.update(equity, 0)
        assert breaker.loss(tracker) == 0.0
    tracker.update(102.0 * (1 - breaker.max_loss), 1)  # next session: every reference is 102
    assert breaker.loss(tracker) == pytest.approx(breaker.max_loss)


def test_tracker_references_by_hand():
    tracker = EquityTracker(100.0)
    for equity, session in ((104.0, 0), (110.0, 1), (106.0, 1), (103.0, 2), (105.0, 2)):
        tracker.update(equity, session)
    assert (tracker.peak, tracker.session_open, tracker.session_high) == (110.0, 106.0, 106.0)
    assert LIMITS["daily_loss_limit"]().loss(tracker) == pytest.approx(1 - 105 / 106)
    assert LIMITS["max_drawdown_stop"]().loss(tracker) == pytest.approx(1 - 105 / 110)


def test_position_group_and_count_limits_by_hand():
    ctx = _context()
    assert np.allclose(MaxPositionWeight(max_weight=0.3).check(PROPOSAL, ctx).weights,
                       [0.3, 0.3, -0.3, 0.2])
    group = MaxGroupWeight(groups={"A": "g1", "B": "g1", "C": "g2"}, max_weight=0.7)
    # g1 gross 1.4 -> x 0.5; g2 gross 0.4 within; D in no group
    assert np.allclose(group.check(PROPOSAL, ctx).weights, [0.4, 0.3, -0.4, 0.2])
    assert np.allclose(MaxPositions(max_positions=2).check(PROPOSAL, ctx).weights,
                       [0.8, 0.6, 0.0, 0.0])


def test_gross_net_and_var_limits_scale_the_whole_book():
    ctx = _context()
    assert np.allclose(MaxGrossLeverage(max_gross=1.0).check(PROPOSAL, ctx).weights,
                       PROPOSAL / 2.0)
    assert np.allclose(MaxNetExposure(max_net=0.6).check(PROPOSAL, ctx).weights,
                       PROPOSAL * 0.5)
    limit = VaRLimit(max_var=0.01, window=50, method="historical")
    fixed = limit.check(PROPOSAL, ctx).weights
    var, _ = proposal_var(ctx.returns[-50:], fixed, method="historical", level=0.99)
    assert var == pytest.approx(0.01)
    assert limit.check(PROPOSAL, _context(n_rows=20)) is None  # not enough history


def test_manager_applies_limits_in_order_and_a_halt_limit_flattens():
    manager = RiskManager(limits=(MaxPositionWeight(max_weight=0.3),
                                  MaxGrossLeverage(max_gross=0.6)))
    weights, records, halting = manager.check(PROPOSAL, _context())
    assert halting is None and np.allclose(weights, np.array([0.3, 0.3, -0.3, 0.2]) * 0.6 / 1.1)
    assert [r.limit for r in records] == ["max_position_weight", "max_gross_leverage"]
    assert records[0].gross_before == pytest.approx(2.0)
    assert records[1].gross_after == pytest.approx(0.6)
    halt = RiskManager(limits=(MaxNetExposure(max_net=0.5, action="halt"),))
    weights, records, halting = halt.check(PROPOSAL, _context())
    assert halting is not None and not weights.any() and records[0].action == "halt"


def test_manager_rejects_a_duplicate_limit_and_config_round_trips():
    with pytest.raises(ValueError, match="twice"):
        RiskManager(limits=(MaxPositions(), MaxPositions(max_positions=3)))
    manager = RiskManager(limits=(MaxGroupWeight(groups={"A": "x"}), VaRLimit(window=20)))
    assert RiskManager.from_config(manager.to_config()) == manager
    assert manager.lookback == 20
    with pytest.raises(ConfigError, match="Unknown risk limit 'stop_loss'"):
        RiskManager.from_config([{"name": "stop_loss"}])


def test_describe_limits_lists_every_limit_with_its_defaults():
    table = describe_limits()
    assert list(table["name"]) == list(LIMITS)
    row = table.set_index("name").loc["daily_loss_limit"]
    assert row["kind"] == "circuit_breaker"
    assert row["parameters"] == {"max_loss": 0.03, "action": "halt", "reset": "next_session",
                                 "scale": 0.5}
