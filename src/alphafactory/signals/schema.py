"""The signal file contract: its columns and the checks every file and export passes.

Signals carry no answers: a file holds ``timestamp, symbol, model, score`` and optionally
``target_weight`` and ``horizon``, never labels or fold ids. Every check raises
:class:`SignalFileError` with one line naming the source, the rows or column, and the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.errors import SignalError

KEY_COLUMNS: tuple[str, str, str] = ("timestamp", "symbol", "model")
REQUIRED_COLUMNS: tuple[str, str, str] = ("timestamp", "symbol", "score")
OPTIONAL_COLUMNS: tuple[str, ...] = ("target_weight", "horizon")
SIGNAL_COLUMNS: tuple[str, ...] = (*KEY_COLUMNS, "score", *OPTIONAL_COLUMNS)
# Columns of walk-forward predictions that hold answers (realized labels, fold ids): export drops
# them, a signal file holding one is rejected.
ANSWER_COLUMNS: tuple[str, ...] = ("label", "fold")
_MAX_LISTED = 5


class SignalFileError(SignalError):
    """A signal file or its sidecar breaks the signal contract."""


def check_columns(columns: pd.Index, source: str) -> None:
    """Raise on the first column a signal file may not hold (answers first, then unknowns)."""
    names = [str(c) for c in columns]
    answers = [c for c in names if c in ANSWER_COLUMNS]
    if answers:
        raise SignalFileError(
            f"{source}: column {answers[0]!r} is not allowed: signals carry no answers (labels "
            f"or fold ids); a signal file holds only {', '.join(SIGNAL_COLUMNS)}."
        )
    unknown = [c for c in names if c not in SIGNAL_COLUMNS]
    if unknown:
        raise SignalFileError(
            f"{source}: column {unknown[0]!r} is not a signal column; a signal file holds only "
            f"{', '.join(SIGNAL_COLUMNS)}."
        )


def validated(raw: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Return ``raw`` with parsed UTC timestamps and float scores, sorted by the key.

    Raises on unparsable timestamps, empty or NaN symbols and model names, non-finite scores or
    target weights, horizons that are not whole bars >= 1, and duplicate
    ``(timestamp, symbol, model)`` keys, naming the rows.
    """
    frame = raw.copy()
    stamps = frame["timestamp"]
    if pd.api.types.is_numeric_dtype(stamps) or pd.api.types.is_bool_dtype(stamps):
        raise SignalFileError(
            f"{source}: timestamp holds numbers (e.g. {stamps.iloc[0]}), not ISO-8601 times; "
            "write timestamps as text such as 2024-01-02T00:00:00+00:00"
        )
    timestamps = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
    bad = np.flatnonzero(timestamps.isna().to_numpy())
    if bad.size:
        raise SignalFileError(
            f"{source}: unparsable timestamp in row(s) {_rows(bad)} "
            f"(e.g. {frame['timestamp'].iloc[bad[0]]!r}); expected ISO-8601."
        )
    frame["timestamp"] = timestamps
    for name in ("symbol", "model"):
        frame[name] = _names(frame[name], name, source)
    scores = pd.to_numeric(frame["score"], errors="coerce").astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(scores.to_numpy()))
    if bad.size:
        raise SignalFileError(
            f"{source}: score is NaN, infinite or not a number in row(s) {_rows(bad)}; "
            "drop those rows or fill them before exporting."
        )
    frame["score"] = scores
    if "target_weight" in frame.columns:
        weights = pd.to_numeric(frame["target_weight"], errors="coerce").astype(np.float64)
        bad = np.flatnonzero(np.isinf(weights.to_numpy()) | (
            weights.isna().to_numpy() & frame["target_weight"].notna().to_numpy()
        ))
        if bad.size:
            raise SignalFileError(
                f"{source}: target_weight is infinite or not a number in row(s) {_rows(bad)}."
            )
        frame["target_weight"] = weights
    if "horizon" in frame.columns:
        horizon = pd.to_numeric(frame["horizon"], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~(np.isfinite(horizon) & (horizon >= 1) & (horizon % 1 == 0)))
        if bad.size:
            raise SignalFileError(
                f"{source}: horizon must be a whole number of bars >= 1; row(s) {_rows(bad)} "
                "are not."
            )
        frame["horizon"] = horizon.astype(np.int64)
    duplicated = np.flatnonzero(frame.duplicated(list(KEY_COLUMNS), keep=False).to_numpy())
    if duplicated.size:
        first = frame.iloc[duplicated[0]]
        raise SignalFileError(
            f"{source}: duplicate (timestamp, symbol, model) key in row(s) {_rows(duplicated)}, "
            f"e.g. ({first['timestamp']}, {first['symbol']}, {first['model']}); one score per key."
        )
    ordered = [*KEY_COLUMNS, "score"]
    ordered += [c for c in frame.columns if c not in ordered]
    return frame[ordered].sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)


def _names(column: pd.Series, name: str, source: str) -> pd.Series:
    """``column`` as strings; a missing, NaN or blank cell is an error naming its rows."""
    values = column.tolist()
    text = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    blank = [not t.strip() or t.lower() in ("nan", "none", "<na>") for t in text]
    bad = np.flatnonzero(np.asarray(blank, dtype=bool))
    if bad.size:
        raise SignalFileError(
            f"{source}: {name} is empty or NaN in row(s) {_rows(bad)} (got "
            f"{values[bad[0]]!r}); every row names its {name}"
        )
    return pd.Series(text, index=column.index, dtype=object).astype(str)


def check_against_bars(frame: pd.DataFrame, bars: pd.DataFrame, source: str) -> None:
    """Raise when a signal is stamped after the last bar, off the bar times, or on a new symbol."""
    if isinstance(bars.index, pd.MultiIndex):
        bar_times = pd.DatetimeIndex(bars.index.get_level_values("timestamp").unique())
        symbols = set(bars.index.get_level_values("symbol").astype(str))
    else:
        bar_times = pd.DatetimeIndex(bars.index)
        symbols = set(map(str, bars.columns)) if "close" not in bars.columns else None
    last = bar_times.max()
    beyond = np.flatnonzero((frame["timestamp"] > last).to_numpy())
    if beyond.size:
        raise SignalFileError(
            f"{source}: row(s) {_rows(beyond)} are stamped after the last bar ({last}), e.g. "
            f"{frame['timestamp'].iloc[beyond[0]]}; signals cannot come from bars not yet seen."
        )
    off = np.flatnonzero(~frame["timestamp"].isin(bar_times).to_numpy())
    if off.size:
        raise SignalFileError(
            f"{source}: row(s) {_rows(off)} have timestamps that are not bar timestamps, e.g. "
            f"{frame['timestamp'].iloc[off[0]]}."
        )
    if symbols is not None:
        unknown = sorted(set(frame["symbol"]) - symbols)
        if unknown:
            raise SignalFileError(
                f"{source}: symbol(s) {unknown[:_MAX_LISTED]} are not in the bars."
            )


def _rows(positions: np.ndarray) -> str:
    """File rows (1-based, header = row 1) of 0-based data positions, the first few."""
    rows = [str(int(p) + 2) for p in positions[:_MAX_LISTED]]
    more = f" and {positions.size - _MAX_LISTED} more" if positions.size > _MAX_LISTED else ""
    return ", ".join(rows) + more

