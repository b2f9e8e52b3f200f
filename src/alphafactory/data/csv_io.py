"""OHLCV CSV files: the loader (validated, with a policy) and the writer.

On disk: a header row ``timestamp,open,high,low,close,volume`` (any case; ``date`` is accepted
for ``timestamp``, an optional ``symbol`` column makes a panel, an optional ``adj_close``
adjusts prices), one bar a row. The writer emits ``YYYY-MM-DD`` for daily data (every stamp at
UTC midnight) and ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` otherwise, and floats in their shortest
round-trip form, so CSV -> Parquet -> CSV reproduces the file byte for byte.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.schema import normalize_bars
from alphafactory.data.table import canonical_name, to_table
from alphafactory.data.validation import ValidationReport, apply_policy, validate_table


def load_ohlcv_csv(
    path: str | Path,
    *,
    on_error: str = "raise",
    asset_class: str = "equities",
    calendar: str | None = None,
    return_report: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, ValidationReport]:
    """Read an OHLCV CSV into Bars, validating every row.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    on_error : str
        ``raise`` (``DataValidationError`` on any error), ``drop`` or ``repair`` (see
        :mod:`alphafactory.data.validation`); what was dropped or repaired is in the report,
        in ``bars.attrs["validation"]`` and logged as a warning.
    asset_class : str
        ``equities`` | ``crypto`` | ``fx``; picks the calendar for the session check.
    calendar : str, optional
        Overrides the asset class's calendar.
    return_report : bool
        Also return the :class:`ValidationReport`.

    Returns
    -------
    DataFrame or (DataFrame, ValidationReport)
        Bars indexed by ``timestamp`` (or ``(timestamp, symbol)`` with a symbol column), with
        ``attrs``: ``source``, ``asset_class``, ``adjustment``, ``validation`` (counts).
    """
    table, report = _read_and_validate(path, asset_class, calendar)
    bars, report = apply_policy(table, report, on_error)
    bars.attrs.update(
        {
            "source": report.source,
            "asset_class": asset_class,
            "adjustment": table.attrs.get("adjustment", "as in source"),
            "validation": report.summary(),
        }
    )
    return (bars, report) if return_report else bars


def validate_csv(
    path: str | Path, *, asset_class: str = "equities", calendar: str | None = None
) -> ValidationReport:
    """Validate an OHLCV CSV file without loading it as Bars; rows are named by file line."""
    return _read_and_validate(path, asset_class, calendar)[1]


def _read_and_validate(
    path: str | Path, asset_class: str, calendar: str | None
) -> tuple[pd.DataFrame, ValidationReport]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No CSV file at {path}.")
    raw, lines, bad_lines, header = _read_text_table(path)
    table, unparsable = to_table(raw, rows=lines)
    if len(bad_lines):
        table, unparsable = _with_bad_lines(table, unparsable, bad_lines, header)
    report = validate_table(
        table, unparsable, asset_class=asset_class, calendar=calendar, source=str(path)
    )
    return table, report


def write_ohlcv_csv(bars: pd.DataFrame, path: str | Path) -> Path:
    """Write Bars to a CSV file in the on-disk contract (parents created); return the path."""
    bars = normalize_bars(bars)
    flat = bars.reset_index()
    stamps = pd.DatetimeIndex(flat["timestamp"])
    if (stamps == stamps.normalize()).all():
        text = stamps.strftime("%Y-%m-%d")
    elif (stamps.microsecond == 0).all() and (stamps.nanosecond == 0).all():
        text = stamps.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        text = stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    flat["timestamp"] = np.asarray(text, dtype=object)
    columns = ["timestamp", *(["symbol"] if "symbol" in flat.columns else []), *OHLCV_COLUMNS]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flat[columns].to_csv(path, index=False, lineterminator="\n")
    return path


def _read_text_table(path: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """All cells as text; lines with the wrong number of fields are set aside by line number."""
    lines = pd.Series(path.read_text(encoding="utf-8-sig").splitlines(), dtype="string")
    if not len(lines) or not str(lines.iloc[0]).strip():
        raise ValueError(
            f"{path}: empty file; expected a header timestamp,open,high,low,close,volume."
        )
    header = [canonical_name(c) for c in str(lines.iloc[0]).split(",")]
    body = lines.iloc[1:]
    body = body[body.str.strip().str.len() > 0]
    numbers = body.index.to_numpy() + 1  # 1-based file line numbers
    good = (body.str.count(",") == len(header) - 1).to_numpy()
    text = "\n".join([str(lines.iloc[0]), *body[good].tolist()])
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame, numbers[good], numbers[~good], header


def _with_bad_lines(
    table: pd.DataFrame, unparsable: dict[str, np.ndarray], bad_lines: np.ndarray, header: list[str]
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Append one all-NaN row per line that had the wrong number of fields."""
    extra = pd.DataFrame({"row": bad_lines, "symbol": ""})
    extra["timestamp"] = pd.Series(pd.NaT, index=extra.index, dtype="datetime64[ns, UTC]")
    for col in OHLCV_COLUMNS:
        extra[col] = np.nan
    attrs = dict(table.attrs)
    merged = pd.concat([table, extra[table.columns]], ignore_index=True)
    order = np.argsort(merged["row"].to_numpy(), kind="stable")
    merged = merged.iloc[order].reset_index(drop=True)
    merged.attrs = attrs
    n_old, n_new = len(table), len(bad_lines)
    masks = {
        key: np.concatenate([mask, np.zeros(n_new, dtype=bool)])[order]
        for key, mask in unparsable.items()
    }
    wrong = np.concatenate([np.zeros(n_old, dtype=bool), np.ones(n_new, dtype=bool)])
    masks[f"the line (expected {len(header)} fields)"] = wrong[order]
    return merged, masks
