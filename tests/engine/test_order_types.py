"""The order-type matrix: every type x {no fill, partial, exact, several levels} x both sides."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import EventType, OrderType, Reason

# (price for a buy, qty) per scenario; a sell uses 200 - price. Maker ids are for a buy taker;
# a sell taker meets 4, 5, 6 in the same roles.
SCENARIOS = {
    "no_fill": (100, 4, []),
    "partial": (101, 7, [(1, 3), (2, 2)]),
    "exact": (101, 5, [(1, 3), (2, 2)]),
    "several_levels": (102, 8, [(1, 3), (2, 2), (3, 3)]),
}
MARKET_QTY = {"no_fill": 4, "partial": 13, "exact": 5, "several_levels": 8}
MARKET_MAKERS = {"partial": [(1, 3), (2, 2), (3, 5)]}


def expected_tail(typ, scenario, remaining):
    """The taker's last event (type, reason, qty) or None when it rests."""
    if remaining == 0:
        return (EventType.FILLED, Reason.NONE, 0)
    if typ in (OrderType.LIMIT, OrderType.POST_ONLY):
        return None
    reason = {OrderType.IOC: Reason.IOC_REMAINDER, OrderType.MARKET: Reason.MARKET_NO_LIQUIDITY,
              OrderType.FOK: Reason.FOK_UNFILLED}[typ]
    return (EventType.CANCELED, reason, remaining)


@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("typ", [OrderType.LIMIT, OrderType.MARKET, OrderType.IOC, OrderType.FOK,
                                 OrderType.POST_ONLY])
def test_order_type_matrix_gives_expected_fills_and_events(msg, make_book, typ, scenario, side):
    price, qty, makers = SCENARIOS[scenario]
    if typ == OrderType.MARKET:
        qty = MARKET_QTY[scenario]
        makers = MARKET_MAKERS.get(scenario, makers)
        # "no fill" for a market order is an empty opposite side.
        engine = make_book(sides=(side,) if scenario == "no_fill" else (1, -1))
    else:
        engine = make_book()
    if side == -1:
        price = 200 - price
        makers = [(oid + 3, q) for oid, q in makers]
    crosses = bool(makers) and typ != OrderType.MARKET
    if typ == OrderType.FOK and sum(q for _, q in makers) < qty:
        makers = []  # FOK: all or nothing
    hash_before = engine.l2_hash()
    trades, events = engine.process(msg(100, side, typ, price, qty, account=2))
    if typ == OrderType.POST_ONLY and crosses:
        assert len(trades) == 0
        assert events.tolist() == [(0, 100, 0, EventType.REJECTED, Reason.WOULD_CROSS, qty)]
        assert engine.l2_hash() == hash_before
        return
    assert [(int(t["maker_order_id"]), int(t["qty"])) for t in trades] == makers
    assert all(t["aggressor_side"] == side and t["taker_order_id"] == 100 for t in trades)
    maker_price = {1: 101, 2: 101, 3: 102, 4: 99, 5: 99, 6: 98}
    assert [int(t["price"]) for t in trades] == [maker_price[m] for m, _ in makers]
    assert events[0]["event"] == EventType.ACCEPTED and events[0]["remaining_qty"] == qty
    filled_makers = [int(e["order_id"]) for e in events[1:] if e["order_id"] != 100]
    full = {1: 3, 2: 2, 3: 5, 4: 3, 5: 2, 6: 5}
    assert filled_makers == [m for m, q in makers if q == full[m]]
    remaining = qty - sum(q for _, q in makers)
    tail = expected_tail(typ, scenario, remaining)
    last = events[-1]
    if tail is None:
        assert last["order_id"] != 100 or last["event"] == EventType.ACCEPTED
        assert engine.order(100)["qty"] == remaining
        assert engine.order(100)["price"] == price
    else:
        assert (last["order_id"], last["event"], last["reason"], last["remaining_qty"]) == (
            100, *tail)
        assert engine.order(100) is None
    if typ == OrderType.FOK and not makers:
        assert engine.l2_hash() == hash_before


