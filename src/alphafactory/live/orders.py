"""The order manager's state machine: legal transitions and deterministic client order ids.

Every order the bot sends lives through :class:`~alphafactory.execution.OrderStatus` states::

    new -> submitted -> accepted -> partially_filled -> filled
                  \\          \\            \\
                   rejected   cancel_requested -> cancelled | filled
                              expired | cancelled

A venue may skip intermediate states (an acknowledgement that arrives already FILLED), so a
move is legal when the target is reachable from the current state along the arrows; a move
backwards (FILLED -> ACCEPTED) or out of a final state is an error. The client order id is a
hash of (bot, decision time, symbol, leg): resubmitting after a crash sends the same id, which
every venue answers with the original acknowledgement (idempotent submits).
"""

from __future__ import annotations

import hashlib

import pandas as pd

from alphafactory.errors import ExecutionError
from alphafactory.execution import OrderStatus

__all__ = ["FINAL", "IllegalTransition", "check_transition", "client_order_id", "reachable"]

S = OrderStatus
_NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.SUBMITTED, S.REJECTED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCEL_REQUESTED}),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_REQUESTED, S.CANCELLED,
                           S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCEL_REQUESTED,
                                   S.CANCELLED, S.EXPIRED}),
    S.CANCEL_REQUESTED: frozenset({S.PARTIALLY_FILLED, S.CANCELLED, S.FILLED, S.EXPIRED}),
    S.FILLED: frozenset(), S.CANCELLED: frozenset(), S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}
#: States an order never leaves.
FINAL = frozenset(s for s, nxt in _NEXT.items() if not nxt)


class IllegalTransition(ExecutionError):
    """An order was asked to move to a state it cannot reach from where it is."""


def reachable(current: OrderStatus) -> frozenset[OrderStatus]:
    """Every state ``current`` can reach in one or more moves."""
    seen: set[OrderStatus] = set()
    todo = list(_NEXT[current])
    while todo:
        state = todo.pop()
        if state not in seen:
            seen.add(state)
            todo.extend(_NEXT[state])
    return frozenset(seen)


def check_transition(client_order_id: str, current: OrderStatus, new: OrderStatus) -> bool:
    """Return True when ``current -> new`` is a move, False when it is no change.

    Raises
    ------
    IllegalTransition
        When ``new`` cannot be reached from ``current``.
    """
    if new == current and new != S.PARTIALLY_FILLED:
        return False
    if new not in reachable(current):
        raise IllegalTransition(
            f"order {client_order_id!r}: illegal transition {current.value} -> {new.value}; "
            f"from {current.value} it can reach "
            f"{sorted(s.value for s in reachable(current)) or 'nothing (final)'}.")
    return True


def client_order_id(bot: str, decision: pd.Timestamp, symbol: str, leg: int = 0) -> str:
    """The id of leg ``leg`` of the order for ``symbol`` decided at ``decision`` by ``bot``.

    Deterministic and at most 32 characters (Alpaca's limit is 128): ``af-`` and 29 hex digits
    of a SHA-256 of the four parts.
    """
    stamp = pd.Timestamp(decision)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    key = f"{bot}|{stamp.isoformat()}|{symbol}|{int(leg)}".encode()
    return "af-" + hashlib.sha256(key).hexdigest()[:29]
