"""process() hands large outputs to numpy without a copy: each array owns its memory."""

from __future__ import annotations

import gc

import numpy as np

from alphafactory.engine import MatchingEngine
from alphafactory.engine.workloads import benchmark_orders


def test_handed_over_outputs_survive_later_calls_and_the_engine():
    orders = benchmark_orders(60_000, seed=5)
    engine = MatchingEngine()
    trades, events = engine.process(orders)
    assert trades.nbytes > 1 << 20 and events.nbytes > 1 << 20  # the pooled, handed-over path
    want_t, want_e = trades.copy(), events.copy()
    engine.reset()
    trades2, events2 = engine.process(orders)
    del engine
    gc.collect()
    for got_t, got_e in ((trades, events), (trades2, events2)):
        assert np.array_equal(got_t, want_t) and np.array_equal(got_e, want_e)
    del trades, events  # their blocks go back to the pool and are reused below
    gc.collect()
    trades3, events3 = MatchingEngine().process(orders)
    assert np.array_equal(trades3, want_t) and np.array_equal(events3, want_e)
    assert np.array_equal(trades2, want_t) and np.array_equal(events2, want_e)
    trades3[:] = trades3[::-1]  # writable and owned: other results are unaffected
    assert np.array_equal(trades2, want_t)


def test_small_outputs_are_copies():
    engine = MatchingEngine()
    orders = benchmark_orders(200, seed=6)
    first = engine.process(orders[:100])
    second = engine.process(orders[100:])
    assert len(first[1]) > 0 and len(second[1]) > 0
    assert not np.shares_memory(first[1], second[1])
