"""The order state machine and the trading store, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from alphafactory.execution import Fill, Liquidity, Order, OrderStatus, Side
from alphafactory.live.orders import (
    FINAL,
    IllegalTransition,
    check_transition,
    client_order_id,
    reachable,
)
from alphafactory.live.store import TradingStore

S = OrderStatus
T0 = pd.Timestamp("2024-01-02", tz="UTC")


@pytest.mark.parametrize(("current", "new"), [
    (S.NEW, S.SUBMITTED), (S.SUBMITTED, S.ACCEPTED), (S.ACCEPTED, S.PARTIALLY_FILLED),
    (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED), (S.PARTIALLY_FILLED, S.FILLED),
    (S.ACCEPTED, S.CANCEL_REQUESTED), (S.CANCEL_REQUESTED, S.CANCELLED),
    (S.CANCEL_REQUESTED, S.FILLED), (S.SUBMITTED, S.FILLED),  # an ack that arrives filled
    (S.NEW, S.REJECTED), (S.ACCEPTED, S.EXPIRED),
])
def test_legal_moves_are_moves(current, new):
    assert check_transition("x", current, new) is True


@pytest.mark.parametrize(("current", "new"), [
    (S.FILLED, S.ACCEPTED), (S.CANCELLED, S.FILLED), (S.REJECTED, S.SUBMITTED),
    (S.ACCEPTED, S.SUBMITTED), (S.ACCEPTED, S.NEW), (S.EXPIRED, S.CANCELLED),
])
def test_moves_backwards_or_out_of_a_final_state_raise_naming_the_order(current, new):
    with pytest.raises(IllegalTransition, match="'abc'"):
        check_transition("abc", current, new)


def test_final_states_reach_nothing_and_the_same_state_is_no_change():
    assert FINAL == {S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED}
    assert all(not reachable(s) for s in FINAL)
    assert check_transition("x", S.ACCEPTED, S.ACCEPTED) is False
    assert all(s in reachable(S.NEW) for s in FINAL)  # every order can end


def test_client_order_ids_are_deterministic_and_distinct():
    a = client_order_id("bot", T0, "AAPL", 0)
    assert a == client_order_id("bot", T0.tz_convert("America/New_York"), "AAPL", 0)
    assert a == client_order_id("bot", T0.tz_localize(None), "AAPL", 0)  # naive is UTC
    others = {client_order_id("bot", T0, "AAPL", 1), client_order_id("bot", T0, "MSFT", 0),
              client_order_id("other", T0, "AAPL", 0),
              client_order_id("bot", T0 + pd.Timedelta("1D"), "AAPL", 0)}
    assert a not in others and len(others) == 4
    assert a.startswith("af-") and len(a) <= 32


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        pytest.importorskip("psycopg2")
        server = request.getfixturevalue("postgres_server")
        url = server.url(f"trading_{tmp_path.name[-12:].lower()}").replace(
            "postgresql://", "postgresql+psycopg2://")
    db = TradingStore(url)
    yield db
    db.close()


def order(symbol: str, qty: float = 10.0, leg: int = 0) -> Order:
    return Order(symbol=symbol, side=Side.BUY, quantity=qty,
                 client_order_id=client_order_id("bot", T0, symbol, leg))


def test_a_decision_its_orders_and_their_lives_round_trip(store):
    planned = [(order("AAPL"), 0), (order("MSFT", 5.0), 0)]
    store.save_decision("bot", T0, bar=0, cash=1e6, equity_value=1e6, scores={"AAPL": 0.3},
                        proposal={"AAPL": 0.5}, target={"AAPL": 0.5}, planned=planned)
    assert store.decision("bot", T0)["status"] == "planned"
    aapl = planned[0][0].client_order_id
    assert store.order_status(aapl) == S.NEW
    assert store.transition("bot", aapl, S.SUBMITTED, T0) is True
    assert store.transition("bot", aapl, S.SUBMITTED, T0) is False  # no change, no event
    store.transition("bot", aapl, S.PARTIALLY_FILLED, T0, filled=4.0)
    store.transition("bot", aapl, S.FILLED, T0, filled=10.0, average_price=101.0)
    with pytest.raises(IllegalTransition):
        store.transition("bot", aapl, S.CANCELLED, T0)
    assert store.order_status(aapl) == S.FILLED  # a refused move leaves the order as it was
    events = store.order_events("bot")
    assert list(events[events["client_order_id"] == aapl]["to_status"]) == [
        "new", "submitted", "partially_filled", "filled"]
    store.finish_decision("bot", T0)
    assert store.decision("bot", T0)["status"] == "done"
    with pytest.raises(KeyError):
        store.transition("bot", "af-unknown", S.SUBMITTED, T0)


def test_fills_are_stored_once_and_the_cursor_never_repeats(store):
    store.save_decision("bot", T0, bar=0, cash=1e6, equity_value=1e6, scores={},
                        proposal=None, target=None, planned=[(order("AAPL"), 0)])
    coid = client_order_id("bot", T0, "AAPL", 0)
    fills = [Fill(sequence=k, client_order_id=coid, symbol="AAPL", side=Side.BUY, quantity=5.0,
                  price=100.0 + k, ts=T0, liquidity=Liquidity.TAKER) for k in (1, 2)]
    assert store.add_fills("bot", fills) == 2
    assert store.add_fills("bot", fills) == 0  # a replayed stream adds nothing
    assert store.fill_cursor("bot") == 2
    shares, notional = store.filled("bot", [coid])[coid]
    assert (shares, notional) == (10.0, 5.0 * 101.0 + 5.0 * 102.0)


def test_flags_are_per_bot(store):
    store.set_flag("bot", "stop", "requested")
    assert store.flag("bot", "stop") == "requested" and store.flag("other", "stop") is None
    store.set_flag("bot", "stop", None)
    assert store.flag("bot", "stop") is None


def _open_store(args: tuple[str, float]) -> int:
    url, at = args
    import time as _time

    from alphafactory.live.store import TradingStore

    _time.sleep(max(0.0, at - _time.time()))  # every process creates the schema at once
    store = TradingStore(url)
    count = len(store.bots())
    store.close()
    return count


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path):
    import multiprocessing
    import time as _time
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=context) as pool:
        list(pool.map(_open_store, [(f"sqlite:///{tmp_path}/warm.db", 0.0)] * 4))  # imports
        for k in range(3):
            at = _time.time() + 0.5
            url = f"sqlite:///{tmp_path}/race{k}.db"
            assert list(pool.map(_open_store, [(url, at)] * 4)) == [0] * 4
