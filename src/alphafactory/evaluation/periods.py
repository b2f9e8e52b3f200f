"""How many bars make a year, from the spacing of an index and its trading calendar.

Rules (``dt`` is the median spacing of the unique timestamps):

- ``dt`` about one day: 252 sessions a year for a weekday calendar (equities, futures, FX),
  365 when the index trades on Saturdays (crypto).
- ``dt`` of several days: 52 (weekly), 12 (monthly), 4 (quarterly) or 1 (yearly), whichever
  ``365.25 days / dt`` is closest to on a log scale.
- ``dt`` under a day (intraday bars): ``days_per_year * bars_per_session`` with
  ``bars_per_session`` the larger of ``round(session_length / dt)`` and the median number of
  bars per UTC date. ``session_length`` is the median, over UTC dates with at least two bars,
  of ``last - first + dt`` (a 09:30-16:00 session of 5-minute bars stamped at their end gives
  78 bars, a 24-hour market 288); the count catches a shorter last bar (hourly bars of a
  6.5-hour session: 7). ``days_per_year`` is 365 when Saturdays hold bars, else 252.

With a ``calendar`` (``"XNYS"``, any exchange_calendars code, ``"24/7"``, ``"weekdays"``) the
calendar decides instead of the index's look: ``days_per_year`` is 365 for ``24/7`` and 252
otherwise, and intraday ``bars_per_session`` is the bar count of a regular (not early-closing)
session of that calendar at the index's bar length, so ``periods_per_year = sessions x bars per
session``: 26 x 252 = 6552 for 15-minute XNYS bars, 390 x 252 for 1-minute bars, whatever
early closes, holidays or missing bars the index holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.evaluation._inputs import timestamps_of

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
_LOW_FREQUENCIES = np.array([52.0, 12.0, 4.0, 1.0])
_DAY = pd.Timedelta(days=1)


def infer_periods_per_year(
    index: pd.Index | pd.Series | pd.DataFrame, calendar: str | None = None
) -> float:
    """Infer the number of bars per year from an index's spacing and calendar.

    Parameters
    ----------
    index : DatetimeIndex, MultiIndex with a ``timestamp`` level, or a pandas object carrying one
        Needs at least two distinct timestamps.
    calendar : str, optional
        The trading calendar of the bars (see the module docstring); inferred from the index
        when None.

    Returns
    -------
    float
        Bars per year, e.g. 252 (daily equities), 365 (daily crypto), 252 * 78 = 19656
        (5-minute bars of a 6.5-hour session), 52 (weekly).

    Notes
    -----
    See the module docstring for the rules. ``periods_per_year`` of every metric can be given
    explicitly instead; do that when the index is too short or irregular to tell.
    """
    if isinstance(index, pd.Series | pd.DataFrame):
        index = index.index
    stamps = timestamps_of(index)
    if stamps is None:
        raise ValueError(
            "cannot infer periods_per_year: expected a DatetimeIndex (or a (timestamp, symbol) "
            f"MultiIndex); got {type(index).__name__} with names {list(index.names)}. "
            "Pass periods_per_year explicitly."
        )
    if len(stamps) < 2:
        raise ValueError(
            f"cannot infer periods_per_year from {len(stamps)} distinct timestamp(s); "
            "need at least 2, or pass periods_per_year explicitly."
        )
    stamps = stamps.as_unit("ns")
    spacing = pd.Timedelta(np.median(np.diff(stamps.asi8)), unit="ns")
    trades_weekends = bool((stamps.day_of_week == 5).any())
    if calendar is not None:
        trades_weekends = calendar == "24/7"
    days = CALENDAR_DAYS_PER_YEAR if trades_weekends else TRADING_DAYS_PER_YEAR
    if spacing >= 0.75 * _DAY:
        if spacing <= 1.5 * _DAY or (spacing <= 3.5 * _DAY and not trades_weekends):
            return float(days)
        per_year = pd.Timedelta(days=365.25) / spacing
        nearest = np.argmin(np.abs(np.log(_LOW_FREQUENCIES / per_year)))
        return float(_LOW_FREQUENCIES[nearest])
    if calendar is not None:
        from alphafactory.data.calendars import regular_bars_per_session

        step = _bar_length(stamps)
        return float(days * regular_bars_per_session(calendar, step))
    return float(days * _bars_per_session(stamps, spacing))


def _bar_length(stamps: pd.DatetimeIndex) -> pd.Timedelta:
    """The most common spacing under a day (the bar length of intraday bars)."""
    diffs = np.diff(stamps.asi8)
    within = diffs[(diffs > 0) & (diffs < _DAY.value)]
    values, counts = np.unique(within, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def _bars_per_session(stamps: pd.DatetimeIndex, spacing: pd.Timedelta) -> int:
    dates = stamps.normalize()
    frame = pd.Series(stamps.asi8, index=dates)
    grouped = frame.groupby(level=0)
    span = (grouped.max() - grouped.min())[grouped.size() >= 2]
    if span.empty:
        raise ValueError(
            "cannot infer the session length: no calendar date holds two bars. "
            "Pass periods_per_year explicitly."
        )
    session = float(np.median(span.to_numpy())) + spacing.value
    by_span = round(session / spacing.value)
    by_count = int(np.median(grouped.size().to_numpy()))
    return max(1, by_span, by_count)
