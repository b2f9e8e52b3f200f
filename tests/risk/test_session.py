"""RiskSession: a breaker trips, halts and resets (next session, manual); a scale-down."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.risk import (
    DailyLossLimit,
    MaxDrawdownStop,
    MaxPositionWeight,
    RiskContext,
    RiskManager,
    RiskSession,
    interventions_frame,
    session_of,
)

DAY = [pd.Timestamp(f"2024-01-0{d}", tz="UTC") for d in range(2, 7)]


def _ctx(i: int) -> RiskContext:
    return RiskContext(timestamp=DAY[i], symbols=("A", "B"), returns=np.empty((0, 2)),
                       session=session_of(DAY[i]))


def test_daily_loss_halts_then_next_session_resets_and_rebases():
    session = RiskSession(RiskManager(limits=(DailyLossLimit(max_loss=0.03),)), 100.0)
    assert np.allclose(session.decide(np.array([0.5, 0.5]), _ctx(0)), [0.5, 0.5])
    assert session.observe(DAY[0], session_of(DAY[0]), 98.0) is None  # -2%
    assert not session.begin_bar(DAY[1], session_of(DAY[1]))
    trip = session.observe(DAY[1], session_of(DAY[1]), 94.0)  # -4.1% since 98
    assert trip is not None and not trip.any() and session.halted
    assert not session.decide(np.array([0.5, 0.5]), _ctx(1)).any()
    assert session.begin_bar(DAY[2], session_of(DAY[2])) and not session.halted
    assert session.trackers["daily_loss_limit"].session_open == 94.0
    table = interventions_frame(session.interventions)
    assert list(table["action"]) == ["halt", "reset"]
    assert table["measure"].iloc[0] == pytest.approx(1 - 94 / 98)
    assert table["gross_before"].iloc[0] == 1.0 and table["gross_after"].iloc[0] == 0.0


def test_manual_reset_rule_waits_for_the_operator():
    session = RiskSession(RiskManager(limits=(MaxDrawdownStop(max_loss=0.1),)), 100.0)
    session.decide(np.array([1.0, 0.0]), _ctx(0))
    assert session.observe(DAY[0], session_of(DAY[0]), 89.0) is not None
    for i in (1, 2, 3):
        assert not session.begin_bar(DAY[i], session_of(DAY[i])) and session.halted
    assert session.reset_all(DAY[3]) and not session.halted
    assert session.trackers["max_drawdown_stop"].peak == 89.0  # re-based at the reset


def test_breaker_with_scale_action_scales_proposals_until_reset():
    limits = (MaxPositionWeight(max_weight=0.4),
              DailyLossLimit(max_loss=0.03, action="scale", scale=0.5))
    session = RiskSession(RiskManager(limits=limits), 100.0)
    session.decide(np.array([0.6, 0.2]), _ctx(0))
    trip = session.observe(DAY[0], session_of(DAY[0]), 96.0)
    assert np.allclose(trip, [0.2, 0.1]) and not session.halted
    assert np.allclose(session.decide(np.array([0.3, 0.3]), _ctx(0)), [0.15, 0.15])
    session.begin_bar(DAY[1], session_of(DAY[1]))
    assert np.allclose(session.decide(np.array([0.3, 0.3]), _ctx(1)), [0.3, 0.3])
    assert list(interventions_frame(session.interventions)["action"]) == [
        "scale", "scale", "reset"]


def test_session_of_is_the_utc_day_whatever_the_index_unit():
    index = pd.date_range("2024-01-02 14:00", periods=3, freq="D", tz="UTC").as_unit("us")
    assert list(session_of(index)) == [session_of(t) for t in index] == [19724, 19725, 19726]
