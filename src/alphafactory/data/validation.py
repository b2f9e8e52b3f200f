"""OHLCV validation: a report of every problem, and the raise | drop | repair policies.

Rules (``rule`` name, severity):

- ``unparsable`` (error): a timestamp or number that cannot be parsed, or a row with the wrong
  number of fields;
- ``nan`` (error): a missing, NaN or infinite field;
- ``nonpositive_price`` (error): open, high, low or close <= 0;
- ``high_below_low`` (error); ``ohlc_inconsistent`` (error): high below open/close or low above;
- ``negative_volume`` (error); ``duplicate_timestamp`` (error); ``unsorted`` (error);
- ``missing_session`` (error): a session of the calendar (``XNYS`` for equities, every day for
  crypto, weekdays for fx; holidays are not gaps) between a symbol's first and last bar without a
  bar; ``non_session`` (warning): a bar on a day that is not a session;
- ``split_signature`` (error): open / previous close within 3% of ``1/k`` (a k-for-1 split) or
  ``k`` (a reverse split) for ``k = 2..10``. Overnight moves are rarely that close to an exact
  ratio; a real crash such as AAPL's 2000-09-29 (0.527, 5.4% from 1/2) is outside the band. The
  detail shows how median volume moved (share counts scale by ``k`` at an unadjusted split, but
  trading activity around a split can hide it, so volume informs and does not decide);
- ``bar_length`` (error): intraday bars less than a second apart; ``sparse_bars`` (warning):
  intraday bars too few for their span to check bar by bar (the check is skipped);
- ``unreadable`` (error): the whole file could not be read (only in a folder's reports, so
  the other files are still checked; see :func:`unreadable_report`);
- ``unit_error`` (error): bars whose close sits a factor 100 (50x..200x, the bar's own return
  included) away from the symbol's usual level, the level most bars share (cents for dollars).

Policies: ``raise`` raises :class:`DataValidationError` when there is an error; ``drop`` removes
rows with row-level errors (duplicates keep their first copy), drops a symbol's bars before an
unadjusted split (the prices either side cannot both be right) and sorts; ``repair`` sorts,
keeps the first of duplicates, clamps high/low to cover open and close, rescales unit errors,
back-adjusts splits, and drops rows it cannot repair (unparsable, NaN, price <= 0,
negative volume). Missing sessions cannot be fixed by a row operation: they stay in the bars
with the action ``kept (no row operation fixes it)``. Every action is listed in
``report.actions`` (and counted in ``bars.attrs["validation"]``) and logged as a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data import calendars, rules
from alphafactory.data.arrow_table import release_memory
from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS
from alphafactory.data.table import to_table
from alphafactory.errors import DataError

logger = logging.getLogger(__name__)
POLICIES: tuple[str, ...] = ("raise", "drop", "repair")
_ACTION_COLUMNS = ("row", "timestamp", "symbol", "action", "rule")
# For reports, not for Bars.
_TABLE_ONLY_ATTRS = frozenset({"unparsable_text", "date_format", "timestamp_reasons"})


class DataValidationError(DataError):
    """Raised by the ``raise`` policy; carries the :class:`ValidationReport`."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.one_line())
        self.report = report


