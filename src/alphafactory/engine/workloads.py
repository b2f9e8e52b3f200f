"""Seeded synthetic order streams: a fuzzing mix for tests and the benchmark workload."""

from __future__ import annotations

import numpy as np

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


def benchmark_orders(
    n: int, seed: int, *, live: int = 5_000, mid: int = 100_000, p_geometric: float = 0.3
) -> np.ndarray:
    """The benchmark workload: ~60% limit adds, ~30% cancels of live orders, ~10% market.

    Passive adds sit a geometric number of ticks (parameter ``p_geometric``) behind the opposite
    best of a slowly moving reference price; about 17% of adds are marketable (priced one tick
    through the opposite side). Cancels target a live order of the stream (qty 0), chosen
    uniformly among the ids the stream itself keeps alive, so that about ``live`` orders rest.
    Market orders carry price 0. One account, instrument 0. Generated in Python once (not
    timed); the live-id bookkeeping is a simple array of ids.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype=ORDER_DTYPE)
    out["ts"] = np.arange(n, dtype=np.int64)
    u = rng.random(n)
    sides = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    dist = rng.geometric(p_geometric, size=n)
    marketable = rng.random(n) < 0.17
    qty = rng.integers(1, 10, size=n)
    drift = np.cumsum(rng.integers(-1, 2, size=n)) // 64
    # Ramp up to `live` resting orders first, then keep adds and cancels in balance.
    warm = min(n, live * 2)
    live_ids = np.empty(n, dtype=np.int64)
    n_live = 0
    next_id = 1
    types = out["type"]
    for i in range(n):
        if i < warm:
            kind = 0
        else:
            kind = 0 if u[i] < 0.6 else (1 if u[i] < 0.9 else 2)
        if kind == 1 and n_live > 0:
            j = int(rng.integers(n_live))
            out["order_id"][i] = live_ids[j]
            live_ids[j] = live_ids[n_live - 1]
            n_live -= 1
            types[i] = OrderType.CANCEL
            continue
        if kind == 2:
            types[i] = OrderType.MARKET
            out["order_id"][i] = next_id
            next_id += 1
            out["side"][i] = sides[i]
            out["qty"][i] = qty[i]
            continue
        types[i] = OrderType.LIMIT
        s = sides[i]
        ref = mid + drift[i]
        if marketable[i] and i >= warm:
            price = ref + s  # through the opposite best at ref - s .. ref + s
        else:
            price = ref - s * dist[i]
            if n_live < live * 2:
                live_ids[n_live] = next_id
                n_live += 1
        out["order_id"][i] = next_id
        out["side"][i] = s
        out["price"][i] = price
        out["qty"][i] = qty[i]
        next_id += 1
    return out
