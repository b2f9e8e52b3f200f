"""Book invariants after every operation (hypothesis state machine, ~25,000 operations)."""

from __future__ import annotations

from collections import defaultdict

import hypothesis.strategies as st
import numpy as np
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from alphafactory.engine import ORDER_DTYPE, EventType, MatchingEngine, OrderType

NEW_TYPES = [OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET, OrderType.IOC, OrderType.FOK,
             OrderType.POST_ONLY]


class BookMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = MatchingEngine(tick_size=1.0)
        self.next_id = 1
        self.submitted: dict[int, int] = {}
        self.filled: dict[int, int] = defaultdict(int)
        self.cancelled: dict[int, int] = defaultdict(int)
        self.last_trade_id = 0

    def _run(self, ts, oid, account, side, typ, price, qty):
        rec = np.zeros(1, dtype=ORDER_DTYPE)
        rec[0] = (ts, oid, account, 0, side, int(typ), price, qty)
        trades, events = self.engine.process(rec)
        for e in events:
            if e["event"] == EventType.MODIFIED:  # comes before the message's trades
                oid_ = int(e["order_id"])
                # A modify re-bases the order: submitted becomes what is accounted so far + new.
                self.submitted[oid_] = (self.filled[oid_] + self.cancelled[oid_]
                                        + int(e["remaining_qty"]))
        for e in events:
            if e["event"] == EventType.CANCELED:
                self.cancelled[int(e["order_id"])] += int(e["remaining_qty"])
        for t in trades:
            assert t["trade_id"] == self.last_trade_id + 1
            self.last_trade_id = int(t["trade_id"])
            assert t["qty"] > 0
            self.filled[int(t["maker_order_id"])] += int(t["qty"])
            self.filled[int(t["taker_order_id"])] += int(t["qty"])
        return trades, events

    @rule(side=st.sampled_from([1, -1]), typ=st.sampled_from(NEW_TYPES),
          price=st.integers(95, 105), qty=st.integers(1, 8), account=st.integers(0, 2))
    def submit(self, side, typ, price, qty, account):
        oid = self.next_id
        self.next_id += 1
        _, events = self._run(oid, oid, account, side, typ, price, qty)
        if events["event"][0] != EventType.REJECTED:
            self.submitted[oid] = qty

    @rule(back=st.integers(1, 30))
    def cancel(self, back):
        self._run(0, max(1, self.next_id - back), 0, 1, OrderType.CANCEL, 0, 0)

    @rule(back=st.integers(1, 30), price=st.integers(95, 105), qty=st.integers(1, 8))
    def modify(self, back, price, qty):
        self._run(0, max(1, self.next_id - back), 0, 1, OrderType.MODIFY, price, qty)

    @invariant()
    def book_is_consistent(self):
        core = self.engine._core
        bp, bq, bc = core.depth(0, 1, 10_000)
        ap, aq, ac = core.depth(0, -1, 10_000)
        assert np.all(np.diff(bp) < 0) and np.all(np.diff(ap) > 0)  # sorted, best first
        assert np.all(bq > 0) and np.all(aq > 0) and np.all(bc > 0) and np.all(ac > 0)
        if len(bp) and len(ap):
            assert bp[0] < ap[0]  # never crossed after matching
        live = {oid: core.lookup(oid) for oid in self.submitted}
        live = {k: v for k, v in live.items() if v is not None}
        assert len(live) == core.resting_orders()  # index one-to-one with resting orders
        sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        for o in live.values():
            sums[(o["side"], o["price"])][0] += o["qty"]
            sums[(o["side"], o["price"])][1] += 1
        levels = {(1, p): [q, c] for p, q, c in zip(bp, bq, bc, strict=True)}
        levels.update({(-1, p): [q, c] for p, q, c in zip(ap, aq, ac, strict=True)})
        assert {k: list(map(int, v)) for k, v in levels.items()} == dict(sums)
        for oid, sub in self.submitted.items():
            resting = live[oid]["qty"] if oid in live else 0
            assert sub == self.filled[oid] + resting + self.cancelled[oid], oid
        assert sum(core.position(a, 0) for a in range(3)) == 0


BookMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=500,
                                         deadline=None)
test_book_machine_invariants_hold = BookMachine.TestCase