@dataclass(frozen=True, kw_only=True, slots=True)
class ValidationReport:
    """What validation found (``issues``) and what a policy did about it (``actions``).

    Attributes
    ----------
    issues : DataFrame
        Columns ``row`` (file line, or frame position; NA for a missing session), ``timestamp``,
        ``symbol``, ``rule``, ``severity`` (``error`` | ``warning``), ``detail``, ``fix``.
    source : str
        The file or ``"<frame>"``.
    n_rows : int
        Rows examined.
    calendar : str
        Calendar the sessions were checked against.
    actions : DataFrame
        Columns ``row, timestamp, symbol, action, rule``; empty unless a policy was applied.
    row_label : str
        What ``row`` counts in a file: ``line`` (CSV, the physical line, the header being
        line 1) or ``row`` (Parquet, the 0-based row index; reports say so).
    """

    issues: pd.DataFrame
    source: str = "<frame>"
    n_rows: int = 0
    calendar: str = ""
    row_label: str = "line"
    actions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_ACTION_COLUMNS))

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not (self.issues["severity"] == "error").any()

    @property
    def errors(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "error"]

    @property
    def warnings(self) -> pd.DataFrame:
        return self.issues[self.issues["severity"] == "warning"]

    def summary(self) -> dict[str, object]:
        """JSON-friendly counts: rows, errors and warnings by rule, actions by kind."""
        return {
            "source": self.source,
            "rows": self.n_rows,
            "calendar": self.calendar,
            "errors": self.errors["rule"].value_counts().to_dict(),
            "warnings": self.warnings["rule"].value_counts().to_dict(),
            "actions": self.actions["action"].value_counts().to_dict(),
        }

    def __str__(self) -> str:
        return self.format()

    def format(self, limit: int = 40) -> str:
        """Readable report: a header line, then one line per issue (at most ``limit``)."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines = [
            f"{self.source}: {self.n_rows} rows, {n_err} errors, {n_warn} warnings"
            + (f" (calendar {self.calendar})" if self.calendar else "")
            + self._numbering()
        ]
        for rec in self.issues.head(limit).itertuples(index=False):
            lines.append(f"  {self._where(rec)}: [{rec.severity}] {rec.rule}: {rec.detail}")
        if len(self.issues) > limit:
            lines.append(f"  ... and {len(self.issues) - limit} more")
        if len(self.actions):
            counts = self.actions["action"].value_counts()
            lines.append("  actions: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return "\n".join(lines)

    def one_line(self, limit: int = 3) -> str:
        """The errors on one line: source, count, then the first ``limit`` (where, rule, got)."""
        errors = self.errors
        shown = "; ".join(
            f"{self._where(rec)}: {rec.rule}: {rec.detail}"
            for rec in errors.head(limit).itertuples(index=False)
        )
        more = f"; and {len(errors) - limit} more" if len(errors) > limit else ""
        cal = f" (calendar {self.calendar})" if self.calendar else ""
        return (
            f"{self.source}: {len(errors)} validation error(s){cal}{self._numbering()}: "
            f"{shown}{more} "
            "(`alphafactory data validate` prints the full report)"
        )

    def _numbering(self) -> str:
        parquet = self.row_label == "row" and self.source != "<frame>"
        return " (rows by 0-based index)" if parquet else ""

    def _where(self, rec: Any) -> str:
        row = rec.row
        label = "row" if self.source == "<frame>" else self.row_label
        where = "-" if pd.isna(row) else f"{label} {row}"
        stamp = rec.timestamp
        stamp = "" if pd.isna(stamp) else " " + pd.Timestamp(stamp).isoformat()
        symbol = rec.symbol
        text = f"{where}{stamp}{' ' + symbol if symbol else ''}"
        if pd.isna(row):  # a missing session has a time; an unreadable file has neither
            return text.removeprefix("- ") if stamp else "file"
        return text


def unreadable_report(source: str, message: str) -> ValidationReport:
    """A report of a file that could not be read: one ``unreadable`` error holding ``message``."""
    detail = message.removeprefix(f"{source}: ").removeprefix(f"{source} ")
    issues = pd.DataFrame({"row": pd.array([pd.NA], dtype="Int64"),
                           "timestamp": pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"),
                           "symbol": [""], "rule": ["unreadable"], "severity": ["error"],
                           "detail": [detail], "fix": [np.nan]})  # fmt: skip
    return ValidationReport(issues=issues, source=source)


def validate_ohlcv(
    df: pd.DataFrame,
    *,
    asset_class: str = "equities",
    calendar: str | None = None,
    source: str = "<frame>",
) -> ValidationReport:
    """Check OHLCV data against every rule (see the module docstring); never raises on bad data.

    Parameters
    ----------
    df : DataFrame
        Bars, or a raw frame with a ``timestamp`` column (optionally ``symbol``) whose values may
        still be strings. Rows are named by position (0-based).
    asset_class : str
        ``equities`` | ``crypto`` | ``fx``: picks the default calendar.
    calendar : str, optional
        ``"24/7"``, ``"weekdays"`` or an ``exchange_calendars`` code; overrides the default.
    source : str
        Name used in the report.
    """
    table, unparsable = to_table(df)
    return validate_table(
        table, unparsable, asset_class=asset_class, calendar=calendar, source=source
    )


def validate_table(
    table: pd.DataFrame,
    unparsable: dict[str, np.ndarray],
    *,
    asset_class: str,
    calendar: str | None,
    source: str,
    row_label: str = "line",
) -> ValidationReport:
    """Validate a table made by :func:`alphafactory.data.table.to_table`."""
    cal = calendars.calendar_name(asset_class, calendar)
    keys = rules.PanelKeys.of(table)
    parts = rules.row_rules(table, unparsable) + rules.order_rules(table, keys)
    # Stamped rows in (symbol, timestamp) order, first copies; clean: without row errors.
    stamped = keys.stamped
    bad = _rows_of(parts, rules.ROW_RULES)
    clean = stamped[~np.isin(table["row"].to_numpy()[stamped], bad)] if bad else stamped
    release_memory()  # the sorts' scratch (a few arrays of the table's length) goes back
    if len(stamped):
        parts += rules.calendar_rules(table, keys, cal)
    if len(clean):
        release_memory()
        parts += rules.jump_rules(table, keys, clean)
    return ValidationReport(
        issues=_concat(parts), source=source, n_rows=len(table), calendar=cal, row_label=row_label
    )


def apply_policy(
    table: pd.DataFrame, report: ValidationReport, on_error: str
) -> tuple[pd.DataFrame, ValidationReport]:
    """Apply ``on_error`` to a validated table; return Bars and the report with ``actions``."""
    if on_error not in POLICIES:
        raise ValueError(f"on_error must be one of {list(POLICIES)}; got {on_error!r}.")
    if on_error == "raise":
        if not report.ok:
            raise DataValidationError(report)
        return _to_bars(table), report
    issues = report.issues
    actions: list[pd.DataFrame] = []
    if on_error == "drop":
        drop_rules = rules.ROW_RULES
    else:
        drop_rules = rules.ROW_RULES - {"ohlc_inconsistent", "high_below_low", "unit_error"}
    dropped = _rows_of([issues], drop_rules)
    actions.append(_actions(table, issues, dropped, "dropped", drop_rules))
    work = table[~table["row"].isin(dropped)].copy()
    if on_error == "repair":
        work, repaired = _repair(work, issues)
        actions.append(repaired)
    else:
        work, cut = _drop_before_splits(work, issues)
        actions.append(cut)
    if (issues["rule"] == "unsorted").any():
        actions.append(
            _actions(table, issues, _rows_of([issues], {"unsorted"}), "sorted", {"unsorted"})
        )
    done = _concat(actions, _ACTION_COLUMNS)
    handled = issues["rule"].isin(set(done["rule"])) | issues["row"].isin(set(done["row"].dropna()))
    left = issues[(issues["severity"] == "error") & ~handled]
    if len(left):  # say so: an error no row operation fixes stays in the bars
        actions.append(_kept(left))
    bars = _to_bars(work)
    report = replace(report, actions=_concat(actions, _ACTION_COLUMNS))
    if len(report.actions):
        logger.warning("%s", report)
    return bars, report


def _drop_before_splits(
    work: pd.DataFrame, issues: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop a symbol's bars before an unadjusted split: prices either side cannot both be right."""
    done = []
    for rec in issues[issues["rule"] == "split_signature"].itertuples(index=False):
        earlier = (_same_symbol(work, rec) & (work["timestamp"] < rec.timestamp)).to_numpy()
        work = work[~earlier]
        done.append(
            _actions(
                work.iloc[:0],
                issues,
                {rec.row},
                f"dropped {int(earlier.sum())} earlier bars (unadjusted split)",
                {"split_signature"},
            )
        )
    return work, _concat(done, _ACTION_COLUMNS)


