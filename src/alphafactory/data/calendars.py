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
            days = cal.sessions_in_range(first, last) if first <= last else pd.DatetimeIndex([])
    return pd.DatetimeIndex(days).tz_localize("UTC").as_unit("ns").rename("timestamp")


@functools.lru_cache(maxsize=16)
def _exchange_calendar(name: str, first_year: int):  # -> exchange_calendars.ExchangeCalendar
    import exchange_calendars as xcals

    try:
        default = xcals.get_calendar(name)
    except xcals.errors.InvalidCalendarName as exc:
        raise ValueError(
            f"Unknown calendar {name!r}: use '24/7', 'weekdays' or an exchange_calendars code "
            "such as 'XNYS', 'XLON', 'XTKS'."
        ) from exc
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
