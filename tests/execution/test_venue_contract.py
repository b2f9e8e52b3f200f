"""One contract suite run over every Venue implementation (scikit-learn's
``parametrize_with_checks`` idea): each test receives a fresh venue from each factory."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory.backtest import Commission, SquareRootImpact
from alphafactory.execution import (
    BarVenue,
    BookConfig,
    Order,
    OrderStatus,
    OrderType,
    Side,
    SimulatedClockVenue,
    SimulatedVenue,
    TimeInForce,
    Venue,
)

SYMBOLS = ("AAA", "BBB")


def simulated(bars: pd.DataFrame) -> tuple[SimulatedVenue, pd.Timedelta]:
    books = {"AAA": BookConfig(warmup_seconds=30.0),
             "BBB": BookConfig(initial_price=50.0, tick_size=0.05, shares_per_lot=10.0,
                               warmup_seconds=30.0)}
    return SimulatedVenue(books, seed=4, cash=1e6, fee_bps=0.5), pd.Timedelta(seconds=5)


def bar_venue(bars: pd.DataFrame) -> tuple[BarVenue, pd.Timedelta]:
    cost = SquareRootImpact(half_spread_bps=5.0, vol_window=5, adv_window=5) + Commission(
        per_share=0.01)
    venue = BarVenue(bars, cost=cost, cash=1e6)
    venue.advance(venue.now() + pd.Timedelta(days=9))  # past the cost model's warm-up
    return venue, pd.Timedelta(days=3)  # at least one business day later


def alpaca_on_fake(bars: pd.DataFrame):
    """``AlpacaBroker`` on the fake Alpaca of ``tests/live/brokers`` (127.0.0.1, recorded
    responses); ``advance`` moves the fake's clock, fills marketable orders at the touch and
    waits for the trade stream. One broker lives at a time (the previous one is closed)."""
    pytest.importorskip("alpaca")
    name = "alphafactory_tests_fake_alpaca"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "live" / "brokers" / "fake_alpaca.py"
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name].fresh_broker(), pd.Timedelta(seconds=5)


FACTORIES = [pytest.param(simulated, id="SimulatedVenue"), pytest.param(bar_venue, id="BarVenue"),
             pytest.param(alpaca_on_fake, id="AlpacaBroker")]


def _market(venue: Venue, cid: str, side: Side = Side.BUY, lots: int = 3,
            symbol: str = "AAA") -> Order:
    return Order(symbol=symbol, side=side, quantity=lots * venue.lot_size(symbol),
                 client_order_id=cid)


def _far_limit(venue: Venue, cid: str, symbol: str = "AAA") -> Order:
    price = round(venue.quote(symbol).bid * 0.8, 1)
    return Order(symbol=symbol, side=Side.BUY, quantity=2 * venue.lot_size(symbol),
                 client_order_id=cid, type=OrderType.LIMIT, limit_price=price)


def _state(venue: Venue) -> tuple:
    account = venue.account()
    quotes = tuple((q.bid, q.ask) for q in (venue.quote(s) for s in SYMBOLS))
    return account.cash, dict(venue.positions()), venue.fills(), venue.open_orders(), quotes


def _money_adds_up(venue: Venue, cash0: float) -> None:
    fills = venue.fills()
    assert [f.sequence for f in fills] == list(range(1, len(fills) + 1))
    spent = sum(f.side.value * f.quantity * f.price + f.fee for f in fills)
    assert venue.account().cash == pytest.approx(cash0 - spent, rel=0, abs=1e-9 * cash0)
    assert all(f.fee >= 0 and f.quantity > 0 and f.price > 0 for f in fills)
    held = {s: sum(f.side.value * f.quantity for f in fills if f.symbol == s) for s in SYMBOLS}
    positions = venue.positions()
    for symbol, shares in held.items():
        got = positions[symbol].quantity if symbol in positions else 0.0
        assert got == pytest.approx(shares, abs=1e-9)
    marks = {s: venue.quote(s).mid for s in SYMBOLS}
    equity = venue.account().cash + sum(p.quantity * marks[s] for s, p in positions.items())
    assert venue.account().equity == pytest.approx(equity, rel=1e-12)


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_implements_the_protocol(factory, venue_bars):
    venue, _ = factory(venue_bars)
    assert isinstance(venue, Venue) and isinstance(venue, SimulatedClockVenue)
    quote = venue.quote("AAA")
    assert quote.bid < quote.ask and quote.bid < quote.mid < quote.ask
    assert isinstance(venue.now(), pd.Timestamp) and venue.now().tz is not None


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_market_order_fills_in_units_and_money_adds_up(factory, venue_bars):
    venue, step = factory(venue_bars)
    cash0 = venue.account().cash
    ack = venue.submit(_market(venue, "m1"))
    assert ack.status in (OrderStatus.ACCEPTED, OrderStatus.FILLED)
    venue.advance(venue.now() + step)
    venue.submit(_market(venue, "m2", Side.SELL, 5, "BBB"))
    venue.advance(venue.now() + step)
    fills = venue.fills()
    assert {f.client_order_id for f in fills} == {"m1", "m2"}
    m1 = [f for f in fills if f.client_order_id == "m1"]
    assert sum(f.quantity for f in m1) == pytest.approx(3 * venue.lot_size("AAA"))
    assert all(isinstance(f.price, float) and 10 < f.price < 1000 for f in fills)  # not ticks
    assert all(f.side == Side.BUY for f in m1)
    assert venue.positions()["AAA"].quantity == pytest.approx(3 * venue.lot_size("AAA"))
    assert venue.positions()["BBB"].quantity == pytest.approx(-5 * venue.lot_size("BBB"))
    _money_adds_up(venue, cash0)


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_duplicate_client_order_id_returns_the_original_ack(factory, venue_bars):
    venue, step = factory(venue_bars)
    first = venue.submit(_market(venue, "dup"))
    venue.advance(venue.now() + step)
    n_fills = len(venue.fills())
    assert venue.submit(_market(venue, "dup")) == first
    venue.advance(venue.now() + step)
    assert len(venue.fills()) == n_fills
    with pytest.raises(ValueError, match="already used"):
        venue.submit(_market(venue, "dup", lots=4))


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_reject_is_a_value_and_leaves_the_venue_as_it_was(factory, venue_bars):
    venue, _ = factory(venue_bars)
    venue.submit(_far_limit(venue, "rest"))
    before = _state(venue)
    ack = venue.submit(Order(symbol="ZZZ", side=Side.BUY, quantity=1.0, client_order_id="bad"))
    assert ack.status == OrderStatus.REJECTED and "ZZZ" in ack.reason
    assert _state(venue) == before


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_limit_order_rests_replaces_and_cancels(factory, venue_bars):
    venue, step = factory(venue_bars)
    order = _far_limit(venue, "lim")
    ack = venue.submit(order)
    assert ack.status == OrderStatus.ACCEPTED and ack.remaining == order.quantity
    venue.advance(venue.now() + step)
    assert [a.client_order_id for a in venue.open_orders()] == ["lim"]
    new_price = round(order.limit_price - 0.5, 1)
    replaced = venue.replace("lim", quantity=3 * venue.lot_size("AAA"), limit_price=new_price)
    assert replaced.order.limit_price == new_price and replaced.status.is_open
    assert replaced.order.quantity == 3 * venue.lot_size("AAA")
    cancelled = venue.cancel("lim")
    assert cancelled.status == OrderStatus.CANCELLED and venue.open_orders() == ()
    again = venue.cancel("lim")
    assert again.status == OrderStatus.CANCELLED and "nothing to cancel" in again.reason
    with pytest.raises(KeyError, match="never-sent"):
        venue.cancel("never-sent")
    assert venue.fills() == ()


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_fills_cursor_never_misses_or_repeats(factory, venue_bars):
    venue, step = factory(venue_bars)
    seen = []
    for k in range(4):
        venue.submit(_market(venue, f"c{k}", Side.BUY if k % 2 else Side.SELL))
        venue.advance(venue.now() + step)
        seen.extend(venue.fills(since=len(seen)))
    assert seen == list(venue.fills())
    assert venue.fills(since=len(seen)) == ()


@pytest.mark.parametrize("factory", FACTORIES)
def test_venue_clock_only_moves_forward(factory, venue_bars):
    venue, step = factory(venue_bars)
    now = venue.now()
    venue.advance(now + step)
    assert venue.now() > now
    with pytest.raises(ValueError, match="clock"):
        venue.advance(now)


@pytest.mark.parametrize("factory", FACTORIES)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(orders=st.lists(st.tuples(st.sampled_from(SYMBOLS), st.sampled_from([Side.BUY, Side.SELL]),
                                 st.integers(1, 40)), min_size=1, max_size=8))
def test_venue_money_adds_up_for_any_order_sequence(factory, venue_bars, orders):
    venue, step = factory(venue_bars)
    cash0 = venue.account().cash
    for k, (symbol, side, lots) in enumerate(orders):
        venue.submit(_market(venue, f"h{k}", side, lots, symbol))
        venue.advance(venue.now() + step)
    _money_adds_up(venue, cash0)
    assert all(not math.isnan(f.price) for f in venue.fills())


def test_simulated_venue_partial_fill_then_rest(venue_bars):
    venue, _ = simulated(venue_bars)
    quote = venue.quote("AAA")
    depth = venue._books["AAA"].engine.depth(levels=1)  # shares at the best ask
    at_ask = float(depth.loc[depth["side"] == "ask", "qty"].iloc[0])
    ack = venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=at_ask + 7,
                             client_order_id="p", type=OrderType.LIMIT, limit_price=quote.ask))
    assert ack.status == OrderStatus.PARTIALLY_FILLED
    assert ack.filled_quantity == at_ask and ack.remaining == 7
    assert venue.quote("AAA").bid == quote.ask  # the rest now rests as the best bid


def test_bar_venue_limit_fills_when_the_bar_reaches_it(venue_bars):
    bars = venue_bars
    venue = BarVenue(bars, cash=1e5)
    nxt = bars.xs("AAA", level="symbol").iloc[1]
    limit = round(float(nxt["low"]) + 0.25 * (float(nxt["open"]) - float(nxt["low"])), 4)
    venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=10, client_order_id="l",
                       type=OrderType.LIMIT, limit_price=limit))
    venue.advance(venue.now() + pd.Timedelta(days=1))
    (fill,) = venue.fills()
    assert fill.price == limit and fill.liquidity.value == "maker"


def test_simulated_venue_refusals_are_values_that_change_nothing(venue_bars):
    venue = SimulatedVenue({"AAA": BookConfig(warmup_seconds=30.0)}, seed=1, cash=1_000.0,
                           leverage=1.0)
    before = (venue.account(), venue.quote("AAA"), venue.fills(), venue.open_orders())
    bid = venue.quote("AAA").bid
    off_tick = venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=1.0, client_order_id="a",
                                  type=OrderType.LIMIT, limit_price=bid + 0.003))
    assert off_tick.status == OrderStatus.REJECTED and "not a multiple of 0.01" in off_tick.reason
    odd = venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=1.5, client_order_id="b"))
    assert odd.status == OrderStatus.REJECTED and "qty 1.5" in odd.reason
    rich = venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=50.0, client_order_id="c"))
    assert rich.status == OrderStatus.REJECTED and "buying power" in rich.reason
    assert (venue.account(), venue.quote("AAA"), venue.fills(), venue.open_orders()) == before


def test_simulated_venue_ioc_expires_and_replace_below_filled_is_refused(venue_bars):
    venue, _ = simulated(venue_bars)
    quote = venue.quote("AAA")
    ioc = venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=1.0, client_order_id="i",
                             type=OrderType.LIMIT, limit_price=quote.bid,
                             time_in_force=TimeInForce.IOC))
    assert ioc.status == OrderStatus.EXPIRED and "immediate-or-cancel" in ioc.reason
    depth = venue._books["AAA"].engine.depth(levels=1)
    at_ask = float(depth.loc[depth["side"] == "ask", "qty"].iloc[0])
    venue.submit(Order(symbol="AAA", side=Side.BUY, quantity=at_ask + 2, client_order_id="p",
                       type=OrderType.LIMIT, limit_price=quote.ask))
    refused = venue.replace("p", quantity=at_ask)
    assert refused.order.quantity == at_ask + 2 and "replace refused" in refused.reason
    market = venue.submit(Order(symbol="AAA", side=Side.SELL, quantity=1.0, client_order_id="m"))
    assert venue.replace("m", limit_price=1.0).reason == "only an open LIMIT order can be replaced"
    assert market.status == OrderStatus.FILLED
