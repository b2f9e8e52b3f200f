"""Property tests of the engine's inputs (hypothesis, 200 examples each): the batch API on random
order arrays with extreme values, the per-order API on random Python values, and the orders CSV
reader on random rows and bytes. No traceback escapes as anything but an AlphaFactoryError, a
rejected order leaves the book unchanged, and the simulator writes nothing when it fails."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory import _engine
from alphafactory.cli import main as cli_main
from alphafactory.engine import ORDER_DTYPE, EventType, MatchingEngine, OrderResult
from alphafactory.errors import AlphaFactoryError

I64 = (-(2**63), 2**63 - 1)
I32 = (-(2**31), 2**31 - 1)
PROPERTY = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _extreme_int(low: int, high: int, common: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    return st.one_of(common, st.sampled_from([low, high, 0, -1, 1]), st.integers(low, high))


ORDER_ROWS = st.tuples(
    _extreme_int(*I64, st.integers(0, 1000)),                                # ts
    _extreme_int(*I64, st.integers(0, 40)),                                  # order_id
    _extreme_int(*I32, st.integers(0, 3)),                                   # account
    _extreme_int(*I32, st.integers(0, 1)),                                   # instrument
    st.one_of(st.sampled_from([1, -1]), st.integers(-128, 127)),             # side
    st.one_of(st.integers(1, 7), st.integers(-128, 127)),                    # type
    _extreme_int(*I64, st.one_of(st.integers(95, 105),
                                 st.sampled_from([_engine.MAX_PRICE, _engine.MAX_PRICE + 1]))),
    _extreme_int(*I64, st.one_of(st.integers(1, 20),
                                 st.sampled_from([_engine.MAX_QTY, _engine.MAX_QTY + 1]))),
)


def _book_is_sane(engine: MatchingEngine) -> None:
    total = 0
    for instrument in engine.instruments:
        d = engine.depth_ticks(levels=10_000, instrument=instrument)
        assert (d["bid_qty"] > 0).all() and (d["ask_qty"] > 0).all()
        assert (np.diff(d["bid_price"]) < 0).all() and (np.diff(d["ask_price"]) > 0).all()
        if len(d["bid_price"]) and len(d["ask_price"]):
            assert d["bid_price"][0] < d["ask_price"][0]
        total += int(engine.depth(levels=10_000, instrument=instrument)["orders"].sum())
    assert total == engine.resting_orders


@PROPERTY
@given(rows=st.lists(ORDER_ROWS, min_size=1, max_size=40),
       stp=st.sampled_from(["none", "cancel_taker", "cancel_maker", "cancel_both"]))
def test_batch_api_random_extreme_orders_keep_the_book_sane(rows, stp):
    engine = MatchingEngine(tick_size=1.0, stp=stp)
    engine.add_instrument(1, tick_size=0.5, lot_size=10)
    orders = np.array(rows, dtype=ORDER_DTYPE)
    for i in range(len(orders)):
        before = (engine.l2_hash(), engine.resting_orders)
        trades, events = engine.process(orders[i:i + 1])
        if len(events) == 1 and events[0]["event"] == EventType.REJECTED:
            assert len(trades) == 0 and (engine.l2_hash(), engine.resting_orders) == before
        assert (trades["qty"] > 0).all() and (trades["price"] > 0).all()
    _book_is_sane(engine)
    whole = MatchingEngine(tick_size=1.0, stp=stp)
    whole.add_instrument(1, tick_size=0.5, lot_size=10)
    whole.process(orders)  # the same stream in one call: the same book
    assert whole.l2_hash() == engine.l2_hash()


VALUES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=3),
    st.integers(-(2**70), 2**70), st.sampled_from([0, 1, -1, 5, 100]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([100.0, 100.5, 1.0, 0.01]),
)


@PROPERTY
@given(order_id=VALUES, side=st.one_of(st.sampled_from(["B", "S", 1, -1]), VALUES),
       qty=VALUES, price=VALUES,
       type=st.one_of(st.sampled_from(["LIMIT", "MARKET", "IOC", "FOK", "POST_ONLY"]), VALUES),
       account=st.one_of(st.just(0), VALUES), instrument=st.one_of(st.just(0), VALUES))
def test_per_order_api_random_values_give_a_result_or_one_error(order_id, side, qty, price, type,
                                                                 account, instrument):
    engine = MatchingEngine(tick_size=0.01)
    engine.submit(1000, "S", 5, 101.0)
    before = engine.l2_hash()
    try:
        result = engine.submit(order_id, side, qty, price, type=type, account=account,
                               instrument=instrument)
    except AlphaFactoryError as exc:
        assert "\n" not in str(exc) and engine.l2_hash() == before
    else:
        assert isinstance(result, OrderResult)
    _book_is_sane(engine)


FIELD = st.one_of(
    st.sampled_from(["1", "0", "-1", "B", "S", "X", "LIMIT", "MARKET", "IOC", "FOK", "POST_ONLY",
                     "CANCEL", "MODIFY", "STOP", "100.05", "100.013", "0.00", "1e5", "", " ",
                     "9223372036854775807", "-9223372036854775808", "99999999999999999999",
                     "1000000000000", "1000000000001", "nan", "..", '"1"', "\x00", "é"]),
    st.text(max_size=6),
)
ROW = st.one_of(
    st.lists(FIELD, min_size=8, max_size=8).map(",".join),
    st.lists(FIELD, min_size=0, max_size=10).map(",".join),
    st.tuples(st.integers(0, 9), st.integers(0, 2), st.integers(1, 30), st.integers(0, 3),
              st.sampled_from("BS"), st.sampled_from(["LIMIT", "IOC", "CANCEL", "MODIFY"]),
              st.integers(9990, 10010), st.integers(-1, 9)).map(
        lambda r: f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]},{r[6] / 100:.2f},{r[7]}"),
)
HEADER = "ts,instrument,order_id,account,side,type,price,qty"
ORDERS_FILES = st.one_of(
    st.lists(ROW, max_size=12).map(lambda rows: "\n".join([HEADER, *rows]).encode()),
    st.lists(ROW, max_size=12).map(lambda rows: "\r\n".join([HEADER, *rows]).encode("utf-8")),
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: HEADER.encode() + b"\n" + b),
)


@PROPERTY
@given(content=ORDERS_FILES, strict=st.booleans(), tick=st.sampled_from(["0.01", "0.05", "1"]))
def test_orders_csv_random_files_write_outputs_or_one_line(content, strict, tick):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        orders = folder / "orders.csv"
        orders.write_bytes(content)
        trades, events = folder / "t.csv", folder / "e.csv"
        argv = ["simulate", "--orders", str(orders), "--trades", str(trades), "--events",
                str(events), "--tick-size", tick] + (["--strict"] if strict else [])
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = cli_main(argv)
        lines = err.getvalue().splitlines()
        assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
        assert orders.read_bytes() == content
        if code == 0:
            assert trades.exists() and events.exists()
            assert not any(line.startswith("alphafactory: error:") for line in lines)
        else:
            assert code in (1, 2) and (code == 2 or strict)
            assert len(lines) == 1 and lines[0].startswith("alphafactory: error: "), lines
            assert sorted(p.name for p in folder.iterdir()) == ["orders.csv"]
