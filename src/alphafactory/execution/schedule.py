"""Parent -> child schedules: how many lots each slice of the horizon should trade.

TWAP and VWAP are fixed in advance (equal slices, or slices proportional to a volume profile from
history); POV is decided slice by slice from the market volume just observed (see
:func:`pov_child_quantity`). Quantities are integer lots; rounding keeps the parent total exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def twap_schedule(quantity: int, n_slices: int) -> np.ndarray:
    """Split ``quantity`` lots into ``n_slices`` equal slices (the remainder to the first ones)."""
    _check(quantity, n_slices)
    base, extra = divmod(int(quantity), int(n_slices))
    return np.array([base + (k < extra) for k in range(n_slices)], dtype=np.int64)


def vwap_schedule(quantity: int, profile: np.ndarray | pd.Series) -> np.ndarray:
    """Split ``quantity`` lots in proportion to a volume ``profile`` (one weight per slice).

    Largest-remainder rounding: the slices sum to ``quantity`` exactly.
    """
    weights = np.asarray(profile, dtype=np.float64)
    _check(quantity, len(weights))
    if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError("the volume profile must be finite, non-negative and not all zero.")
    exact = quantity * weights / weights.sum()
    lots = np.floor(exact).astype(np.int64)
    short = int(quantity - lots.sum())
    order = np.argsort(-(exact - lots), kind="stable")
    lots[order[:short]] += 1
    return lots


def intraday_volume_profile(bars: pd.DataFrame, n_slices: int) -> np.ndarray:
    """Average share of a session's volume traded in each of ``n_slices`` equal time buckets.

    Parameters
    ----------
    bars : DataFrame
        Intraday bars of one symbol (``timestamp`` index, ``volume`` column), several sessions.
    n_slices : int
        Buckets per session.

    Returns
    -------
    ndarray
        ``[n_slices]`` fractions summing to 1 (the VWAP profile learned from history).
    """
    index = pd.DatetimeIndex(bars.index)
    if len(index) < 2:
        raise ValueError("need intraday bars of at least one session to learn a volume profile.")
    day = index.normalize()
    seconds = (index - day).total_seconds().to_numpy()
    frame = pd.DataFrame({"day": day, "seconds": seconds, "volume": bars["volume"].to_numpy()})
    start = frame.groupby("day")["seconds"].transform("min")
    end = frame.groupby("day")["seconds"].transform("max")
    position = (frame["seconds"] - start) / (end - start).where(end > start, 1.0)
    frame["bucket"] = np.minimum((position * n_slices).astype(int), n_slices - 1)
    frame["share"] = frame["volume"] / frame.groupby("day")["volume"].transform("sum")
    profile = frame.groupby("bucket")["share"].sum().reindex(range(n_slices), fill_value=0.0)
    return (profile / profile.sum()).to_numpy()


def pov_child_quantity(participation: float, market_volume: int, remaining: int) -> int:
    """Lots for the next POV slice: ``participation`` of the volume seen in the last slice."""
    if not 0 < participation < 1:
        raise ValueError(f"participation must be in (0, 1), got {participation}.")
    return int(min(remaining, round(participation * market_volume)))


def _check(quantity: int, n_slices: int) -> None:
    if quantity < 0 or n_slices < 1:
        raise ValueError(f"need quantity >= 0 and n_slices >= 1, got {quantity} and {n_slices}.")
