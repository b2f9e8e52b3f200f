"""Bad input: rejects for business errors, exceptions only for malformed arrays or floats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.engine import ORDER_DTYPE, EventType, MatchingEngine, OrderType, Reason
from alphafactory.errors import ExecutionError


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        ((1, 1, OrderType.LIMIT, 99, 5), Reason.DUPLICATE_ID),
        ((50, 1, OrderType.LIMIT, 99, 0), Reason.NON_POSITIVE_QTY),
        ((50, -1, OrderType.IOC, 99, -4), Reason.NON_POSITIVE_QTY),
        ((50, 1, OrderType.LIMIT, 0, 5), Reason.NON_POSITIVE_PRICE),
        ((50, 1, OrderType.FOK, -7, 5), Reason.NON_POSITIVE_PRICE),
        ((50, 1, OrderType.LIMIT, 10**16, 5), Reason.PRICE_OUT_OF_RANGE),
        ((50, 1, OrderType.LIMIT, 99, 10**13), Reason.QTY_OUT_OF_RANGE),
        ((50, 0, OrderType.LIMIT, 99, 5), Reason.INVALID_SIDE),
        ((50, 1, 0, 99, 5), Reason.INVALID_TYPE),
        ((50, 1, 42, 99, 5), Reason.INVALID_TYPE),
        ((77, 1, OrderType.CANCEL, 0, 0), Reason.UNKNOWN_ID),
        ((77, 1, OrderType.MODIFY, 99, 1), Reason.UNKNOWN_ID),
        ((1, 1, OrderType.MODIFY, 99, 0), Reason.NON_POSITIVE_QTY),
        ((1, 1, OrderType.MODIFY, 0, 3), Reason.NON_POSITIVE_PRICE),
    ],
)
def test_bad_order_is_rejected_and_book_intact(msg, order, reason):
    engine = MatchingEngine(tick_size=1.0)
    engine.process(msg(1, 1, OrderType.LIMIT, 99, 5))
    engine.process(msg(2, -1, OrderType.LIMIT, 101, 5))
    h = engine.l2_hash()
    trades, events = engine.process(msg(*order))
    assert len(trades) == 0 and len(events) == 1
    assert events[0]["event"] == EventType.REJECTED and events[0]["reason"] == reason
    assert engine.l2_hash() == h and engine.resting_orders == 2


def test_unknown_instrument_is_rejected(msg):
    engine = MatchingEngine()
    _, events = engine.process(msg(1, 1, OrderType.LIMIT, 99, 5, instrument=3))
    assert events.tolist() == [(0, 1, 3, EventType.REJECTED, Reason.UNKNOWN_INSTRUMENT, 5)]


def test_process_rejects_wrong_dtype_and_shape():
    engine = MatchingEngine()
    with pytest.raises(ExecutionError, match="orders: must be a numpy array of ORDER_DTYPE"):
        engine.process(np.zeros(3, dtype=np.int64))
    with pytest.raises(ExecutionError, match="orders: must be 1-dimensional"):
        engine.process(np.zeros((2, 2), dtype=ORDER_DTYPE))
    assert engine.process(np.zeros(0, dtype=ORDER_DTYPE))[1].size == 0


def test_process_accepts_non_contiguous_views(msg):
    engine = MatchingEngine(tick_size=1.0)
    orders = np.concatenate([msg(i, 1, OrderType.LIMIT, 90 + i, 1) for i in range(1, 7)])
    _, events = engine.process(orders[::2])
    assert events["order_id"].tolist() == [1, 3, 5]


def test_process_frame_converts_units_and_names_off_tick_row():
    engine = MatchingEngine(tick_size=0.05, lot_size=10)
    frame = pd.DataFrame({
        "ts": [1, 2, 3], "order_id": [1, 2, 3], "side": ["B", "S", "S"],
        "type": ["LIMIT", "LIMIT", "MARKET"], "price": [10.05, 10.10, np.nan],
        "qty": [30.0, 20.0, 10.0],
    })
    trades, events = engine.process_frame(frame)
    assert trades[["price", "qty", "aggressor_side"]].values.tolist() == [[10.05, 10.0, "S"]]
    assert events["event"].tolist() == ["ACCEPTED", "ACCEPTED", "ACCEPTED", "FILLED"]
    assert engine.best_bid() == 10.05 and engine.depth()["qty"].tolist() == [20.0, 20.0]
    bad = frame.assign(order_id=[4, 5, 6], price=[10.05, 10.07, 10.0])
    h = engine.l2_hash()
    with pytest.raises(ValueError, match=r"row 1: price 10.07 is not a multiple of 0.05"):
        engine.process_frame(bad)
    with pytest.raises(ValueError, match=r"row 2: qty 15.0 is not a multiple of 10"):
        engine.process_frame(bad.assign(price=10.0, qty=[10.0, 10.0, 15.0]))
    with pytest.raises(ValueError, match="unknown side 'X'"):
        engine.process_frame(bad.assign(side=["B", "X", "S"]))
    assert engine.l2_hash() == h


def test_price_within_relative_tolerance_is_that_tick():
    engine = MatchingEngine(tick_size=0.01)
    engine.submit(1, "B", 1, 100.01 * (1 + 5e-10))
    assert engine.order(1)["price"] == 100.01
    with pytest.raises(ValueError, match="not a multiple"):
        engine.submit(2, "B", 1, 100.01 * (1 + 5e-9))


def test_same_input_twice_gives_identical_output():
    from alphafactory.engine.workloads import random_orders

    orders = random_orders(30_000, 3)
    outs = []
    for _ in range(2):
        engine = MatchingEngine()
        engine.add_instrument(1, tick_size=0.05, lot_size=10)
        trades, events = engine.process(orders)
        outs.append((trades.tobytes(), events.tobytes(), engine.l2_hash()))
    assert outs[0] == outs[1]
