"""Universes: which symbols count, and when (survivorship made explicit).

A universe is a symbol list, optionally with a membership file: a CSV with header
``symbol,start,end``, one row per membership spell (a symbol may have several). ``start`` is the
first date the symbol is a member and ``end`` the last (both inclusive, ``YYYY-MM-DD``); an empty
``end`` means still a member. Bars of a symbol outside its spells are removed, so a model never
sees a symbol before it entered the universe nor after it left (its history before entry is not
available either: features warm up from the entry date). Dates compare with the bar's UTC date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.errors import DataError, SourceNotFoundError

MEMBERSHIP_COLUMNS: tuple[str, ...] = ("symbol", "start", "end")


def read_membership(path: str | Path) -> pd.DataFrame:
    """Read a membership file into ``symbol`` (str), ``start``, ``end`` (UTC dates; end NaT = open).

    Raises
    ------
    SourceNotFoundError
        When there is no file at ``path``.
    DataError
        Naming the line, field, rule and value of the first bad row.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(f"No membership file at {path}.")
    try:
        # Blank lines kept (then dropped by position) so errors name the physical line.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{path}: not a membership CSV (rule: header symbol,start,end); got: "
            f"{' '.join(str(exc).split())}"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in MEMBERSHIP_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} line 1 (header): missing {missing} (rule: header symbol,start,end); got "
            f"{list(frame.columns)}."
        )
    frame = frame.fillna("")
    frame = frame[frame.apply(lambda col: col.str.strip().ne("")).any(axis=1)]
    lines = frame.index.to_numpy() + 2  # the header is line 1
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"symbol": frame["symbol"].str.strip()})
    for field in ("start", "end"):
        text = frame[field].str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        bad = parsed.isna() & (text != "" if field == "end" else True)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            blank = ", or empty for still a member" if field == "end" else ""
            raise DataError(
                f"{path} line {lines[i]}: field {field} (rule: a date YYYY-MM-DD{blank}); "
                f"got {text.iloc[i]!r}."
            )
        out[field] = pd.DatetimeIndex(parsed).normalize()
    empty = out["symbol"].eq("")
    backwards = out["end"].notna() & (out["end"] < out["start"])
    for mask, field, rule in ((empty, "symbol", "not empty"), (backwards, "end", "end >= start")):
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise DataError(
                f"{path} line {lines[i]}: field {field} (rule: {rule}); got "
                f"{frame[field].iloc[i]!r}."
            )
    return out


def apply_universe(
    bars: pd.DataFrame,
    universe: tuple[str, ...] | None,
    membership: pd.DataFrame | None,
    source: str,
) -> pd.DataFrame:
    """Keep the bars of ``universe``'s symbols, within their membership spells when given.

    Parameters
    ----------
    bars : DataFrame
        A ``(timestamp, symbol)`` panel.
    universe : tuple of str, optional
        Symbols to keep; the membership file's symbols when None and a membership is given.
    membership : DataFrame, optional
        From :func:`read_membership`.
    source : str
        The source's name, for errors.

    Raises
    ------
    DataError
        When a universe symbol has no bars in the source (a typo, or data missing).
    """
    if universe is None and membership is None:
        return bars
    symbols = bars.index.get_level_values("symbol")
    wanted = tuple(universe) if universe is not None else tuple(membership["symbol"].unique())
    absent = sorted(set(wanted) - set(symbols.unique()))
    if absent:
        raise DataError(
            f"{source}: universe symbol(s) {absent} have no bars (rule: every universe symbol "
            f"is in the data); the data has {sorted(set(symbols.unique()))[:20]}."
        )
    keep = symbols.isin(wanted)
    if membership is not None:
        keep &= _is_member(bars.index, membership)
    out = bars[keep]
    out.attrs = dict(bars.attrs)
    return out


def _is_member(index: pd.MultiIndex, membership: pd.DataFrame) -> np.ndarray:
    """Per bar: whether its UTC date lies in one of its symbol's spells."""
    dates = pd.DatetimeIndex(index.get_level_values("timestamp")).normalize()
    symbols = index.get_level_values("symbol")
    member = np.zeros(len(index), dtype=bool)
    far = pd.Timestamp("2262-01-01", tz="UTC")
    for spell in membership.itertuples(index=False):
        end = far if pd.isna(spell.end) else spell.end
        member |= (symbols == spell.symbol) & (dates >= spell.start) & (dates <= end)
    return member
