from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.execution import (
    BookConfig,
    ParentOrder,
    Side,
    SimulatedVenue,
    execute_parent,
    intraday_volume_profile,
    pov_child_quantity,
    twap_schedule,
    vwap_schedule,
)


def _run(parent_kw: dict, *, seed: int, book: BookConfig | None = None, lots: int = 100):
    book = BookConfig() if book is None else book
    parent = ParentOrder(symbol="X", quantity=lots * book.shares_per_lot, **parent_kw)
    return execute_parent(parent, SimulatedVenue({"X": book}, seed=seed))


def test_twap_schedule_even_and_exact():
    assert twap_schedule(103, 10).tolist() == [11, 11, 11, 10, 10, 10, 10, 10, 10, 10]
    assert twap_schedule(0, 3).tolist() == [0, 0, 0]


def test_vwap_schedule_follows_profile_and_sums():
    lots = vwap_schedule(100, np.array([3.0, 1.0, 1.0, 3.0]))
    assert lots.sum() == 100 and np.abs(lots - [37.5, 12.5, 12.5, 37.5]).max() <= 0.5
    assert vwap_schedule(80, np.array([3.0, 1.0])).tolist() == [60, 20]
    with pytest.raises(ValueError, match="volume profile"):
        vwap_schedule(10, np.array([0.0, 0.0]))


def test_intraday_volume_profile_recovers_u_shape():
    days = pd.date_range("2024-01-02 14:30", periods=3, freq="D", tz="UTC")
    stamps = [d + pd.Timedelta(minutes=30 * k) for d in days for k in range(14)]
    shape = np.array([5, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5], dtype=float)
    bars = pd.DataFrame({"volume": np.tile(shape, 3)}, index=pd.DatetimeIndex(stamps))
    profile = intraday_volume_profile(bars, 2)
    assert profile.sum() == pytest.approx(1.0)
    assert profile == pytest.approx([0.5, 0.5])
    fine = intraday_volume_profile(bars, 7)
    assert fine[0] > fine[3] < fine[-1]


def test_pov_child_quantity_is_share_of_volume():
    assert pov_child_quantity(0.1, 120, 50) == 12
    assert pov_child_quantity(0.1, 1000, 50) == 50


def test_twap_parent_fills_evenly_over_horizon():
    report = _run({"side": Side.BUY, "n_slices": 10}, seed=3)
    assert report.fill_ratio == 1.0
    assert report.slices["filled"].tolist() == [10.0] * 10
    assert report.n_child_orders >= 10
    by_slice = report.fills.groupby("slice")["quantity"].sum()
    assert by_slice.min() == by_slice.max() == 10


@pytest.mark.parametrize("algo", ["twap", "vwap", "pov"])
def test_each_algo_reports_consistent_costs(algo):
    parent = {"side": Side.SELL, "algo": algo, "n_slices": 6, "horizon_seconds": 300,
              "profile": (3, 1, 1, 1, 1, 3) if algo == "vwap" else None}
    report = _run(parent, seed=1, book=BookConfig(warmup_seconds=60), lots=60)
    assert report.filled == report.fills["quantity"].sum() <= 60
    average = (report.fills["price"] * report.fills["quantity"]).sum() / report.filled
    assert report.average_price == pytest.approx(average)
    assert report.shortfall_bps == pytest.approx(
        -(average - report.arrival_price) / report.arrival_price * 1e4)
    parts = report.costs_bps()
    assert parts["total_bps"] == pytest.approx(sum(
        parts[k] for k in ("spread_bps", "impact_bps", "opportunity_bps", "fees_bps",
                           "timing_bps")))
    if algo == "vwap":
        assert report.slices["planned"].tolist() == [18, 6, 6, 6, 6, 18]


def test_shortfall_grows_with_parent_size():
    def mean_shortfall(lots):
        # A buy and a sell on the same seed: the mid's own drift cancels in the mean.
        return np.mean([_run({"side": side, "style": "aggressive"}, seed=s, lots=lots).total_bps
                        for s in range(8) for side in (Side.BUY, Side.SELL)])

    small, medium, large = mean_shortfall(10), mean_shortfall(100), mean_shortfall(400)
    assert small < medium < large


def test_fixed_seed_gives_identical_report():
    kw = {"side": Side.BUY, "algo": "pov", "participation": 0.2}
    a, b = _run(kw, seed=9, lots=50), _run(kw, seed=9, lots=50)
    pd.testing.assert_frame_equal(a.fills, b.fills)
    assert a.summary() == b.summary()
    assert not a.fills.equals(_run(kw, seed=10, lots=50).fills)


def test_book_calibration_maps_spread_and_volume():
    book = BookConfig.calibrated(price=50.0, half_spread=0.0004, adv_shares=1e6)
    assert book.tick_size == pytest.approx(0.02)
    assert book.shares_per_lot == pytest.approx(1e6 / (2 * 0.94 * 3600))
    assert book.initial_price == pytest.approx(50.0)


def test_bad_parent_rejected():
    with pytest.raises(ValueError, match="side"):
        ParentOrder(symbol="X", side=1, quantity=1)
    with pytest.raises(ValueError, match="profile"):
        ParentOrder(symbol="X", side=Side.BUY, quantity=1, algo="vwap")
    venue = SimulatedVenue({"X": BookConfig(shares_per_lot=10.0)})
    with pytest.raises(ValueError, match="whole number of lots"):
        execute_parent(ParentOrder(symbol="X", side=Side.BUY, quantity=15.0), venue)