def _same_symbol(work: pd.DataFrame, rec: Any) -> pd.Series:
    """Rows of the issue's symbol; the row's own symbol, which a file's stem may have filled."""
    own = work.loc[work["row"] == rec.row, "symbol"]
    return work["symbol"] == (own.iloc[0] if len(own) else rec.symbol)


def _kept(left: pd.DataFrame) -> pd.DataFrame:
    """Actions for errors a policy leaves as they are (a missing session has no row to drop)."""
    return pd.DataFrame(
        {
            "row": left["row"].to_numpy(),
            "timestamp": left["timestamp"].to_numpy(),
            "symbol": left["symbol"].to_numpy(),
            "action": "kept (no row operation fixes it)",
            "rule": left["rule"].to_numpy(),
        }
    )


def _repair(work: pd.DataFrame, issues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clamp high/low, rescale unit errors, back-adjust confirmed splits; list what changed."""
    done = []
    fix_rows = set(_rows_of([issues], {"ohlc_inconsistent", "high_below_low"}))
    if fix_rows:
        m = work["row"].isin(fix_rows).to_numpy()
        prices = work.loc[m, list(rules.PRICES)].to_numpy()
        work.loc[m, "high"] = prices.max(axis=1)
        work.loc[m, "low"] = prices.min(axis=1)
        done.append(
            _actions(
                work, issues, fix_rows, "clamped high/low", {"ohlc_inconsistent", "high_below_low"}
            )
        )
    unit = issues[issues["rule"] == "unit_error"]
    if len(unit):
        factor = work["row"].map(dict(zip(unit["row"], unit["fix"], strict=True))).fillna(1.0)
        for col in rules.PRICES:
            work[col] = work[col] * factor.to_numpy()
        done.append(
            _actions(work, issues, set(unit["row"]), "rescaled x1/100 or x100", {"unit_error"})
        )
    splits = issues[issues["rule"] == "split_signature"]
    for rec in splits.itertuples(index=False):
        earlier = _same_symbol(work, rec) & (work["timestamp"] < rec.timestamp)
        for col in rules.PRICES:
            work.loc[earlier, col] = work.loc[earlier, col] * rec.fix
        work.loc[earlier, "volume"] = work.loc[earlier, "volume"] / rec.fix
        done.append(
            _actions(
                work,
                issues,
                {rec.row},
                f"adjusted {int(earlier.sum())} earlier bars x{rec.fix:g}",
                {"split_signature"},
            )
        )
    return work, _concat(done, _ACTION_COLUMNS)


def _to_bars(table: pd.DataFrame) -> pd.DataFrame:
    """Bars of the stamped rows, first copy of each (symbol, timestamp), sorted by the index.

    Built from integer keys (no hashing of strings, no copy when the rows are already in order):
    the index levels are the sorted distinct timestamps and symbols.
    """
    codes, names = rules.symbol_codes(table["symbol"])
    ns = pd.DatetimeIndex(table["timestamp"]).as_unit("ns").asi8
    # Rows already in index order (the usual file, written by time then symbol) stay in place.
    in_place = bool(
        (ns != rules.NAT).all()
        and ((ns[1:] > ns[:-1]) | ((ns[1:] == ns[:-1]) & (codes[1:] > codes[:-1]))).all()
    )
    if in_place:
        order, stamps = np.arange(len(table)), ns
    else:  # index order: time, then symbol; of copies, the first in the table
        kept = np.sort(rules.PanelKeys.of(table).stamped)
        by_symbol = kept[np.argsort(codes[kept], kind="stable")]
        order = by_symbol[np.argsort(ns[by_symbol], kind="stable")]
        stamps = ns[order]
    held = np.bincount(codes, minlength=len(names)) > 0
    panel = bool((held & (names != "")).any())
    new_time = np.ones(len(stamps), dtype=bool)
    new_time[1:] = stamps[1:] != stamps[:-1]
    time_codes = np.cumsum(new_time) - 1
    times = pd.DatetimeIndex(pd.to_datetime(stamps[new_time], utc=True)).as_unit("ns")
    if panel:
        sym = codes if in_place else codes[order]
        used = np.flatnonzero(np.bincount(sym, minlength=len(names)))
        remap = np.zeros(len(names), dtype=np.int64)
        remap[used] = np.arange(len(used))
        index = pd.MultiIndex(
            levels=[times.rename("timestamp"), pd.Index(names[used], dtype=str, name="symbol")],
            codes=[time_codes, remap[sym]],
            names=list(INDEX_NAMES),
            verify_integrity=False,
        )
    else:
        index = pd.DatetimeIndex(times[time_codes], name="timestamp")
    values = table[list(OHLCV_COLUMNS)].astype(np.float64)  # a lazy copy: no work if float64
    # In place: the table's own float block under the new index (copy on write, not now).
    bars = values.set_axis(index, axis=0) if in_place else values.take(order).set_axis(index)
    bars.attrs = {k: v for k, v in table.attrs.items() if k not in _TABLE_ONLY_ATTRS}
    return bars


def _rows_of(parts: list[pd.DataFrame], wanted: set[str] | frozenset[str]) -> list:
    rows: list = []
    for part in parts:
        if len(part):
            rows += part.loc[part["rule"].isin(wanted), "row"].dropna().tolist()
    return rows


def _actions(table, issues, rows, action: str, rule_names) -> pd.DataFrame:
    picked = issues[issues["row"].isin(rows) & issues["rule"].isin(rule_names)]
    picked = picked.drop_duplicates("row")
    return pd.DataFrame(
        {
            "row": picked["row"].to_numpy(),
            "timestamp": picked["timestamp"].to_numpy(),
            "symbol": picked["symbol"].to_numpy(),
            "action": action,
            "rule": picked["rule"].to_numpy(),
        }
    )


def _concat(parts: list[pd.DataFrame], columns=rules.ISSUE_COLUMNS) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
        return empty
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    return out.sort_values(["row", "timestamp"], kind="stable", na_position="last").reset_index(
        drop=True
    )
