"""AlpacaBroker against the fake Alpaca on 127.0.0.1 (no network): the scenarios of the
issue (fills, partial fill and cancel, replace, 403/422 refusals, 429 backoff, a dropped stream,
account and positions, OPG after the close) and the handling of the keys."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest

from alphafactory.errors import ConfigError, ExecutionError
from alphafactory.execution import Order, OrderStatus, OrderType, Side, Venue
from alphafactory.execution.orders import Liquidity
from alphafactory.live.brokers import AlpacaBroker, AlpacaCredentials


def _limit(cid: str, quantity: float = 100, price: float = 99.0, symbol: str = "AAA") -> Order:
    return Order(symbol=symbol, side=Side.BUY, quantity=quantity, client_order_id=cid,
                 type=OrderType.LIMIT, limit_price=price)


def _market(cid: str, quantity: float = 10, side: Side = Side.BUY,
            symbol: str = "AAA") -> Order:
    return Order(symbol=symbol, side=side, quantity=quantity, client_order_id=cid)


def _wait(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_alpaca_broker_is_a_venue_on_paper_by_default(fake_module):
    paper = AlpacaBroker(fake_module.KEY)
    live = AlpacaBroker(fake_module.KEY, live=True)
    assert isinstance(paper, Venue)
    assert paper._trading._base_url.value == "https://paper-api.alpaca.markets"
    assert live._trading._base_url.value == "https://api.alpaca.markets"
    assert paper._stream._endpoint.value.startswith("wss://paper-api.")
    with pytest.raises(ExecutionError, match="live must be True or False"):
        AlpacaBroker(fake_module.KEY, live="yes")


def test_alpaca_market_order_fills_through_the_stream(broker, fake):
    ack = broker.submit(_market("m1", 10))
    assert ack.status == OrderStatus.ACCEPTED and ack.venue_order_id in fake.orders
    assert fake.orders[ack.venue_order_id]["time_in_force"] == "day"  # market open
    broker.advance(broker.now() + pd.Timedelta(seconds=5))
    (fill,) = broker.fills()
    assert (fill.sequence, fill.client_order_id, fill.quantity, fill.price) == (1, "m1", 10,
                                                                                  100.05)
    assert fill.liquidity == Liquidity.TAKER and fill.fee == 0.0
    assert fill.ts == pd.Timestamp("2024-01-02T15:00:05Z")
    assert broker.open_orders() == ()


def test_alpaca_limit_partial_fill_then_cancel(broker, fake):
    ack = broker.submit(_limit("lim", 100))
    fake.execute(ack.venue_order_id, 40, price=99.0)
    broker.wait_for_fills()
    (resting,) = broker.open_orders()
    assert resting.status == OrderStatus.PARTIALLY_FILLED
    assert (resting.filled_quantity, resting.remaining, resting.average_price) == (40, 60, 99.0)
    refused = broker.replace("lim", limit_price=98.0)
    assert "partially filled" in refused.reason
    cancelled = broker.cancel("lim")
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.filled_quantity == 40
    assert [(f.quantity, f.liquidity) for f in broker.fills()] == [(40, Liquidity.MAKER)]
    assert broker.positions()["AAA"].quantity == 40
    assert "nothing to cancel" in broker.cancel("lim").reason


def test_alpaca_replace_chains_ids_and_maps_fills_back(broker, fake):
    first = broker.submit(_limit("rep", 10, 90.0))
    replaced = broker.replace("rep", quantity=12, limit_price=91.0)
    assert replaced.client_order_id == "rep" and replaced.venue_order_id != first.venue_order_id
    assert (replaced.order.quantity, replaced.order.limit_price) == (12, 91.0)
    assert fake.orders[replaced.venue_order_id]["client_order_id"] == "rep~r1"
    again = broker.replace("rep", limit_price=92.0)
    assert fake.orders[again.venue_order_id]["client_order_id"] == "rep~r2"
    fake.execute(again.venue_order_id)
    broker.wait_for_fills()
    assert [(f.client_order_id, f.quantity, f.price) for f in broker.fills()] == [
        ("rep", 12, 100.05)]
    assert broker.submit(_limit("rep", 10, 90.0)) == first  # idempotent on the original order


@pytest.mark.parametrize(("order", "status", "words"), [
    (_market("zzz", symbol="ZZZ"), 422, 'asset "ZZZ" not found'),
    (_market("rich", 50_000), 403, "insufficient buying power"),
])
def test_alpaca_refusal_is_a_rejected_ack_with_the_message(broker, fake, order, status, words):
    before = (broker.account(), broker.positions(), broker.open_orders())
    ack = broker.submit(order)
    assert ack.status == OrderStatus.REJECTED and ack.reason == f"alpaca {status}: {words}"
    assert broker.submit(order) == ack  # a resubmit returns the same refusal, no new request
    assert sum(1 for m, p, _ in fake.requests if (m, p) == ("POST", "/v2/orders")) == 1
    assert (broker.account().cash, broker.positions(), broker.open_orders()) == (
        before[0].cash, before[1], before[2])
    with pytest.raises(KeyError, match="never-sent"):
        broker.cancel("never-sent")


def test_alpaca_429_backs_off_as_retry_after_says_then_succeeds(fake_module):
    sleeps: list[float] = []
    broker = fake_module.fresh_broker(sleep=sleeps.append, backoff_s=0.5)
    fake = broker.fake
    fake.inject("POST", "/v2/orders", 429, "error_429", times=2, headers={"Retry-After": "2"})
    fake.inject("GET", "/v2/account", 429, "error_429", times=2)
    ack = broker.submit(_market("rl"))
    assert ack.status == OrderStatus.ACCEPTED and sleeps == [2.0, 2.0]
    broker.account()
    assert sleeps[2:] == [0.5, 1.0]  # no Retry-After: doubling from backoff_s
    fake.inject("GET", "/v2/positions", 429, "error_429", times=9)
    with pytest.raises(ExecutionError, match="429 after 5 retries"):
        broker.positions()
    fake_module.close_shared()


def test_alpaca_dropped_stream_catches_up_without_losing_or_repeating(broker, fake):
    acks = [broker.submit(_market(f"d{k}", 5 + k)) for k in range(4)]
    fake.execute(acks[0].venue_order_id)
    broker.wait_for_fills()
    fake.drop_stream(refuse=True)  # down: executions now reach no one
    fake.execute(acks[1].venue_order_id, 2)
    fake.execute(acks[1].venue_order_id)
    fake.execute(acks[2].venue_order_id)
    time.sleep(0.2)
    assert len(broker.fills()) == 1
    fake.allow_stream()
    _wait(lambda: broker.reconnections >= 1 and len(broker.fills()) == 4)
    fake.execute(acks[3].venue_order_id)  # live again
    broker.wait_for_fills()
    assert broker.sync() == 0  # a poll now finds nothing new: no duplicates
    fills = broker.fills()
    assert [f.sequence for f in fills] == [1, 2, 3, 4, 5]
    assert [(f.client_order_id, f.quantity) for f in fills] == [
        ("d0", 5), ("d1", 2), ("d1", 4), ("d2", 7), ("d3", 8)]
    assert broker.positions()["AAA"].quantity == sum(f.quantity for f in fills)


def test_alpaca_account_and_positions_long_and_short(broker, fake):
    broker.submit(_market("long", 10, Side.BUY, "AAA"))
    broker.submit(_market("short", 20, Side.SELL, "BBB"))
    broker.advance(broker.now() + pd.Timedelta(seconds=1))
    positions = broker.positions()
    assert (positions["AAA"].quantity, positions["AAA"].average_cost) == (10, 100.05)
    assert (positions["BBB"].quantity, positions["BBB"].average_cost) == (-20, 49.95)
    account = broker.account()
    assert account.cash == pytest.approx(1e6 - 10 * 100.05 + 20 * 49.95, abs=1e-6)
    marked = account.cash + 10 * broker.quote("AAA").mid - 20 * broker.quote("BBB").mid
    assert account.equity == pytest.approx(marked, rel=1e-12)


@pytest.mark.parametrize(("now", "tif"), [
    ("2024-01-02T21:30:00Z", "day"),   # 16:30 New York: Alpaca refuses OPG until 19:00
    ("2024-01-03T01:00:00Z", "opg"),   # 20:00 New York: the next opening auction
    ("2024-01-03T14:00:00Z", "opg"),   # 09:00 New York, before the open
])
def test_alpaca_order_after_the_close_goes_to_the_open(broker, fake, now, tif):
    with fake.lock:
        fake.now, fake.market_open = pd.Timestamp(now), False
    ack = broker.submit(_market("after-close"))
    assert ack.status == OrderStatus.ACCEPTED
    assert fake.orders[ack.venue_order_id]["time_in_force"] == tif


def test_alpaca_restart_adopts_orders_sent_before(broker, fake, fake_module):
    first = broker.submit(_limit("keep", 10, 90.0))
    again = fake_module.FakeMarketBroker(fake)  # a new process: knows nothing, no stream
    ack = again.submit(_limit("keep", 10, 90.0))
    assert ack.venue_order_id == first.venue_order_id and ack.status == OrderStatus.ACCEPTED
    with pytest.raises(ValueError, match="already used"):
        again.submit(_limit("keep", 11, 90.0))
    assert again.cancel("keep").status == OrderStatus.CANCELLED


def test_alpaca_secret_never_reaches_the_logs(fake_module, caplog):
    caplog.set_level(logging.DEBUG)
    broker = fake_module.fresh_broker()
    fake = broker.fake
    broker.submit(_market("s1", symbol="ZZZ"))
    fake.inject("GET", "/v2/account", 429, "error_429", headers={"Retry-After": "0"})
    broker.account()
    broker.submit(_market("s2"))
    fake.drop_stream(refuse=False)
    _wait(lambda: broker.reconnections >= 1)
    fake_module.close_shared()
    secret = fake_module.KEY.secret_key
    assert caplog.records and secret not in caplog.text
    assert secret not in repr(broker) and secret not in repr(fake_module.KEY)


def test_alpaca_credentials_from_env_and_file(tmp_path):
    env = {"APCA_API_KEY_ID": "PKX", "APCA_API_SECRET_KEY": "s3cret"}
    assert AlpacaCredentials.from_env(env) == AlpacaCredentials("PKX", "s3cret")
    with pytest.raises(ConfigError, match="APCA_API_SECRET_KEY") as error:
        AlpacaCredentials.from_env({"APCA_API_KEY_ID": "PKX"})
    path = tmp_path / "alpaca.env"
    path.write_text("# paper keys\nexport APCA_API_KEY_ID=PKX\nAPCA_API_SECRET_KEY='s3cret'\n")
    assert AlpacaCredentials.resolve(path) == AlpacaCredentials("PKX", "s3cret")
    path.write_text("APCA_API_KEY_ID=PKX\nAPCA_API_SECRET_KEY s3cret\n")
    with pytest.raises(ConfigError, match="line 2") as error:
        AlpacaCredentials.from_file(path)
    assert "s3cret" not in str(error.value)
    with pytest.raises(ConfigError, match="does not exist"):
        AlpacaCredentials.from_file(tmp_path / "missing.env")
