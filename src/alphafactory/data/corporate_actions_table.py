"""The corporate actions table: splits and cash dividends, one row per ``(symbol, ex_date)``.

On disk a CSV file ``symbol,ex_date,split,dividend``: ``split`` is new shares per old share (2
for 2-for-1, 0.1 for 1-for-10; empty or 1 for none), ``dividend`` the cash per share as paid,
in the share units trading on the ex-date (empty or 0 for none). Every reader validates every
row and raises one line naming the file line (or row), field, rule and value of the first bad
one, as the bars readers do. How actions adjust bars: :mod:`alphafactory.data.corporate_actions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.errors import DataError, SourceNotFoundError

__all__ = [
    "ACTION_COLUMNS",
    "CorporateActions",
    "read_corporate_actions",
    "write_corporate_actions",
]

ACTION_COLUMNS: tuple[str, ...] = ("symbol", "ex_date", "split", "dividend")
_RULES = {
    "symbol": "not empty",
    "ex_date": "a date YYYY-MM-DD",
    "split": "a number > 0, new shares per old share: 2 for 2-for-1, 0.1 for 1-for-10, "
    "1 or empty for none",
    "dividend": "a number >= 0, cash per share as paid on the ex-date, 0 or empty for none",
}


@dataclass(frozen=True, kw_only=True, slots=True, eq=False)
class CorporateActions:
    """Splits and cash dividends, one row per ``(symbol, ex_date)``.

    Attributes
    ----------
    table : DataFrame
        Columns ``symbol`` (str), ``ex_date`` (UTC midnight), ``split`` (float, 1 = none),
        ``dividend`` (float, 0 = none), sorted by symbol then ex-date. Given any frame with these
        columns (dates as text, dates or timestamps; empty numbers as none), it is validated and
        normalized; a bad value raises :class:`DataError` naming the row, field, rule and value.
    source : str
        Where the actions come from, for messages.
    """

    table: pd.DataFrame
    source: str = "corporate actions"

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", _validated(self.table, self.source, None))

    @classmethod
    def empty(cls, source: str = "corporate actions") -> CorporateActions:
        """A table without actions."""
        return cls(table=pd.DataFrame({c: [] for c in ACTION_COLUMNS}), source=source)

    @classmethod
    def from_events(cls, events: pd.DataFrame, *, source: str) -> CorporateActions:
        """Build from events that may share a ``(symbol, ex_date)``: their splits multiply and
        their dividends add (a regular and a special dividend going ex the same day)."""
        frame = events.loc[:, list(ACTION_COLUMNS)].copy()
        frame["split"] = pd.to_numeric(frame["split"], errors="coerce").fillna(1.0)
        frame["dividend"] = pd.to_numeric(frame["dividend"], errors="coerce").fillna(0.0)
        frame["ex_date"] = _dates(frame["ex_date"])
        grouped = frame.groupby(["symbol", "ex_date"], sort=True, dropna=False)
        table = grouped.agg(split=("split", "prod"), dividend=("dividend", "sum")).reset_index()
        return cls(table=table, source=source)

    @classmethod
    def concat(
        cls, parts: Iterable[CorporateActions], source: str = "corporate actions"
    ) -> CorporateActions:
        """One table of several (e.g. one per symbol); a ``(symbol, ex_date)`` in two raises."""
        tables = [p.table for p in parts]
        if not tables:
            return cls.empty(source)
        return cls(table=pd.concat(tables, ignore_index=True), source=source)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"CorporateActions({len(self)} rows, {len(self.symbols)} symbols, {self.source})"

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols with at least one action, sorted."""
        return tuple(self.table["symbol"].unique())

    def for_symbols(self, symbols: Sequence[str]) -> CorporateActions:
        """The actions of ``symbols`` only."""
        return self._subset(self.table["symbol"].isin(list(symbols)).to_numpy())

    def between(
        self, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
    ) -> CorporateActions:
        """The actions with ``start <= ex_date < end`` (either bound optional)."""
        dates = self.table["ex_date"]
        keep = np.ones(len(dates), dtype=bool)
        if start is not None:
            keep &= (dates >= _utc_day(start)).to_numpy()
        if end is not None:
            keep &= (dates < _utc_day(end)).to_numpy()
        return self._subset(keep)

    def known_at(self, as_of: str | pd.Timestamp) -> CorporateActions:
        """The actions with ``ex_date <= as_of``: what is known at ``as_of`` (point in time)."""
        return self._subset((self.table["ex_date"] <= _utc(as_of)).to_numpy())

    def _subset(self, keep: np.ndarray) -> CorporateActions:
        return CorporateActions(table=self.table[keep].reset_index(drop=True), source=self.source)


