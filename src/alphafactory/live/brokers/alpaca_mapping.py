"""Pure translations between alpaca-py's models and the ``Venue`` values, and the key file.

No network and no state here: :class:`~alphafactory.live.brokers.alpaca.AlpacaBroker` calls
these, and the tests check them directly. alpaca-py is imported through
:mod:`~alphafactory.live.brokers._sdk`, which silences the deprecation warning its stream module
raises on import.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Literal

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.execution.orders import (
    Ack,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from alphafactory.live.brokers._sdk import AlpacaOrder, AlpacaOrderStatus, AlpacaTIF, APIError

__all__ = [
    "AfterClose",
    "AlpacaCredentials",
    "ack_from_alpaca",
    "base_client_order_id",
    "error_message",
    "error_reason",
    "order_from_alpaca",
    "price_or_none",
    "replacement_client_order_id",
    "retry_after",
    "status_from_alpaca",
    "time_in_force_for",
]

AfterClose = Literal["opg", "day"]
"""What a GTC order sent while the market is closed becomes: ``"opg"`` (the opening auction,
like the backtest's next-open fill; Alpaca takes OPG only from 19:00 to 09:28 New York time, so
between the close and 19:00 it is sent DAY and queued to the open instead) or ``"day"``."""

KEY_ENV = "APCA_API_KEY_ID"
SECRET_ENV = "APCA_API_SECRET_KEY"
NEW_YORK = "America/New_York"
OPG_REFUSED = (time(9, 28), time(19, 0))  # Alpaca rejects OPG orders sent in [09:28, 19:00) ET

_STATUS = {
    AlpacaOrderStatus.PENDING_NEW: OrderStatus.SUBMITTED,
    AlpacaOrderStatus.PENDING_REVIEW: OrderStatus.SUBMITTED,
    AlpacaOrderStatus.HELD: OrderStatus.SUBMITTED,
    AlpacaOrderStatus.ACCEPTED: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.NEW: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.ACCEPTED_FOR_BIDDING: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.PENDING_REPLACE: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.STOPPED: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.SUSPENDED: OrderStatus.ACCEPTED,
    AlpacaOrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    AlpacaOrderStatus.FILLED: OrderStatus.FILLED,
    AlpacaOrderStatus.PENDING_CANCEL: OrderStatus.CANCEL_REQUESTED,
    AlpacaOrderStatus.CANCELED: OrderStatus.CANCELLED,
    AlpacaOrderStatus.REPLACED: OrderStatus.CANCELLED,
    AlpacaOrderStatus.EXPIRED: OrderStatus.EXPIRED,
    AlpacaOrderStatus.REJECTED: OrderStatus.REJECTED,
}
_REPLACEMENT = re.compile(r"^(?P<base>.+)~r(?P<n>\d+)$")


@dataclass(frozen=True, slots=True)
class AlpacaCredentials:
    """An Alpaca API key pair. The secret never appears in ``repr``, errors or logs."""

    key_id: str
    secret_key: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AlpacaCredentials:
        """Read ``APCA_API_KEY_ID`` and ``APCA_API_SECRET_KEY`` from the environment."""
        env = os.environ if environ is None else environ
        missing = [name for name in (KEY_ENV, SECRET_ENV) if not env.get(name)]
        if missing:
            raise ConfigError(f"Alpaca keys: set {' and '.join(missing)} in the environment "
                              "or pass a key file.")
        return cls(env[KEY_ENV], env[SECRET_ENV])

    @classmethod
    def from_file(cls, path: str | Path) -> AlpacaCredentials:
        """Read ``NAME=value`` lines (the two variable names above; ``#`` comments) from
        ``path``, a file that should be readable by its owner only."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Alpaca key file {path} does not exist.")
        values: dict[str, str] = {}
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise ConfigError(f"{path}, line {number}: expected NAME=value.")
            values[name.strip().removeprefix("export ")] = value.strip().strip("'\"")
        try:
            return cls.from_env(values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None

    @classmethod
    def resolve(cls, path: str | Path | None = None) -> AlpacaCredentials:
        """The keys in ``path`` when given, else those in the environment."""
        return cls.from_file(path) if path is not None else cls.from_env()


def status_from_alpaca(status: AlpacaOrderStatus | str, filled: float,
                       quantity: float) -> OrderStatus:
    """Map an Alpaca order status onto :class:`OrderStatus` (``done_for_day`` and
    ``calculated`` by what has filled)."""
    status = AlpacaOrderStatus(status)
    if status in (AlpacaOrderStatus.DONE_FOR_DAY, AlpacaOrderStatus.CALCULATED):
        if filled >= quantity > 0:
            return OrderStatus.FILLED
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    return _STATUS[status]


def base_client_order_id(alpaca_client_order_id: str) -> str:
    """The caller's id behind an Alpaca ``client_order_id`` (replacements end in ``~rN``)."""
    match = _REPLACEMENT.match(alpaca_client_order_id)
    return match["base"] if match else alpaca_client_order_id


def replacement_client_order_id(alpaca_client_order_id: str) -> str:
    """The Alpaca ``client_order_id`` of the next replacement: ``ID~r1``, ``ID~r2``, ...

    Alpaca needs a fresh id for each replacement; deriving it keeps a restart able to map any
    order of a replace chain back to the caller's id.
    """
    match = _REPLACEMENT.match(alpaca_client_order_id)
    if match is None:
        return f"{alpaca_client_order_id}~r1"
    return f"{match['base']}~r{int(match['n']) + 1}"


def _float(value: str | float | None) -> float:
    return float(value) if value not in (None, "") else 0.0


def order_from_alpaca(raw: AlpacaOrder) -> Order | None:
    """The :class:`Order` behind an Alpaca order, None for types the Venue does not speak
    (stop, trailing stop, notional orders, multi-leg)."""
    kind = getattr(raw.type or raw.order_type, "value", None)
    if kind not in ("market", "limit") or raw.qty in (None, "") or raw.symbol is None:
        return None
    tif = TimeInForce.IOC if raw.time_in_force == AlpacaTIF.IOC else TimeInForce.GTC
    return Order(symbol=raw.symbol, side=Side.BUY if raw.side.value == "buy" else Side.SELL,
                 quantity=_float(raw.qty),
                 client_order_id=base_client_order_id(raw.client_order_id),
                 type=OrderType(kind), time_in_force=tif,
                 limit_price=_float(raw.limit_price) if kind == "limit" else None)


def ack_from_alpaca(order: Order, raw: AlpacaOrder) -> Ack:
    """The :class:`Ack` of ``order`` from the Alpaca order that currently carries it."""
    filled = _float(raw.filled_qty)
    status = status_from_alpaca(raw.status, filled, order.quantity)
    average = _float(raw.filled_avg_price) or None
    reason = None
    if status in (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        reason = f"alpaca: order {raw.status.value}"
    return Ack(order=order, venue_order_id=str(raw.id), status=status, filled_quantity=filled,
               average_price=average if filled > 0 else None,
               ts=pd.Timestamp(raw.updated_at).tz_convert("UTC"), reason=reason)


def fill_from_alpaca(*, sequence: int, client_order_id: str, symbol: str, side: str,
                     quantity: float, price: float, ts: object, order_type: str) -> Fill:
    """A :class:`Fill` from an execution reported by a trade update or a FILL activity.

    Alpaca charges no commission on stocks (``fee`` 0; regulatory fees on sells post later as
    separate activities) and does not say which side of the book a fill took: a market order's
    fill is TAKER, a limit order's MAKER (an approximation).
    """
    return Fill(sequence=sequence, client_order_id=client_order_id, symbol=symbol,
                side=Side.BUY if side == "buy" else Side.SELL, quantity=float(quantity),
                price=float(price), ts=pd.Timestamp(ts).tz_convert("UTC"),
                liquidity=Liquidity.TAKER if order_type == "market" else Liquidity.MAKER)


def time_in_force_for(order: Order, *, market_open: bool, now: pd.Timestamp,
                      after_close: AfterClose = "opg", extended_hours: bool = False) -> AlpacaTIF:
    """Alpaca's time in force for ``order`` sent at ``now``.

    IOC stays IOC. Otherwise DAY while the market is open, and with ``extended_hours`` (limit
    orders only; they may fill in the pre- and post-market sessions). While it is closed,
    ``after_close="opg"`` sends OPG (the opening auction: the backtest's next-open fill) when
    Alpaca takes it, from 19:00 to 09:28 New York time, and DAY otherwise (queued and released at
    the next open, so it fills at or just after the open rather than in the auction).
    """
    if order.time_in_force == TimeInForce.IOC:
        return AlpacaTIF.IOC
    if market_open or after_close == "day" or extended_hours:
        return AlpacaTIF.DAY
    local = now.tz_convert(NEW_YORK).time()
    refused = OPG_REFUSED[0] <= local < OPG_REFUSED[1]
    return AlpacaTIF.DAY if refused else AlpacaTIF.OPG


def error_message(error: APIError) -> str:
    """Alpaca's message in an API error (its JSON ``message``, else the error's text)."""
    try:
        return str(error.message)
    except (ValueError, KeyError, TypeError):
        return str(error)


def error_reason(error: APIError) -> str:
    """The reason a refused call reports: status and message."""
    return f"alpaca {error.status_code}: {error_message(error)}"


def retry_after(error: APIError) -> float | None:
    """Seconds a 429's ``Retry-After`` header asks to wait (None: absent or unreadable)."""
    response = error.response
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        wait = float(value) if value is not None else None
    except ValueError:
        return None
    return wait if wait is not None and math.isfinite(wait) and wait >= 0 else None


def price_or_none(value: float | None) -> float | None:
    """A quote price, None for Alpaca's 0 or a missing one."""
    return float(value) if value else None
