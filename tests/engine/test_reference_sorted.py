"""The benchmark's sorted-level Python book agrees with the engine (and so with the spec)."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import EVENT_DTYPE, TRADE_DTYPE, MatchingEngine
from alphafactory.engine.reference_sorted import SortedBook
from alphafactory.engine.workloads import benchmark_orders, random_orders


def _check(orders: np.ndarray, *, events: str = "all", chunk: int = 7_000) -> None:
    engine = MatchingEngine(tick_size=0.01, events=events)
    book = SortedBook(emit_accepted=events == "all")
    for start in range(0, len(orders), chunk):
        part = orders[start:start + chunk]
        trades, evs = engine.process(part)
        want_t, want_e = book.process(part.tolist())
        assert np.array_equal(trades, np.array(want_t, dtype=TRADE_DTYPE))
        assert np.array_equal(evs, np.array(want_e, dtype=EVENT_DTYPE))
    for side in (1, -1):
        best = engine.best_bid() if side == 1 else engine.best_ask()
        assert book.best(side) == (None if best is None else round(best / 0.01))
    for account in range(3):
        assert engine.position(account) == book.positions.get(account, 0)


@pytest.mark.parametrize(("seed", "width", "events"), [(11, 10, "all"), (12, 40, "no_accepted")])
def test_sorted_book_matches_engine_on_random_stream(seed, width, events):
    # Every message type, ~1% malformed; instrument 7 is unknown to both books.
    _check(random_orders(30_000, seed, instruments=(0,), width=width), events=events)


def test_sorted_book_matches_engine_on_benchmark_stream():
    _check(benchmark_orders(30_000, seed=3))