def read_corporate_actions(path: str | Path) -> CorporateActions:
    """Read a ``symbol,ex_date,split,dividend`` CSV file (see the module doc).

    Raises
    ------
    SourceNotFoundError
        When there is no file at ``path``.
    DataError
        Naming the file line, field, rule and value of the first bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"No corporate actions file at {path}.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{path}: not a corporate actions CSV (rule: header symbol,ex_date,split,dividend); "
            f"got: {' '.join(str(exc).split())}"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    lines = np.arange(len(frame)) + 2  # 1-based file lines after the header
    filled = frame.apply(lambda col: col.str.strip() != "").any(axis=1).to_numpy()
    frame, lines = frame[filled], lines[filled]
    table = _validated(frame, str(path), lines)
    return CorporateActions(table=table, source=str(path))


def write_corporate_actions(actions: CorporateActions, path: str | Path) -> Path:
    """Write ``actions`` as CSV (dates ``YYYY-MM-DD``, floats in shortest round-trip form)."""
    flat = actions.table.copy()
    flat["ex_date"] = pd.DatetimeIndex(flat["ex_date"]).strftime("%Y-%m-%d")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flat.loc[:, list(ACTION_COLUMNS)].to_csv(path, index=False, lineterminator="\n")
    return path


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _utc_day(value: str | pd.Timestamp) -> pd.Timestamp:
    return _utc(value).normalize()


def _dates(values: pd.Series) -> pd.Series:
    """Dates as UTC midnight (NaT where unparsable); an aware timestamp keeps its local date."""
    try:
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    except ValueError:  # several time zones in one column: each value's own local date
        parsed = pd.Series([_local(v) for v in values], index=values.index, dtype="datetime64[ns]")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    parsed = parsed.dt.as_unit("ns")
    not_midnight = parsed.notna() & (parsed != parsed.dt.normalize())
    return parsed.mask(not_midnight).dt.tz_localize("UTC")


def _local(value: object) -> pd.Timestamp:
    ts = pd.to_datetime(value, errors="coerce", format="ISO8601")
    return ts if ts is pd.NaT or ts.tzinfo is None else ts.tz_localize(None)


def _numbers(values: pd.Series, default: float) -> tuple[pd.Series, np.ndarray]:
    """Floats (``default`` where empty) and where the text was not a finite number."""
    if pd.api.types.is_numeric_dtype(values):
        parsed = values.astype(np.float64)
        blank = parsed.isna()
    else:
        text = values.astype("string").str.strip()
        blank = (text.isna() | (text == "")).astype(bool)
        parsed = pd.to_numeric(text, errors="coerce").astype(np.float64)
    bad = (~blank & ~np.isfinite(parsed.fillna(np.inf))).to_numpy()
    return parsed.where(~blank, default), bad


def _validated(frame: pd.DataFrame, source: str, lines: np.ndarray | None) -> pd.DataFrame:
    """The normalized table, or a DataError on the first bad row (named by file line or row)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: corporate actions must be a DataFrame; got {type(frame)}.")
    where: Callable[[int], str] = (
        (lambda i: f"{source} line {lines[i]}")
        if lines is not None
        else (lambda i: f"{source} row {frame.index[i]!r}")
    )
    columns = [str(c) for c in frame.columns]
    missing = [c for c in ACTION_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in ACTION_COLUMNS]
    if missing or unknown:
        raise DataError(
            f"{source}{' line 1 (header)' if lines is not None else ''}: columns "
            f"(rule: exactly {','.join(ACTION_COLUMNS)}); missing {missing}, unknown {unknown}."
        )
    symbol = frame["symbol"].astype("string").str.strip().fillna("")
    ex_date = _dates(frame["ex_date"])
    split, bad_split = _numbers(frame["split"], 1.0)
    dividend, bad_dividend = _numbers(frame["dividend"], 0.0)
    bad = {
        "symbol": (symbol == "").to_numpy(),
        "ex_date": ex_date.isna().to_numpy(),
        "split": bad_split | ~(split > 0).to_numpy(),
        "dividend": bad_dividend | ~(dividend >= 0).to_numpy(),
    }
    table = pd.DataFrame(
        {
            "symbol": symbol.astype(object).to_numpy(),
            "ex_date": pd.DatetimeIndex(ex_date),
            "split": split.to_numpy(),
            "dividend": dividend.to_numpy(),
        }
    )
    bad["ex_date"] = bad["ex_date"] | table.duplicated(["symbol", "ex_date"]).to_numpy()
    rows = np.flatnonzero(np.any(np.column_stack(list(bad.values())), axis=1)) if len(table) else []
    if len(rows):
        i = int(rows[0])
        field = next(f for f, mask in bad.items() if mask[i])
        rule = _RULES[field]
        if field == "ex_date" and not ex_date.isna().iloc[i]:
            rule = "one row per symbol and ex_date: a split and a dividend share the row"
        raise DataError(f"{where(i)}: field {field} (rule: {rule}); got {frame[field].iloc[i]!r}.")
    table = table.astype({"split": np.float64, "dividend": np.float64})
    table["ex_date"] = pd.DatetimeIndex(table["ex_date"]).tz_convert("UTC").as_unit("ns")
    return table.sort_values(["symbol", "ex_date"], kind="stable").reset_index(drop=True)
