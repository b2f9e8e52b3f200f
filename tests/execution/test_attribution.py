from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.backtest import Commission, SquareRootImpact
from alphafactory.execution import (
    BarVenue,
    BookConfig,
    Fill,
    Liquidity,
    ParentOrder,
    Side,
    SimulatedVenue,
    attribute,
    execute_parent,
)

COSTS = ("spread", "impact", "opportunity", "fees")

books = st.builds(
    BookConfig,
    initial_price=st.sampled_from([20.0, 100.0, 250.0]),
    tick_size=st.sampled_from([0.01, 0.05, 0.2]),
    shares_per_lot=st.sampled_from([1.0, 37.5, 100.0]),
    warmup_seconds=st.sampled_from([20.0, 60.0]),
)
parents = st.fixed_dictionaries({
    "side": st.sampled_from([Side.BUY, Side.SELL]),
    "algo": st.sampled_from(["twap", "vwap", "pov"]),
    "style": st.sampled_from(["passive", "aggressive"]),
    "n_slices": st.integers(1, 6),
    "horizon_seconds": st.sampled_from([30.0, 120.0, 300.0]),
    "participation": st.sampled_from([0.05, 0.3]),
})


def _check(report, notional: float) -> None:
    parts = report.attribution
    tol = 1e-9 * notional
    assert parts.total == pytest.approx(
        parts.spread + parts.impact + parts.opportunity + parts.fees + parts.timing, abs=tol)
    for name in COSTS:  # a cost is never a gain
        assert getattr(parts, name) >= 0, name
    # The shortfall from the fills, recomputed independently, is the attribution's total.
    fills, s = report.fills, report.parent.side.value
    arrival = report.arrival_price
    unfilled = report.parent.quantity - fills["quantity"].sum()
    completion = report.final_mid if report.final_touch is None else report.final_touch
    independent = (s * (fills["price"] - arrival) * fills["quantity"]).sum() + fills["fee"].sum()
    if unfilled > 1e-9 * report.parent.quantity:
        independent += s * (completion - arrival) * unfilled
    assert parts.total == pytest.approx(independent, abs=tol)
    if report.filled:
        assert report.shortfall_bps == pytest.approx(
            s * (report.average_price / arrival - 1) * 1e4, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(book=books, parent=parents, lots=st.integers(0, 300), seed=st.integers(0, 10_000),
       fee_bps=st.sampled_from([0.0, 0.3]))
def test_attribution_reconciles_with_signed_costs_in_the_book(book, parent, lots, seed, fee_bps):
    n = parent["n_slices"]
    order = ParentOrder(symbol="X", quantity=lots * book.shares_per_lot,
                        profile=tuple(range(1, n + 1)) if parent["algo"] == "vwap" else None,
                        **parent)
    report = execute_parent(order, SimulatedVenue({"X": book}, seed=seed, fee_bps=fee_bps))
    _check(report, max(report.arrival_price * order.quantity, 1.0))


@settings(max_examples=15, deadline=None)
@given(side=st.sampled_from([Side.BUY, Side.SELL]), shares=st.integers(1, 50_000),
       style=st.sampled_from(["passive", "aggressive"]), start=st.integers(10, 50))
def test_attribution_reconciles_with_signed_costs_on_bars(venue_bars, side, shares, style,
                                                         start):
    cost = SquareRootImpact(eta=1.0, half_spread_bps=4.0, vol_window=5, adv_window=5) + (
        Commission(per_share=0.005))
    venue = BarVenue(venue_bars, cost=cost)
    venue.advance(venue.now() + pd.Timedelta(days=start))
    order = ParentOrder(symbol="AAA", side=side, quantity=float(shares), n_slices=3,
                        horizon_seconds=3 * 86400.0, style=style)
    report = execute_parent(order, venue)
    _check(report, report.arrival_price * shares)
    if style == "aggressive":  # the cost model's terms land on the lines of the same name
        assert report.attribution.spread > 0 and report.attribution.impact > 0


def test_attribute_puts_passive_capture_and_drift_in_timing_only():
    def fill(price, liquidity, mid=math.nan, touch=math.nan, qty=10.0):
        return Fill(sequence=1, client_order_id="a", symbol="X", side=Side.BUY, quantity=qty,
                    price=price, ts=pd.Timestamp(0, tz="UTC"), liquidity=liquidity, mid=mid,
                    touch=touch)

    # A passive buy at the bid (99.9 vs arrival mid 100) and a market buy that walked the book.
    fills = [fill(99.9, Liquidity.MAKER), fill(100.3, Liquidity.TAKER, mid=100.1, touch=100.2)]
    parts = attribute(side=Side.BUY, quantity=25.0, arrival_mid=100.0, fills=fills,
                      final_mid=100.5, final_touch=100.6)
    assert parts.spread == pytest.approx(1.0) and parts.impact == pytest.approx(1.0)
    assert parts.opportunity == pytest.approx(0.5)  # 5 shares completed across the spread
    assert parts.total == pytest.approx(-1.0 + 3.0 + 3.0)
    # timing: the maker fill vs arrival (-1), the taker's mid move (+1), the rest's (+2.5)
    assert parts.timing == pytest.approx(2.5)
