"""Differential test: the C++ engine against the pure-Python reference, event by event."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import EVENT_DTYPE, TRADE_DTYPE, MatchingEngine, RiskLimits, StpMode
from alphafactory.engine.reference import ReferenceBook, ReferenceLimits
from alphafactory.engine.workloads import random_orders

CHUNK = 50_000


def _first_divergence(got: np.ndarray, want: np.ndarray) -> str:
    n = min(len(got), len(want))
    diff = np.flatnonzero(got[:n] != want[:n])
    i = int(diff[0]) if len(diff) else n
    return (f"lengths {len(got)} vs {len(want)}; first divergence at {i}: "
            f"engine {got[i] if i < len(got) else None} reference "
            f"{want[i] if i < len(want) else None}")


def run_differential(n, seed, *, stp="none", events="all", risk=None, killed=(), width=10,
                     first_id=1):
    engine = MatchingEngine(tick_size=0.01, stp=stp, events=events, risk=risk)
    engine.add_instrument(1, tick_size=0.05, lot_size=10)
    limits = None
    if risk is not None:
        limits = ReferenceLimits(**{k: getattr(risk, k) for k in risk.__slots__})
    ref = ReferenceBook(tick_size=0.01, stp=StpMode[stp.upper()], limits=limits,
                        emit_accepted=events == "all")
    ref.add_instrument(1, 0.05, 10)
    for account in killed:
        engine.set_kill_switch(account, True)
        ref.set_kill_switch(account, True)
    orders = random_orders(n, seed, width=width, first_id=first_id)
    counts = [0, 0]
    for start in range(0, n, CHUNK):
        chunk = orders[start:start + CHUNK]
        trades, evs = engine.process(chunk)
        ref_trades, ref_events = ref.process(chunk.tolist())
        want_t = np.array(ref_trades, dtype=TRADE_DTYPE)
        want_e = np.array(ref_events, dtype=EVENT_DTYPE)
        assert np.array_equal(trades, want_t), "trades: " + _first_divergence(trades, want_t)
        assert np.array_equal(evs, want_e), "events: " + _first_divergence(evs, want_e)
        counts[0] += len(trades)
        counts[1] += len(evs)
    assert engine.l2_hash() == ref.l2_hash()
    for account in range(3):
        for inst in (0, 1):
            lots = ref.positions.get((account, inst), 0)
            assert engine.position(account, inst) == lots * engine.lot_size(inst)  # units
    return counts


@pytest.mark.parametrize(
    ("n", "seed", "stp", "events", "width"),
    [
        # make test runs 300k of seed 1; the full million is a soak check (pytest -m soak).
        (300_000, 1, "none", "all", 10),
        pytest.param(1_000_000, 1, "none", "all", 10, marks=pytest.mark.soak),
        (400_000, 6, "none", "all", 60),
        (400_000, 2, "cancel_taker", "all", 10),
        (400_000, 3, "cancel_maker", "no_accepted", 20),
        (400_000, 4, "cancel_both", "all", 10),
    ],
)
def test_engine_random_ops_matches_reference(n, seed, stp, events, width):
    trades, evs = run_differential(n, seed, stp=stp, events=events, width=width)
    assert trades > n // 20 and evs > n // 2  # the stream really trades


def test_engine_random_ops_with_risk_matches_reference():
    risk = RiskLimits(max_order_qty=15, max_order_notional=180.0, max_position=60,
                      max_open_orders=40, collar_ticks=8, collar_fraction=0.0075)
    run_differential(100_000, 5, stp="cancel_maker", risk=risk, killed=(2,))


def test_engine_ids_across_dense_and_hashed_index_match_reference():
    """Ids cross 2^24, where the engine's id index switches from an array to a hash map."""
    run_differential(150_000, 8, stp="cancel_both", first_id=2**24 - 60_000)
    run_differential(50_000, 9, first_id=-30_000)
