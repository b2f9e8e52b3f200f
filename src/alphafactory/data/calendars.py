"""Trading calendars per asset class: which dates should have a bar.

Equities use an ``exchange_calendars`` calendar (``XNYS`` by default), so holidays and ad hoc
closures are not gaps; crypto trades every day (``"24/7"``); fx every weekday (``"weekdays"``).
Sessions are returned as UTC-midnight timestamps, the stamp of a daily bar.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator

import pandas as pd

from alphafactory.errors import ConfigError

ASSET_CLASSES: tuple[str, ...] = ("equities", "crypto", "fx")
DEFAULT_CALENDARS: dict[str, str] = {"equities": "XNYS", "crypto": "24/7", "fx": "weekdays"}


def check_asset_class(asset_class: str) -> str:
    """Return ``asset_class`` or raise ``ValueError`` listing the known ones."""
    if asset_class not in ASSET_CLASSES:
        raise ValueError(f"asset_class must be one of {list(ASSET_CLASSES)}; got {asset_class!r}.")
    return asset_class


def calendar_name(asset_class: str, calendar: str | None = None) -> str:
    """The calendar used for ``asset_class`` when ``calendar`` is None, else ``calendar``."""
    check_asset_class(asset_class)
    return calendar if calendar is not None else DEFAULT_CALENDARS[asset_class]


def sessions(name: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Session dates of calendar ``name`` in ``[start, end]`` as UTC-midnight timestamps.

    Parameters
    ----------
    name : str
        ``"24/7"``, ``"weekdays"`` or an ``exchange_calendars`` code such as ``"XNYS"``.
    start, end : Timestamp
        Range (dates; the time of day is ignored). Dates past the calendar's last known session
        are left out, so data newer than the calendar is never reported as a gap.
    """
    first, last = _day(start), _day(end)
    if first > last:
        return pd.DatetimeIndex([], tz="UTC", name="timestamp").as_unit("ns")
    if name == "24/7":
        days = pd.date_range(first, last, freq="D")
    elif name == "weekdays":
        days = pd.bdate_range(first, last)
    else:
        with _quiet_pandas():
            cal = _exchange_calendar(name, first.year)
            last = min(last, pd.Timestamp(cal.last_session))
            first = max(first, pd.Timestamp(cal.first_session))  # 1 January may be a holiday
            days = cal.sessions_in_range(first, last) if first <= last else pd.DatetimeIndex([])
    return pd.DatetimeIndex(days).tz_localize("UTC").as_unit("ns").rename("timestamp")


def check_calendar(name: str, label: str = "calendar") -> str:
    """Return ``name`` when it is a calendar this package knows; else a ConfigError naming it."""
    if name in ("24/7", "weekdays"):
        return name
    import exchange_calendars as xcals

    if name not in set(xcals.get_calendar_names(include_aliases=True)):
        raise _unknown(name, label)
    return name


def _unknown(name: object, label: str = "calendar") -> ConfigError:
    return ConfigError(
        f"{label}: unknown calendar {name!r} (rule: '24/7', 'weekdays' or an exchange_calendars "
        "code such as 'XNYS', 'XLON', 'XTKS')."
    )


@functools.lru_cache(maxsize=16)
def _exchange_calendar(name: str, first_year: int):  # -> exchange_calendars.ExchangeCalendar
    import exchange_calendars as xcals

    try:
        default = xcals.get_calendar(name)
    except xcals.errors.InvalidCalendarName:
        raise _unknown(name) from None
    start = pd.Timestamp(year=first_year, month=1, day=1)
    if start >= pd.Timestamp(default.first_session):
        return default
    return xcals.get_calendar(name, start=start)


@contextlib.contextmanager
def _quiet_pandas() -> Iterator[None]:
    """Silence a pandas 3.1 deprecation raised inside exchange_calendars 4.13 (not our code)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray that drops")
        yield


def _day(ts: pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def bar_stamps(
    name: str, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta
) -> pd.DatetimeIndex:
    """End stamps of the intraday bars of length ``step`` in calendar ``name``'s sessions.

    Parameters
    ----------
    name : str
        ``"24/7"`` (every day, 00:00-24:00 UTC), ``"weekdays"`` (Monday to Friday, 00:00-24:00
        UTC) or an ``exchange_calendars`` code: its session opens and closes in UTC, so DST,
        holidays and early closes (a 13:00 New York close gives a last bar at 13:00) count.
    start, end : Timestamp
        First and last session dates (time of day ignored).
    step : Timedelta
        Bar length, under a day. A session whose length is not a multiple of ``step`` ends with
        a shorter bar stamped at the close (hourly bars of XNYS end 10:30, ..., 15:30, 16:00).

    Returns
    -------
    DatetimeIndex
        UTC, nanoseconds, sorted, named ``timestamp``.
    """
    step = pd.Timedelta(step)
    if not pd.Timedelta(0) < step < pd.Timedelta(days=1):
        raise ValueError(f"intraday bar length must lie strictly within (0, 1 day); got {step}.")
    return _bar_stamps(name, _day(start), _day(end), step)


@functools.lru_cache(maxsize=64)
def _bar_stamps(
    name: str, first: pd.Timestamp, last: pd.Timestamp, step: pd.Timedelta
) -> pd.DatetimeIndex:
    """:func:`bar_stamps` on normalized dates (cached: symbols of a panel share their range)."""
    if name in ("24/7", "weekdays"):
        days = sessions(name, first, last)
        per_day = -(-pd.Timedelta(days=1) // step)
        offsets = [min(step * (k + 1), pd.Timedelta(days=1)) for k in range(per_day)]
        stamps = (days.tz_localize(None).to_numpy()[:, None] + pd.to_timedelta(offsets).to_numpy())
        return pd.DatetimeIndex(stamps.ravel()).tz_localize("UTC").as_unit("ns").rename("timestamp")
    with _quiet_pandas():
        cal = _exchange_calendar(name, first.year)
        last = min(last, pd.Timestamp(cal.last_session))
        first = max(first, pd.Timestamp(cal.first_session))
        if first > last:
            return pd.DatetimeIndex([], tz="UTC", name="timestamp").as_unit("ns")
        index = cal.trading_index(
            first, last, period=step, intervals=False, closed="right", force_close=True
        )
    index = pd.DatetimeIndex(index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return index.as_unit("ns").rename("timestamp")


def session_dates(stamps: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The UTC session date of intraday bars stamped with their end (a bar ending at midnight
    belongs to the day before)."""
    return (pd.DatetimeIndex(stamps) - pd.Timedelta(1, "ns")).normalize()


def regular_bars_per_session(name: str, step: pd.Timedelta, year: int = 2019) -> int:
    """Bars of length ``step`` in a regular (not early-closing) session of calendar ``name``:
    the most common count over one year (26 for 15-minute bars of XNYS, 96 for 24/7)."""
    stamps = bar_stamps(
        name, pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31),
        step,
    )  # fmt: skip
    counts = pd.Series(1, index=session_dates(stamps)).groupby(level=0).size()
    return int(counts.mode().max())
