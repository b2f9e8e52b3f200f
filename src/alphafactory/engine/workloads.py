"""Seeded synthetic order streams: a fuzzing mix for tests and the benchmark workload."""

from __future__ import annotations

import numpy as np

from alphafactory import _engine
from alphafactory.engine._records import ORDER_DTYPE, OrderType

__all__ = ["benchmark_orders", "random_orders"]

TYPE_WEIGHTS = {
    OrderType.LIMIT: 0.38,
    OrderType.MARKET: 0.05,
    OrderType.IOC: 0.08,
    OrderType.FOK: 0.06,
    OrderType.POST_ONLY: 0.08,
    OrderType.CANCEL: 0.20,
    OrderType.MODIFY: 0.14,
    0: 0.005,  # invalid type codes
    9: 0.005,
}


def random_orders(
    n: int,
    seed: int,
    *,
    accounts: int = 3,
    instruments: tuple[int, ...] = (0, 1),
    first_id: int = 1,
    mid: int = 1000,
    width: int = 10,
    window: int = 2000,
) -> np.ndarray:
    """``n`` random messages: mostly valid, ~1% each of bad side, qty, price, id or instrument.

    Cancels and modifies target ids drawn from the last ``window`` new ids, so they hit live
    orders, finished ones and (rarely) ids never used.
    """
    rng = np.random.default_rng(seed)
    codes = np.array([int(t) for t in TYPE_WEIGHTS], dtype=np.int8)
    weights = np.array(list(TYPE_WEIGHTS.values()))
    out = np.zeros(n, dtype=ORDER_DTYPE)
    out["ts"] = np.arange(n, dtype=np.int64) * 1000
    types = rng.choice(codes, size=n, p=weights / weights.sum())
    out["type"] = types
    is_new = ~np.isin(types, [OrderType.CANCEL, OrderType.MODIFY])
    counter = first_id - 1 + np.cumsum(is_new)
    target = np.maximum(counter - rng.integers(0, window, size=n), first_id)
    dup = is_new & (rng.random(n) < 0.01)
    out["order_id"] = np.where(is_new & ~dup, counter, target)
    out["account"] = rng.integers(0, accounts, size=n)
    inst = rng.choice(np.array(instruments, dtype=np.int32), size=n)
    inst[rng.random(n) < 0.003] = 7  # unknown instrument
    out["instrument"] = inst
    side = np.where(rng.random(n) < 0.5, 1, -1)
    side[rng.random(n) < 0.005] = 0
    out["side"] = side
    price = mid + rng.integers(-width, width + 1, size=n)
    price[rng.random(n) < 0.005] = 0
    price[rng.random(n) < 0.002] = -5
    out["price"] = price
    qty = rng.integers(1, 21, size=n)
    qty[rng.random(n) < 0.005] = 0
    qty[rng.random(n) < 0.002] = -3
    out["qty"] = qty
    return out


def benchmark_orders(n: int, seed: int, *, live: int = 5_000) -> np.ndarray:
    """The benchmark workload (generated in C++ against a live book), ORDER_DTYPE.

    About 60% limit adds (passive ones a geometric number of ticks, p = 0.3, behind the
    opposite best; 17% of adds priced at the opposite best, so marketable), 30% cancels of live
    orders (qty 0) and 10% market orders (price 0); one account, instrument 0; the live order
    count is held near ``live`` (the mix leans to adds or cancels outside [live/2, 2*live]).
    """
    return _engine.benchmark_workload(int(n), int(seed), int(live)).view(ORDER_DTYPE)
