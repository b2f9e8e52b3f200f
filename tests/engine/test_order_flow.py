"""PoissonOrderFlow: seeded, replayable, a 1-3 tick spread, and a living book for a strategy."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.engine import (
    EventType,
    MatchingEngine,
    OrderType,
    PoissonOrderFlow,
)


def test_same_seed_gives_same_orders_and_other_seed_differs():
    a = PoissonOrderFlow(seed=3).generate(20_000)
    b = PoissonOrderFlow(seed=3).generate(20_000)
    c = PoissonOrderFlow(seed=4).generate(20_000)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_generated_orders_replay_to_the_same_book():
    flow = PoissonOrderFlow(seed=5, tick_size=0.05, initial_price=50.0)
    orders = np.concatenate([flow.generate(30_000), flow.generate(horizon=10**11)])
    engine = MatchingEngine(tick_size=0.05)
    engine.process(orders)
    assert engine.l2_hash() == flow.engine.l2_hash()
    assert np.all(np.diff(orders["ts"]) >= 0)


def test_default_parameters_give_a_tight_spread_and_depth():
    flow = PoissonOrderFlow(seed=11)
    spreads, depths = [], []
    for _ in range(400):
        flow.generate(100)
        spread = flow.engine.spread()
        if spread is not None:
            spreads.append(round(spread / 0.01))
        depths.append(flow.engine.depth(levels=5)["qty"].sum())
    spreads = np.array(spreads)
    assert len(spreads) > 390
    assert np.mean((spreads >= 1) & (spreads <= 3)) > 0.9
    assert 5 < np.mean(depths) < 100


def test_event_mix_follows_the_rates():
    orders = PoissonOrderFlow(seed=2, initial_depth=0).generate(200_000)
    counts = np.bincount(orders["type"], minlength=8)
    limit_total = sum(1.92 / i**0.52 for i in range(1, 11))
    ratio = counts[OrderType.MARKET] / counts[OrderType.LIMIT]
    assert ratio == pytest.approx(0.94 / limit_total, rel=0.05)
    assert counts[OrderType.CANCEL] > 0.5 * counts[OrderType.LIMIT]


def test_drive_interleaves_strategy_orders_with_background_flow():
    engine = MatchingEngine(tick_size=0.01)
    flow = PoissonOrderFlow(seed=9, account=-1)
    filled = 0
    for k in range(1, 51):
        ts = k * 2_000_000_000
        step = flow.drive(engine, until=ts)
        assert flow.now == ts and np.all(step.orders["ts"] <= ts)
        assert np.all(step.orders["order_id"] >= 2**40)  # never touches strategy ids
        result = engine.submit(k, "B" if k % 2 else "S", 1, type="MARKET", account=42, ts=ts)
        filled += result.filled_qty
        assert result.events[-1].event == EventType.FILLED  # the flow keeps the book alive
    assert filled == 50
    assert engine.position(42) == 0
    with pytest.raises(ValueError, match="another engine"):
        flow.drive(MatchingEngine(), n_events=1)
    with pytest.raises(ValueError, match="n_events, until"):
        flow.drive(engine)


def test_rates_fitted_from_lobster_export_recover_the_model():
    from alphafactory.engine import to_lobster

    orders = PoissonOrderFlow(seed=21, initial_price=50.0).generate(120_000)
    messages, book = to_lobster(orders, levels=10)
    fitted = PoissonOrderFlow.from_lobster(messages, book, tick_size=0.01, seed=1)
    from alphafactory.engine.order_flow_fit import fit_order_flow

    rates = fit_order_flow(messages, book, tick=100)
    assert rates["limit_rate_scale"] == pytest.approx(1.92, rel=0.05)
    assert rates["limit_rate_exponent"] == pytest.approx(0.52, rel=0.1)
    assert rates["market_rate"] == pytest.approx(0.94, rel=0.05)
    assert rates["cancel_rates"][:5] == pytest.approx([0.71, 0.81, 0.68, 0.56, 0.47], rel=0.1)
    assert len(fitted.generate(1000)) >= 1000
