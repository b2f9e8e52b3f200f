"""Timestamps of raw OHLCV rows to UTC nanoseconds, with the rules one file must keep.

Values may be ISO-8601 text, text in an explicit ``date_format`` (strftime codes), datetimes,
or epoch numbers whose unit is told apart by magnitude: below 1e11 seconds, below 1e14
milliseconds, below 1e17 microseconds, else nanoseconds. Naive values are in ``tz`` (UTC when
None); date-only values are session dates and stay at UTC midnight whatever ``tz`` is, and so
are date-times that all sit at local midnight (``2024-01-02T00:00:00-05:00`` is the session of
2024-01-02, whatever the offset).

File rules, each a :class:`DataError` naming the file, the line (or row) and both values:

- one kind of stamp per file: dates, naive date-times, date-times with an offset (``Z`` or
  ``+05:00``) or epoch numbers; a file mixing them (``2024-01-02`` beside
  ``2024-01-03T00:00:00+05:00``, which is 19:00 UTC the day before) is refused;
- one epoch unit per file (seconds beside milliseconds is ambiguous);
- daily data (consecutive stamps a day or more apart) at one time of day as written: offsets
  may differ (daylight saving), the wall-clock time may not.

Cell rules (the cell is unparsable, with the reason in ``reasons``): text that is not a date,
a negative epoch, a stamp outside the nanosecond range 1677-09-22..2262-04-11.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.errors import DataError

NA_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "-"})
# Upper magnitude of each epoch unit for stamps between 1973 and 5138.
EPOCH_UNITS: tuple[tuple[str, float], ...] = (("s", 1e11), ("ms", 1e14), ("us", 1e17))
EPOCH_MS_THRESHOLD = 1e11
NS_RANGE = "1677-09-22..2262-04-11"
_LO = pd.Timestamp("1677-09-22", tz="UTC")
_HI = pd.Timestamp("2262-04-11", tz="UTC")
STAMP_RANGE = (_LO, _HI)  # stamps outside are refused (see NS_RANGE)
_KIND_PATTERNS = {
    "a date (YYYY-MM-DD)": r"^\d{4}-\d{2}-\d{2}$",
    "a date-time with an offset": r"^\d{4}-\d{2}-\d{2}[T ][\d:.]+\s*(?:Z|[+-]\d{2}:?\d{2})$",
    "a naive date-time": r"^\d{4}-\d{2}-\d{2}[T ][\d:.]+$",
}
_TIME_OF_DAY = r"^\d{4}-\d{2}-\d{2}[T ]([\d:.]+)"
_SPAN_S = min(-_LO.timestamp(), _HI.timestamp())  # seconds either side of 1970 that fit in ns


@dataclass(frozen=True, slots=True)
class Where:
    """How rows are named in errors: the source, the row names, and ``line`` or ``row``."""

    source: str = "<frame>"
    rows: np.ndarray | None = None
    label: str = "line"

    def at(self, i: int) -> str:
        """``FILE line N`` of position ``i``."""
        return f"{self.source} {self.row(i)}"

    def row(self, i: int) -> str:
        """``line N`` (or ``row N``) of position ``i``."""
        return f"{self.label} {i if self.rows is None else self.rows[i]}"


def _stamp_text(values: pd.Series) -> pd.Series:
    """The stamps as text for messages; numpy's formatter where pandas' cannot (years > 9999)."""
    try:
        return values.astype(str)
    except (ValueError, NotImplementedError, OverflowError):
        aware = isinstance(values.dtype, pd.DatetimeTZDtype)
        naive = values.dt.tz_convert(None) if aware else values
        return pd.Series(np.datetime_as_string(naive.to_numpy()), index=values.index)


def parse_timestamps(
    values: pd.Series,
    *,
    date_format: str | None = None,
    tz: str | None = None,
    where: Where | None = None,
) -> tuple[pd.DatetimeIndex, np.ndarray, dict[int, str]]:
    """Parse timestamps to UTC ns.

    Returns
    -------
    (DatetimeIndex, ndarray of bool, dict)
        The stamps (NaT where unparsable), the mask of unparsable cells, and per position the
        reason a cell was refused when it is not simply unparsable text (range, sign).

    Raises
    ------
    DataError
        When the file breaks a file rule (see the module docstring) or ``tz`` is unknown.
    """
    where = where or Where()
    check_zone(tz)
    values = values.reset_index(drop=True)
    reasons: dict[int, str] = {}
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        index = pd.DatetimeIndex(values)
        index = index.tz_convert("UTC") if index.tz is not None else _localize(index, tz)
        index = _in_range(index, lambda: _stamp_text(values), reasons)
        return index, index.isna() & ~pd.isna(values).to_numpy(), reasons
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric, text = values, values.astype(str)
        blank = values.isna().to_numpy()
    else:
        text = values.astype(str).str.strip()
        blank = text.str.lower().isin(NA_TOKENS).to_numpy() | values.isna().to_numpy()
        numeric = pd.Series(np.nan, index=values.index)
        # Only cells without a date separator after a digit can be epoch numbers; skipping the
        # rest keeps a file of ISO dates clear of a slow failed number parse per cell.
        maybe = ~blank & ~text.str.contains(r"\d[-/:T ]", regex=True).fillna(False).to_numpy()
        if date_format is None and maybe.all():  # integers stay int64 (ns epochs keep every ns)
            numeric = pd.to_numeric(text, errors="coerce")
        elif date_format is None and maybe.any():
            numeric[maybe] = pd.to_numeric(text[maybe], errors="coerce")
    is_epoch = numeric.notna().to_numpy() & ~blank
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    if is_epoch.any():
        parsed[is_epoch] = _from_epoch(numeric[is_epoch], text, where, reasons)
    rest = ~is_epoch & ~blank
    if rest.any():
        if date_format is None:
            _check_kinds(text, is_epoch, rest, where)
        parsed[rest] = _parse_text(text[rest], date_format, tz, reasons)
    index = pd.DatetimeIndex(parsed).as_unit("ns")
    if date_format is None and rest.any():
        _check_time_of_day(index, text, rest, where)
    return index, (~blank & index.isna()) | blank, reasons


def check_zone(tz: str | None) -> None:
    """Raise DataError unless ``tz`` is None or an IANA zone name."""
    if tz is None:
        return
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:  # zoneinfo raises its own KeyError subclass for an unknown zone
        raise DataError(
            f"--tz / tz: unknown time zone {tz!r} (rule: an IANA name such as "
            "'America/New_York')"
        ) from None


def _from_epoch(
    numbers: pd.Series, text: pd.Series, where: Where, reasons: dict[int, str]
) -> pd.Series:
    """Epoch numbers to UTC; one unit per file, by magnitude; negatives are refused."""
    positions = numbers.index.to_numpy()
    size = np.abs(numbers.to_numpy(dtype=np.float64))
    units = np.full(len(size), "ns", dtype=object)
    for unit, top in reversed(EPOCH_UNITS):
        units[size < top] = unit
    negative = numbers.to_numpy(dtype=np.float64) < 0
    for i in positions[negative]:
        reasons[int(i)] = "a negative epoch (rule: epoch numbers count from 1970)"
    ok = ~negative
    kinds = pd.unique(units[ok])
    if len(kinds) > 1:
        first = units[ok][0]
        j = int(np.flatnonzero(ok & (units != first))[0])
        i0 = int(positions[ok][0])
        raise DataError(
            f"{where.at(int(positions[j]))}: epoch {text[positions[j]]} reads as {units[j]} "
            f"while {where.row(i0)}'s {text[i0]} reads as {first} (rule: one "
            "epoch unit per file, told by magnitude: s < 1e11 <= ms < 1e14 <= us < 1e17 <= ns); "
            "got mixed units."
        )
    out = pd.Series(pd.NaT, index=numbers.index, dtype="datetime64[ns, UTC]")
    if not ok.any():
        return out
    unit = str(kinds[0])
    kept = numbers[ok]
    # Integers stay integers: float64 would round nanosecond stamps to ~256 ns.
    if pd.api.types.is_integer_dtype(kept):
        raw = kept.to_numpy(dtype=np.int64)
    else:
        raw = kept.to_numpy(dtype=np.float64)
    limit = _SPAN_S * {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]
    inside = np.abs(raw.astype(np.float64)) <= limit
    for i in kept.index.to_numpy()[~inside]:
        reasons[int(i)] = f"outside the range {NS_RANGE} (rule: stamps fit in nanoseconds)"
    good = kept.index.to_numpy()[inside]
    out[good] = pd.to_datetime(raw[inside], unit=unit, utc=True, errors="coerce")
    return out


def _check_kinds(text: pd.Series, is_epoch: np.ndarray, rest: np.ndarray, where: Where) -> None:
    """Refuse a file mixing dates, naive date-times, offset date-times and epoch numbers."""
    codes = np.full(len(text), -1)
    codes[is_epoch] = 0
    names = ["an epoch number", *_KIND_PATTERNS]
    for code, pattern in enumerate(_KIND_PATTERNS.values(), start=1):
        hit = rest & (codes < 0) & text.str.match(pattern).fillna(False).to_numpy()
        codes[hit] = code
        if (codes[rest] >= 0).all():
            break  # every stamp has a kind: a file of one kind costs one pass
    kinds = pd.Series(np.asarray(names, dtype=object)[codes.clip(0)], index=text.index)
    known = kinds[codes >= 0]
    if known.nunique() <= 1:
        return
    first = known.iloc[0]
    j = int(known.index[(known != first).to_numpy()][0])
    i0 = int(known.index[0])
    raise DataError(
        f"{where.at(j)}: timestamp {text[j]!r} is {known[j]} while "
        f"{where.row(i0)}'s {text[i0]!r} is {first} (rule: one timestamp "
        "format and one kind of zone per file; mixed ones put daily bars at two times of day); "
        "got mixed formats."
    )


def _check_time_of_day(
    index: pd.DatetimeIndex, text: pd.Series, rest: np.ndarray, where: Where
) -> None:
    """Daily bars must share one wall-clock time of day, as written in the file.

    The data is daily when every date written in the file has one time of day (intraday bars
    have several); the written dates, not the UTC stamps, decide, since mixed offsets can
    bring two days' bars within hours of each other.
    """
    clock = text.str.extract(_TIME_OF_DAY, expand=False)
    has = rest & clock.notna().to_numpy() & index.notna()
    if has.sum() < 2:
        return
    times = clock[has].str.replace(r"\.0*$", "", regex=True)
    dates = text[has].str.slice(0, 10)
    if dates.nunique() < 2 or (times.groupby(dates).nunique() > 1).any():
        return
    first = times.iloc[0]
    differ = (times != first).to_numpy()
    if differ.any():
        j, i0 = int(times.index[differ][0]), int(times.index[0])
        raise DataError(
            f"{where.at(j)}: daily bar at {times[j]} while "
            f"{where.row(i0)}'s is at {first} (rule: daily bars share one time "
            "of day as written; offsets may differ); got two times of day."
        )


def _parse_text(
    text: pd.Series, date_format: str | None, tz: str | None, reasons: dict[int, str]
) -> pd.DatetimeIndex:
    """Text stamps to UTC; naive ones are in ``tz``; local midnights everywhere are dates."""
    fmt = date_format or "ISO8601"
    try:
        local = pd.DatetimeIndex(pd.to_datetime(text, format=fmt, errors="coerce"))
    except (ValueError, TypeError) as exc:  # mixed offsets: every value carries its own zone
        if date_format is not None and "directive" in str(exc):
            raise DataError(
                f"--date-format / date_format {date_format!r}: not a strftime format (rule: "
                f"codes such as %Y-%m-%d or %m/%d/%Y); got: {exc}"
            ) from None
        local = None
    if local is None or local.tz is not None:
        clock = text.str.extract(_TIME_OF_DAY, expand=False)
        midnight = clock.str.fullmatch(r"0{2}(:0{2}){0,2}(\.0*)?")
        wall_midnight = bool(clock.notna().all() and midnight.all())
        if wall_midnight:  # every stamp at local midnight: session dates, whatever the offset
            dates = text.str.slice(0, 10)
            index = pd.DatetimeIndex(pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce"))
            return _in_range(index.tz_localize("UTC"), text, reasons)
        utc = pd.DatetimeIndex(pd.to_datetime(text, format=fmt, utc=True, errors="coerce"))
        return _in_range(utc, text, reasons)
    return _in_range(_localize(local, tz), text, reasons)


def _in_range(
    index: pd.DatetimeIndex,
    text: pd.Series | Callable[[], pd.Series],
    reasons: dict[int, str],
) -> pd.DatetimeIndex:
    """NaT (with a reason) for stamps outside the nanosecond range, then UTC ns.

    ``text`` may be a function making it: formatting millions of datetimes costs seconds, and
    only a stamp out of range needs it.
    """
    out = (index < _LO) | (index > _HI)
    if out.any():
        text = text() if callable(text) else text
        for i in text.index.to_numpy()[out]:
            reasons[int(i)] = f"outside the range {NS_RANGE} (rule: stamps fit in nanoseconds)"
        index = index.where(~out, pd.NaT)
    return index.as_unit("ns")


def _localize(index: pd.DatetimeIndex, tz: str | None) -> pd.DatetimeIndex:
    """Naive stamps in ``tz`` to UTC; an all-midnight index (dates) is taken as UTC dates."""
    valid = index[index.notna()]
    if tz is None or (len(valid) and (valid == valid.normalize()).all()):
        return index.tz_localize("UTC")
    check_zone(tz)
    return index.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")
