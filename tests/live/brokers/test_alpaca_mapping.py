"""The recordings parse with alpaca-py's own models, and the pure Alpaca <-> Venue mappings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from alphafactory.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from alphafactory.live.brokers._sdk import AlpacaOrder, AlpacaTIF, TradeActivity, TradeUpdate
from alphafactory.live.brokers.alpaca_mapping import (
    ack_from_alpaca,
    base_client_order_id,
    order_from_alpaca,
    replacement_client_order_id,
    status_from_alpaca,
    time_in_force_for,
)

RECORDINGS = Path(__file__).with_name("recordings")


def _load(name: str) -> dict:
    return json.loads((RECORDINGS / name).read_text())


def _parse(name: str) -> object:
    from alpaca.data.models import Snapshot
    from alpaca.trading.models import Clock, Position, TradeAccount

    raw = _load(name)
    if name.startswith(("order", "stream_trade_update")):
        return AlpacaOrder(**raw) if name.startswith("order") else TradeUpdate(**raw["data"])
    if name.startswith("error"):
        assert set(raw) == {"code", "message"} and isinstance(raw["code"], int)
        return raw
    if name.startswith("stream_"):
        assert raw["stream"] in ("authorization", "listening")
        return raw
    parsers = {"account": lambda r: TradeAccount(**r), "position": lambda r: Position(**r),
               "clock": lambda r: Clock(**r), "activity": lambda r: TradeActivity(**r),
               "snapshot": lambda r: {s: Snapshot(s, v) for s, v in r.items()}}
    return parsers[name.split("_")[0].removesuffix(".json")](raw)


@pytest.mark.parametrize("name", sorted(p.name for p in RECORDINGS.glob("*.json")))
def test_recording_parses_with_alpaca_models(name):
    assert _parse(name) is not None


def test_ack_from_a_recorded_partial_fill():
    raw = AlpacaOrder(**_load("order_partially_filled_limit.json"))
    order = order_from_alpaca(raw)
    assert order == Order(symbol="AAPL", side=Side.BUY, quantity=100.0, type=OrderType.LIMIT,
                          limit_price=185.5, client_order_id="bot-2024-01-02T15:00-AAPL-0")
    ack = ack_from_alpaca(order, raw)
    assert (ack.status, ack.filled_quantity, ack.remaining, ack.average_price) == (
        OrderStatus.PARTIALLY_FILLED, 40.0, 60.0, 185.5)
    assert ack.ts == pd.Timestamp("2024-01-02T15:00:03.511024Z")


@pytest.mark.parametrize(("status", "filled", "expected"), [
    ("pending_new", 0, OrderStatus.SUBMITTED), ("accepted", 0, OrderStatus.ACCEPTED),
    ("new", 0, OrderStatus.ACCEPTED), ("partially_filled", 3, OrderStatus.PARTIALLY_FILLED),
    ("filled", 10, OrderStatus.FILLED), ("pending_cancel", 0, OrderStatus.CANCEL_REQUESTED),
    ("canceled", 0, OrderStatus.CANCELLED), ("replaced", 0, OrderStatus.CANCELLED),
    ("expired", 0, OrderStatus.EXPIRED), ("rejected", 0, OrderStatus.REJECTED),
    ("done_for_day", 4, OrderStatus.PARTIALLY_FILLED), ("calculated", 10, OrderStatus.FILLED),
])
def test_status_from_alpaca_maps_every_status(status, filled, expected):
    assert status_from_alpaca(status, filled, 10.0) == expected


def test_replacement_ids_chain_and_map_back():
    assert replacement_client_order_id("bot|t|AAA|0") == "bot|t|AAA|0~r1"
    assert replacement_client_order_id("bot|t|AAA|0~r1") == "bot|t|AAA|0~r2"
    assert base_client_order_id("bot|t|AAA|0~r12") == "bot|t|AAA|0"
    assert base_client_order_id("plain") == "plain"


@pytest.mark.parametrize(("new_york", "is_open", "policy", "expected"), [
    ("2024-01-02 10:00", True, "opg", AlpacaTIF.DAY),
    ("2024-01-02 16:30", False, "opg", AlpacaTIF.DAY),
    ("2024-01-02 19:00", False, "opg", AlpacaTIF.OPG),
    ("2024-01-03 09:27", False, "opg", AlpacaTIF.OPG),
    ("2024-01-03 09:28", False, "opg", AlpacaTIF.DAY),
    ("2024-01-06 12:00", False, "opg", AlpacaTIF.DAY),  # Saturday noon: OPG refused window
    ("2024-01-02 20:00", False, "day", AlpacaTIF.DAY),
])
def test_time_in_force_for_follows_the_opening_auction_window(new_york, is_open, policy,
                                                              expected):
    now = pd.Timestamp(new_york, tz="America/New_York").tz_convert("UTC")
    order = Order(symbol="AAA", side=Side.BUY, quantity=1, client_order_id="x")
    assert time_in_force_for(order, market_open=is_open, now=now,
                             after_close=policy) == expected
    ioc = Order(symbol="AAA", side=Side.BUY, quantity=1, client_order_id="x",
                type=OrderType.LIMIT, limit_price=1.0, time_in_force=TimeInForce.IOC)
    assert time_in_force_for(ioc, market_open=is_open, now=now) == AlpacaTIF.IOC
