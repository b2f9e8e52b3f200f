"""Every bad argument of the engine facade is one ExecutionError line naming it, the rule and
what was got; the book is unchanged. Risk limits are checked when set; int64 overflow of a
level's total or a position is a QTY_OVERFLOW rejection, never a wrapped number."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from alphafactory import _engine
from alphafactory.engine import (
    EventType,
    MatchingEngine,
    OrderType,
    PoissonOrderFlow,
    Reason,
    RiskLimits,
    read_lobster_messages,
    reference,
    replay_lobster,
)
from alphafactory.engine.reference import INT64_MAX
from alphafactory.errors import AlphaFactoryError, DataError, ExecutionError, SourceNotFoundError

NAN = float("nan")


@pytest.fixture
def book() -> MatchingEngine:
    engine = MatchingEngine(tick_size=0.01)
    engine.submit(1, "B", 5, 99.0)
    engine.submit(2, "S", 5, 101.0)
    return engine


BAD_CALLS = [
    (lambda e: e.submit(9, "B", 1, 100.0, type="FOO"),
     re.escape("type: must be one of LIMIT, MARKET, IOC, FOK, POST_ONLY (cancel() and modify() "
               "for the others), got 'FOO'")),
    (lambda e: e.submit(9, "B", 1, 100.0, type=42), "type: must be one of LIMIT.*got 42"),
    (lambda e: e.submit(9, "B", 1, 100.0, type="CANCEL"), "type: .*got 'CANCEL'"),
    (lambda e: e.submit(9, "X", 1, 100.0), "side: must be 'B'/'S', 'buy'/'sell' or \\+1/-1, "
                                           "got 'X'"),
    (lambda e: e.submit(9, 0, 1, 100.0), "side: .*got 0"),
    (lambda e: e.submit(9, True, 1, 100.0), "side: .*got True"),
    (lambda e: e.submit(9, "B", NAN, 100.0), "qty: must be a finite number, got nan"),
    (lambda e: e.submit(9, "B", 1, NAN), "price: must be a finite number, got nan"),
    (lambda e: e.submit(9, "B", 1, math.inf), "price: must be a finite number, got inf"),
    (lambda e: e.submit(9, "B", 1, "100"), "price: must be a finite number, got '100'"),
    (lambda e: e.submit(9, "B", 1, None), "price: required for a LIMIT order, got None"),
    (lambda e: e.submit(9, "B", 1, 100.001), "price: 100.001 is not a multiple of 0.01"),
    (lambda e: e.submit(9, "B", 1, 1e300), "price: 1e\\+300 is out of range"),
    (lambda e: e.submit(9, "B", 1e20, 100.0), "qty: 1e\\+20 is out of range"),
    (lambda e: e.submit(9, "B", 0.5, 100.0), "qty: 0.5 is not a multiple of 1.0"),
    (lambda e: e.submit(1.5, "B", 1, 100.0), "order_id: must be an integer \\(int64\\), got 1.5"),
    (lambda e: e.submit(2**63, "B", 1, 100.0), "order_id: must be an integer \\(int64\\), got "
                                               "9223372036854775808"),
    (lambda e: e.submit(9, "B", 1, 100.0, account=2**31), "account: must be an integer "
                                                          "\\(int32\\), got 2147483648"),
    (lambda e: e.submit(9, "B", 1, 100.0, ts="now"), "ts: must be an integer \\(int64\\), got "
                                                     "'now'"),
    (lambda e: e.cancel("1"), "order_id: must be an integer \\(int64\\), got '1'"),
    (lambda e: e.modify(1, price=NAN, qty=1), "price: must be a finite number, got nan"),
    (lambda e: e.modify(1, price=99.0, qty=-math.inf), "qty: must be a finite number, got -inf"),
    (lambda e: e.depth(levels=-1), "levels: must be an integer >= 1, got -1"),
    (lambda e: e.depth(levels=2.5), "levels: must be an integer >= 1, got 2.5"),
    (lambda e: e.depth_ticks(levels=0), "levels: must be an integer >= 1, got 0"),
    (lambda e: e.depth(instrument=5), "instrument: unknown instrument 5; instruments are \\[0\\]"),
    (lambda e: e.best_bid(7), "instrument: unknown instrument 7"),
    (lambda e: e.spread("0"), "instrument: must be an integer \\(int32\\), got '0'"),
    (lambda e: e.position("a"), "account: must be an integer \\(int32\\), got 'a'"),
    (lambda e: e.open_orders(None), "account: must be an integer \\(int32\\), got None"),
    (lambda e: e.order(None), "order_id: must be an integer \\(int64\\), got None"),
    (lambda e: e.set_kill_switch(1, "yes"), "on: must be True or False, got 'yes'"),
    (lambda e: e.tick_size(3), "instrument: unknown instrument 3"),
    (lambda e: e.add_instrument(0, tick_size=1.0), "instrument: 0 already exists"),
    (lambda e: e.add_instrument(1, tick_size=NAN), "tick_size: must be a finite number > 0, "
                                                   "got nan"),
    (lambda e: e.add_instrument(1, tick_size=0.01, lot_size=0),
     "lot_size: must be a finite number > 0, got 0"),
    (lambda e: e.process(np.zeros(2, dtype=np.int64)),
     "orders: must be a numpy array of ORDER_DTYPE, got int64"),
    (lambda e: e.process([1, 2]), "orders: must be a numpy array of ORDER_DTYPE, got list"),
    (lambda e: e.process_frame({"ts": [1]}), "frame: must be a pandas DataFrame, got dict"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_engine_bad_argument_is_one_execution_error_and_book_unchanged(book, call, message):
    before = (book.l2_hash(), book.resting_orders, book.instruments)
    with pytest.raises(ExecutionError, match=message) as info:
        call(book)
    assert "\n" not in str(info.value)
    assert (book.l2_hash(), book.resting_orders, book.instruments) == before


@pytest.mark.parametrize(
    ("frame_change", "message"),
    [
        ({"order_id": [9.5]}, "row 0: order_id must be an integer \\(int64\\), got 9.5"),
        ({"ts": [np.nan]}, "row 0: ts must be an integer \\(int64\\), got nan"),
        ({"account": ["a"]}, "row 0: account must be an integer \\(int32\\), got 'a'"),
        ({"side": [300]}, "row 0: side must be an integer \\(int8\\), got 300"),
        ({"type": ["FOO"]}, "row 0: unknown type 'FOO'"),
        ({"price": ["cheap"]}, "row 0: price must be a number, got 'cheap'"),
        ({"price": [np.inf]}, "row 0: price must be a finite number, got inf"),
    ],
)
def test_process_frame_bad_cell_names_row_and_column(book, frame_change, message):
    frame = pd.DataFrame({"ts": [1], "order_id": [9], "side": ["B"], "type": ["LIMIT"],
                          "price": [100.0], "qty": [1.0], "account": [0]})
    h = book.l2_hash()
    with pytest.raises(ExecutionError, match=message):
        book.process_frame(frame.assign(**frame_change))
    assert book.l2_hash() == h


def test_engine_zero_and_negative_units_are_rejected_events_not_errors(book):
    h = book.l2_hash()
    assert book.submit(9, "B", 0, 100.0).events[0].reason == Reason.NON_POSITIVE_QTY
    assert book.submit(9, "B", 1, -1.0).events[0].reason == Reason.NON_POSITIVE_PRICE
    assert book.submit(9, "B", 1, 100.0, instrument=4).events[0].reason == (
        Reason.UNKNOWN_INSTRUMENT)
    assert book.l2_hash() == h


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"collar_fraction": NAN}, "RiskLimits.collar_fraction: must be a finite number > 0, "
                                   "got nan"),
        ({"collar_fraction": 0.0}, "RiskLimits.collar_fraction: must be a finite number > 0, "
                                   "got 0.0"),
        ({"collar_fraction": math.inf}, "RiskLimits.collar_fraction: .*got inf"),
        ({"max_order_notional": NAN}, "RiskLimits.max_order_notional: must be a finite number "
                                      ">= 0, got nan"),
        ({"max_order_notional": -5.0}, "RiskLimits.max_order_notional: .*got -5.0"),
        ({"max_order_qty": -1}, "RiskLimits.max_order_qty: must be an integer >= 0"),
        ({"max_order_qty": 2.5}, "RiskLimits.max_order_qty: .*got 2.5"),
        ({"max_position": True}, "RiskLimits.max_position: .*got True"),
        ({"max_open_orders": 2**63}, "RiskLimits.max_open_orders: .*got 9223372036854775808"),
        ({"collar_ticks": "5"}, "RiskLimits.collar_ticks: .*got '5'"),
    ],
)
def test_risk_limits_are_checked_when_set(limits, message):
    with pytest.raises(ExecutionError, match=message):
        RiskLimits(**limits)


@pytest.mark.parametrize("field", ["collar_fraction", "max_order_notional"])
@pytest.mark.parametrize("value", [NAN, math.inf, -math.inf])
def test_compiled_engine_refuses_non_finite_risk_limit(field, value):
    with pytest.raises(ValueError, match=f"RiskLimits.{field}: must be a finite number"):
        _engine.MatchingEngine(tick_size=0.01, lot_size=1.0, **{field: value})


def test_collar_fraction_rejects_a_buy_five_times_the_last_trade():
    engine = MatchingEngine(tick_size=1.0, risk=RiskLimits(collar_fraction=0.1))
    engine.submit(1, "S", 1, 100.0)
    engine.submit(2, "B", 1, 100.0)  # last trade 100
    result = engine.submit(3, "B", 1, 500.0)
    assert result.events[0].event == EventType.REJECTED
    assert result.events[0].reason == Reason.RISK_PRICE_COLLAR


def test_qty_overflow_reason_is_shared_by_engine_reference_and_simulator():
    assert Reason.QTY_OVERFLOW == 18
    assert issubclass(ExecutionError, AlphaFactoryError)


def test_reference_book_rejects_level_and_position_overflow_book_unchanged(monkeypatch):
    """The reference restates the rule the C++ fuzz harness checks. With the lot bound at 2^62
    (as in the harness's overflow build) two orders fill a level's int64 total; at the real bound
    it takes 9.2 million (the soak test below)."""
    monkeypatch.setattr(reference, "MAX_QTY", 2**62)
    ref = reference.ReferenceBook(tick_size=1.0)
    limit, buy, sell = int(OrderType.LIMIT), 1, -1
    ref.process([(0, 1, 1, 0, buy, limit, 100, 2**62)])
    levels = ref.levels(0, buy)
    _, events = ref.process([(0, 2, 2, 0, buy, limit, 100, 2**62)])
    assert events == [(0, 2, 0, int(EventType.REJECTED), int(Reason.QTY_OVERFLOW), 2**62)]
    assert ref.levels(0, buy) == levels
    ref.process([(0, 3, 2, 0, buy, limit, 100, 2**62 - 1)])
    assert ref.levels(0, buy)[0][1] == INT64_MAX
    _, events = ref.process([(0, 3, 0, 0, buy, int(OrderType.MODIFY), 100, 2**62)])
    assert events[-1][3:5] == (int(EventType.REJECTED), int(Reason.QTY_OVERFLOW))
    ref.process([(0, 10, 6, 0, sell, limit, 100, 2**62)])  # fills order 1 at 100
    assert ref.positions[(6, 0)] == -(2**62)
    _, events = ref.process([(0, 11, 6, 0, sell, limit, 101, 2**62)])
    assert events == [(0, 11, 0, int(EventType.REJECTED), int(Reason.QTY_OVERFLOW), 2**62)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": 0}, "levels: must be an integer >= 1"),
        ({"tick_size": NAN}, "tick_size: must be a finite number > 0, got nan"),
        ({"cancel_rates": []}, "cancel_rates: must be a non-empty sequence of numbers >= 0"),
        ({"cancel_rates": [0.5, NAN]}, "cancel_rates\\[1\\]: must be a finite number >= 0"),
        ({"initial_price": 0.05}, "initial_price: must be more than levels=10 ticks, got 0.05"),
        ({"initial_price": 100.001}, "initial_price: price 100.001 is not a multiple of 0.01"),
        ({"market_rate": -1.0}, "market_rate: must be a finite number >= 0, got -1.0"),
        ({"seed": -1}, "seed: must be an integer >= 0"),
        ({"order_qty": 0}, "order_qty: must be an integer >= 1"),
    ],
)
def test_order_flow_bad_argument_is_one_execution_error(kwargs, message):
    with pytest.raises(ExecutionError, match=message):
        PoissonOrderFlow(**kwargs)


def test_order_flow_drive_bad_arguments_are_one_line():
    flow = PoissonOrderFlow(seed=1)
    with pytest.raises(ExecutionError, match="drive: give n_events, until, or both"):
        flow.drive()
    with pytest.raises(ExecutionError, match="n_events: must be an integer >= 0"):
        flow.generate(-5)
    with pytest.raises(ExecutionError, match=r"engine: has no instrument 3; instruments are "
                                             r"\[0\]"):
        PoissonOrderFlow(instrument=3).drive(MatchingEngine(), n_events=1)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, SourceNotFoundError, "no such LOBSTER message file"),
        (b"", DataError, "has no messages"),
        (b"\xff\xfe garbage", DataError, "not a LOBSTER message file"),
        (b"1,2,3\n", DataError, "not a LOBSTER message file"),
        (b"1.0,9,1,5,100,1,0\n", DataError, "line 1: type must be 1..7"),
    ],
)
def test_lobster_bad_message_file_is_one_line(tmp_path, content, error, message):
    path = tmp_path / "messages.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_lobster_messages(path)


def test_replay_lobster_bad_levels_is_one_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("1.0,1,1,5,1000000,1\n")
    with pytest.raises(ExecutionError, match="levels: must be an integer >= 1 and <= 10000, "
                                             "got -1"):
        replay_lobster(path, levels=-1)


def test_replay_lobster_out_of_range_values_are_one_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(f"1.0,1,1,{2**62},1000000,1\n2.0,1,2,{2**62},1000000,1\n")
    with pytest.raises(DataError, match="message 1: size must be <= 1000000000000"):
        replay_lobster(path)
    path.write_text(f"1.0,1,1,5,{-(2**63)},1\n")
    with pytest.raises(DataError, match=r"message 1: .*price -9223372036854775808"):
        replay_lobster(path)
    path.write_text("1.0,1,1,5,1000000,1\n")
    book = np.full((1, 4), 2**62, dtype=np.int64)
    with pytest.raises(DataError, match="orderbook row 1: prices and sizes must be within"):
        replay_lobster(path, levels=1, orderbook_csv=book)


@pytest.mark.soak
def test_engine_level_overflow_at_full_scale_is_rejected():
    """9.2 million resting orders of 10^12 lots at one price: the next is QTY_OVERFLOW and
    depth() never reports a negative size (about 1 GB; pytest -m soak)."""
    from alphafactory.engine import ORDER_DTYPE

    engine = MatchingEngine(tick_size=1.0, events="no_accepted")
    n = INT64_MAX // _engine.MAX_QTY  # fits exactly; one more would overflow
    chunk = 1_000_000
    for start in range(0, n, chunk):
        orders = np.zeros(min(chunk, n - start), dtype=ORDER_DTYPE)
        orders["order_id"] = np.arange(start, start + len(orders)) + 1
        orders["side"], orders["type"] = 1, int(OrderType.LIMIT)
        orders["price"], orders["qty"] = 100, _engine.MAX_QTY
        _, events = engine.process(orders)
        assert len(events) == 0
    level = engine.depth_ticks(levels=1)
    assert level["bid_qty"][0] == n * _engine.MAX_QTY
    result = engine.submit(n + 1, "B", float(_engine.MAX_QTY), 100.0)
    assert result.events[0].reason == Reason.QTY_OVERFLOW
    assert engine.depth_ticks(levels=1)["bid_qty"][0] == n * _engine.MAX_QTY > 0
