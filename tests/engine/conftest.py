"""Helpers for engine tests: build one-message arrays and a standard two-sided book."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import ORDER_DTYPE, MatchingEngine, OrderType


def one_order(oid, side, typ, price=0, qty=0, *, account=0, instrument=0, ts=0) -> np.ndarray:
    """One ORDER record (ticks, lots)."""
    rec = np.zeros(1, dtype=ORDER_DTYPE)
    rec[0] = (ts, oid, account, instrument, side, int(typ), price, qty)
    return rec


@pytest.fixture
def msg():
    """``msg(oid, side, type, price, qty, account=, instrument=, ts=)``: one ORDER record."""
    return one_order


def rest(engine: MatchingEngine, oid, side, price, qty, account=1) -> None:
    engine.process(one_order(oid, side, OrderType.LIMIT, price, qty, account=account))


@pytest.fixture
def make_book():
    """A book with asks 101: [1 x3, 2 x2], 102: [3 x5]; bids 99: [4 x3, 5 x2], 98: [6 x5]
    (all account 1), mirrored around 100 for the sell side; ``sides`` picks which to fill."""

    def build(*, stp: str = "none", sides=(1, -1), risk=None) -> MatchingEngine:
        engine = MatchingEngine(tick_size=1.0, stp=stp, risk=risk)
        if -1 in sides:
            rest(engine, 1, -1, 101, 3)
            rest(engine, 2, -1, 101, 2)
            rest(engine, 3, -1, 102, 5)
        if 1 in sides:
            rest(engine, 4, 1, 99, 3)
            rest(engine, 5, 1, 99, 2)
            rest(engine, 6, 1, 98, 5)
        return engine

    return build