def test_modify_smaller_qty_keeps_priority(msg, make_book):
    engine = make_book()
    _, events = engine.process(msg(1, 0, OrderType.MODIFY, 101, 1))
    assert events.tolist() == [(0, 1, 0, EventType.MODIFIED, Reason.NONE, 1)]
    trades, _ = engine.process(msg(100, 1, OrderType.IOC, 101, 2, account=2))
    assert [int(t["maker_order_id"]) for t in trades] == [1, 2]


@pytest.mark.parametrize(("price", "qty"), [(101, 4), (102, 3)])
def test_modify_new_price_or_larger_qty_loses_priority(msg, make_book, price, qty):
    engine = make_book()
    engine.process(msg(1, 0, OrderType.MODIFY, price, qty))
    trades, _ = engine.process(msg(100, 1, OrderType.IOC, 102, 20, account=2))
    order = [int(t["maker_order_id"]) for t in trades]
    assert order.index(2) < order.index(1)
    assert order.index(3) < order.index(1) if price == 102 else True


def test_modify_through_the_book_trades_then_rests(msg, make_book):
    engine = make_book()
    trades, events = engine.process(msg(4, 0, OrderType.MODIFY, 101, 6))
    assert [(int(t["maker_order_id"]), int(t["qty"])) for t in trades] == [(1, 3), (2, 2)]
    assert events[0]["event"] == EventType.MODIFIED
    assert engine.order(4)["qty"] == 1 and engine.order(4)["price"] == 101
    assert engine.best_bid() == 101.0 and engine.best_ask() == 102.0


def test_cancel_removes_order_and_reports_remaining(msg, make_book):
    engine = make_book()
    _, events = engine.process(msg(2, 0, OrderType.CANCEL))
    assert events.tolist() == [(0, 2, 0, EventType.CANCELED, Reason.USER, 2)]
    assert engine.order(2) is None
    assert engine.depth_ticks(1)["ask_qty"].tolist() == [3]


def test_queries_report_prices_in_units():
    from alphafactory.engine import MatchingEngine

    engine = MatchingEngine(tick_size=0.05)
    assert engine.best_bid() is None and engine.mid() is None and engine.spread() is None
    engine.submit(1, "B", 3, 10.05)
    engine.submit(2, "S", 2, 10.25)
    assert (engine.best_bid(), engine.best_ask()) == (10.05, 10.25)
    assert engine.mid() == pytest.approx(10.15) and engine.spread() == 0.2
    depth = engine.depth(levels=5)
    assert depth[["side", "price", "qty", "orders"]].values.tolist() == [
        ["bid", 10.05, 3.0, 1], ["ask", 10.25, 2.0, 1]]


def test_per_order_api_returns_units_like_the_queries():
    from alphafactory.engine import MatchingEngine, Side

    engine = MatchingEngine(tick_size=0.05, lot_size=10)
    engine.submit(1, "S", 30, 101.25, account=1)
    engine.submit(3, "S", 10, 101.30, account=1)
    assert engine.best_ask() == 101.25 and engine.order(1) == {
        "order_id": 1, "price": 101.25, "qty": 30.0, "account": 1, "instrument": 0, "side": -1}
    result = engine.submit(2, "B", 20, 101.30, account=2)
    assert [(t.price, t.qty, t.aggressor_side) for t in result.trades] == [(101.25, 20.0, Side.BUY)]
    assert result.filled_qty == 20.0 and result.events[-1].event == EventType.FILLED
    assert engine.position(2) == 20.0 and engine.position(1) == -20.0
    assert engine.modify(1, price=101.25, qty=10).events[0].remaining_qty == 10.0
    assert engine.cancel(99).rejected.reason == Reason.UNKNOWN_ID
    trades, _ = engine.process(engine_order_record(4, Side.BUY, 2027, 1))  # batch API: ticks
    assert trades["price"].tolist() == [2025] and trades["qty"].tolist() == [1]


def engine_order_record(order_id, side, price_ticks, lots):
    from alphafactory.engine import ORDER_DTYPE

    rec = np.zeros(1, dtype=ORDER_DTYPE)
    rec["order_id"], rec["side"], rec["type"] = order_id, int(side), int(OrderType.LIMIT)
    rec["price"], rec["qty"], rec["account"] = price_ticks, lots, 2
    return rec
