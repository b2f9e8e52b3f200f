"""Self-trade prevention modes and every pre-trade risk rule (book unchanged after a reject)."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import EventType, MatchingEngine, OrderType, Reason, RiskLimits
from alphafactory.engine.workloads import random_orders


def _stp_book(msg, stp):
    engine = MatchingEngine(tick_size=1.0, stp=stp)
    engine.process(msg(1, -1, OrderType.LIMIT, 101, 3, account=7))
    engine.process(msg(2, -1, OrderType.LIMIT, 101, 2, account=8))
    return engine


@pytest.mark.parametrize(
    ("stp", "makers", "canceled", "resting"),
    [
        ("none", [1, 2], [], {1: None, 2: None, 100: None}),
        ("cancel_taker", [], [(100, 5)], {1: 3, 2: 2, 100: None}),
        ("cancel_maker", [2], [(1, 3)], {1: None, 2: None, 100: 3}),
        ("cancel_both", [], [(1, 3), (100, 5)], {1: None, 2: 2, 100: None}),
    ],
)
def test_stp_mode_gives_expected_trades_and_cancels(msg, stp, makers, canceled, resting):
    engine = _stp_book(msg, stp)
    trades, events = engine.process(msg(100, 1, OrderType.LIMIT, 101, 5, account=7))
    assert [int(t["maker_order_id"]) for t in trades] == makers
    got = [(int(e["order_id"]), int(e["remaining_qty"])) for e in events
           if e["event"] == EventType.CANCELED]
    assert got == canceled
    assert all(e["reason"] == Reason.SELF_TRADE for e in events
               if e["event"] == EventType.CANCELED)
    for oid, qty in resting.items():
        order = engine.order(oid)
        assert (order and order["qty"]) == qty if qty else order is None


@pytest.mark.parametrize("stp", ["cancel_taker", "cancel_maker", "cancel_both"])
def test_stp_on_random_stream_never_trades_with_itself(stp):
    engine = MatchingEngine(tick_size=0.01, stp=stp)
    engine.add_instrument(1, tick_size=0.05, lot_size=10)
    trades, _ = engine.process(random_orders(50_000, 11))
    assert len(trades) > 1000
    assert not np.any(trades["maker_account"] == trades["taker_account"])


def test_fok_with_stp_counts_only_tradable_liquidity(msg):
    engine = _stp_book(msg, "cancel_taker")
    h = engine.l2_hash()
    trades, events = engine.process(msg(100, 1, OrderType.FOK, 101, 2, account=7))
    assert len(trades) == 0 and events[-1]["reason"] == Reason.FOK_UNFILLED
    assert engine.l2_hash() == h


RISK_CASES = [
    # limits, (side, type, price, qty), reason
    (RiskLimits(max_order_qty=5), (1, OrderType.LIMIT, 100, 6), Reason.RISK_MAX_QTY),
    (RiskLimits(max_order_notional=500.0), (1, OrderType.LIMIT, 100, 6),
     Reason.RISK_MAX_NOTIONAL),
    (RiskLimits(max_order_notional=500.0), (1, OrderType.MARKET, 0, 5),
     Reason.RISK_MAX_NOTIONAL),  # priced at the opposite best, 105
    (RiskLimits(max_position=4), (-1, OrderType.LIMIT, 100, 5), Reason.RISK_MAX_POSITION),
    (RiskLimits(max_open_orders=2), (1, OrderType.LIMIT, 90, 1), Reason.RISK_MAX_OPEN_ORDERS),
    (RiskLimits(collar_ticks=4), (1, OrderType.LIMIT, 95, 1), Reason.RISK_PRICE_COLLAR),
    (RiskLimits(collar_fraction=0.04), (-1, OrderType.LIMIT, 107, 1),
     Reason.RISK_PRICE_COLLAR),
]


@pytest.mark.parametrize(("limits", "order", "reason"), RISK_CASES)
def test_risk_rule_rejects_and_leaves_book_unchanged(msg, limits, order, reason):
    engine = MatchingEngine(tick_size=1.0, risk=limits)
    engine.process(msg(1, 1, OrderType.LIMIT, 99, 1, account=3))   # bid 99
    engine.process(msg(2, -1, OrderType.LIMIT, 105, 1, account=3))  # ask 105 -> mid 102
    engine.process(msg(3, 1, OrderType.LIMIT, 100, 1, account=0))   # account 0: 1 open order
    engine.process(msg(4, 1, OrderType.LIMIT, 99, 1, account=0))    # 2; mid now 102.5
    h = engine.l2_hash()
    side, typ, price, qty = order
    trades, events = engine.process(msg(9, side, typ, price, qty, account=0))
    assert len(trades) == 0
    assert events.tolist() == [(0, 9, 0, EventType.REJECTED, reason, qty)]
    assert engine.l2_hash() == h and engine.open_orders(0) == 2


def test_risk_position_follows_fills(msg):
    engine = MatchingEngine(tick_size=1.0, risk=RiskLimits(max_position=5))
    engine.process(msg(1, -1, OrderType.LIMIT, 100, 5, account=1))
    engine.process(msg(2, 1, OrderType.IOC, 100, 4, account=2))
    assert engine.position(2) == 4 and engine.position(1) == -4
    _, events = engine.process(msg(3, 1, OrderType.IOC, 100, 2, account=2))
    assert events[-1]["reason"] == Reason.RISK_MAX_POSITION
    _, events = engine.process(msg(4, 1, OrderType.IOC, 100, 1, account=2))
    assert events[-1]["event"] == EventType.FILLED


def test_kill_switch_blocks_new_orders_but_not_cancels(msg):
    engine = MatchingEngine(tick_size=1.0)
    engine.process(msg(1, 1, OrderType.LIMIT, 100, 1, account=5))
    engine.set_kill_switch(5)
    _, events = engine.process(msg(2, 1, OrderType.LIMIT, 100, 1, account=5))
    assert events[-1]["reason"] == Reason.RISK_KILL_SWITCH
    _, events = engine.process(msg(1, 1, OrderType.MODIFY, 100, 3))
    assert events[-1]["reason"] == Reason.RISK_KILL_SWITCH
    _, events = engine.process(msg(1, 0, OrderType.CANCEL))
    assert events[-1]["event"] == EventType.CANCELED
    engine.set_kill_switch(5, on=False)
    _, events = engine.process(msg(3, 1, OrderType.LIMIT, 100, 1, account=5))
    assert events[-1]["event"] == EventType.ACCEPTED


def test_risk_limits_reject_negative_values():
    with pytest.raises(ValueError, match=r"RiskLimits.max_order_qty: must be an integer >= 0"):
        RiskLimits(max_order_qty=-1)
