"""The local bars store: append new bars to a source's files, deduplicated and revalidated.

The store of a source is where its bars live on disk: the yfinance cache
(``data/<asset class>/[<interval>/]<SYM>.csv``), a CSV or Parquet file, or a folder of
per-symbol files (a path that does not exist yet becomes a new file when it has a ``.csv`` or
``.parquet`` suffix, else a new folder). :func:`update_bars` merges new bars into it:

1. new rows that break a row rule (unparsable, NaN, price <= 0, OHLC inconsistent, ...) are
   **rejected** and listed with their file line or row;
2. a new bar whose ``(timestamp, symbol)`` is not stored is **added**; one that is stored with
   different values **replaces** it (a vendor's revision); an identical one is **unchanged**;
3. the merged bars are validated again; an error that the stored bars did not already have (a
   gap, a split signature) stops the update and nothing is written;
4. each file is written in its own format (column names, date format and zone of the source)
   to a temporary file next to it, and only when every file is ready are they renamed over
   the old ones, so an interrupted update leaves every file whole. A file with columns the
   store cannot fill (``adj_close``, ``dividends``) is refused rather than rewritten without.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.data import files as fs
from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.rules import ROW_RULES
from alphafactory.data.sources import CACHE_DIR, BarsSource
from alphafactory.data.store_format import FileFormat, read_format, render
from alphafactory.data.table import to_table
from alphafactory.data.validation import apply_policy, validate_ohlcv, validate_table
from alphafactory.errors import DataError

_KEY = ["timestamp", "symbol"]
REFETCH_DAYS = 5  # a yfinance update downloads again from this many days before the last bar


@dataclass(frozen=True, kw_only=True, slots=True)
class UpdateReport:
    """What :func:`update_bars` did.

    Attributes
    ----------
    source : str
        The source's spec.
    added, replaced : DataFrame
        ``timestamp, symbol`` of the bars added and of the stored bars replaced.
    unchanged : int
        New bars identical to stored ones.
    rejected : DataFrame
        ``source, row, timestamp, symbol, rule, detail`` of new rows not stored.
    files : tuple of str
        Files written (none on a dry run or when nothing changed).
    dry_run : bool
        True when nothing was written on purpose.
    """

    source: str
    added: pd.DataFrame
    replaced: pd.DataFrame
    unchanged: int
    rejected: pd.DataFrame
    files: tuple[str, ...]
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts."""
        return {
            "source": self.source,
            "added": len(self.added),
            "replaced": len(self.replaced),
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "files": list(self.files),
            "dry_run": self.dry_run,
        }

    def format(self, limit: int = 20) -> str:
        """Readable report: counts, the span added per symbol, each rejected row."""
        verb = "would write" if self.dry_run else "wrote"
        lines = [
            f"{self.source}: added {len(self.added)}, replaced {len(self.replaced)}, unchanged "
            f"{self.unchanged}, rejected {len(self.rejected)}; {verb} {len(self.files)} file(s)"
        ]
        for symbol, group in self.added.groupby("symbol", sort=True):
            stamps = pd.DatetimeIndex(group["timestamp"])
            lines.append(f"  {symbol}: +{len(group)} bars {stamps.min()} .. {stamps.max()}")
        for rec in self.rejected.head(limit).itertuples(index=False):
            label = "line" if Path(str(rec.source)).suffix.lower() in fs.CSV_SUFFIXES else "row"
            lines.append(f"  rejected {rec.source} {label} {rec.row} {rec.symbol}: {rec.rule}: "
                         f"{rec.detail}")  # fmt: skip
        if len(self.rejected) > limit:
            lines.append(f"  ... and {len(self.rejected) - limit} more rejected")
        return "\n".join(lines)


def update_bars(
    source: str | BarsSource | Mapping[str, Any],
    new_bars: pd.DataFrame | str | BarsSource | None = None,
    *,
    dry_run: bool = False,
) -> UpdateReport:
    """Merge new bars into a source's store (see the module docstring).

    Parameters
    ----------
    source : str, BarsSource or mapping
        The store: a yfinance source, a file or a folder (samples and synthetic markets have
        no store).
    new_bars : DataFrame, str or BarsSource, optional
        The new bars: a frame (Bars, or a raw frame with a ``timestamp`` column), or a file
        source read with the store's options. None: download them (yfinance sources only),
        from a few days before the last stored bar to ``source.end``.
    dry_run : bool
        Compute the report without writing.

    Raises
    ------
    DataError
        When the source has no store, no new bars are given for a file store, or the merged
        bars fail validation with a new error (nothing is written then).
    """
    src = _coerce(source)
    if src.kind in ("sample", "synthetic"):
        raise DataError(f"bars source {src.spec!r}: a {src.kind} source has no store to update.")
    targets = _targets(src)
    stored = {path: _read_stored(path, src) for path in targets if path.exists()}
    single = [s for s in targets.values() if s is not None] if len(targets) == 1 else []
    if single and src.kind == "path" and not Path(src.spec).is_dir():
        new, rejected = _new_rows(src, new_bars, stored, symbol=single[0])
    else:
        new, rejected = _new_rows(src, new_bars, stored)
    plan: dict[Path, pd.DataFrame] = {}
    added, replaced, unchanged = [], [], 0
    for symbol, rows in new.groupby(level="symbol", sort=True):
        path = _target_of(src, targets, str(symbol))
        plan.setdefault(path, stored.get(path, _empty()))
        merged, add, rep, same = _merge(plan[path], rows)
        plan[path] = merged
        added.append(add)
        replaced.append(rep)
        unchanged += same
    changed = {p: bars for p, bars in plan.items() if not bars.equals(stored.get(p, _empty()))}
    for path, bars in changed.items():
        _revalidate(path, bars, stored.get(path), src)
    written: tuple[str, ...] = ()
    if changed and not dry_run:
        _write_all({p: (bars, _format_of(p, src)) for p, bars in changed.items()})
        written = tuple(str(p) for p in changed)
    elif changed:
        written = tuple(str(p) for p in changed)
    return UpdateReport(
        source=src.spec,
        added=_keys(added),
        replaced=_keys(replaced),
        unchanged=unchanged,
        rejected=rejected,
        files=written,
        dry_run=dry_run,
    )


def _coerce(source: str | BarsSource | Mapping[str, Any]) -> BarsSource:
    if isinstance(source, BarsSource):
        return source
    if isinstance(source, Mapping):
        return BarsSource.from_config(source)
    return BarsSource.parse(source)


def _targets(src: BarsSource) -> dict[Path, str | None]:
    """Store files -> the symbol each holds (None: a panel file with a symbol column)."""
    if src.kind == "yfinance":
        from alphafactory.data.download import asset_class_of, csv_path

        klass = asset_class_of(src.calendar)
        return {
            csv_path(s, klass, CACHE_DIR, src.interval or "1d"): s.strip().upper()
            for s in src.symbols()
        }
    path = Path(src.spec).expanduser()
    if path.is_dir():
        return {p: p.stem for p in fs.bar_files(path)} if any(path.iterdir()) else {}
    if path.exists():
        header = read_format(path, src, per_symbol=False).canonical
        return {path: None if "symbol" in header else path.stem}
    if path.suffix.lower() in fs.CSV_SUFFIXES | fs.PARQUET_SUFFIXES:
        return {path: None}
    return {}  # a new folder


def _target_of(src: BarsSource, targets: dict[Path, str | None], symbol: str) -> Path:
    for path, held in targets.items():
        if held is None or held == symbol:
            return path
    if src.kind == "yfinance":
        raise DataError(f"yfinance store {src.spec!r}: new bars of {symbol}, not in the spec.")
    folder = Path(src.spec).expanduser()
    suffixes = {p.suffix.lower() for p in targets}
    suffix = ".parquet" if suffixes and suffixes <= fs.PARQUET_SUFFIXES else ".csv"
    path = folder / f"{symbol}{suffix}"
    targets[path] = symbol
    return path


def _read_stored(path: Path, src: BarsSource) -> pd.DataFrame:
    symbol = None if src.kind == "path" and not Path(src.spec).is_dir() else path.stem
    if src.kind == "yfinance":
        symbol = path.stem
    bars, _ = fs.read_bars_file(path, src.read_options(), symbol=symbol)
    return bars


def _new_rows(
    src: BarsSource,
    new_bars: pd.DataFrame | str | BarsSource | None,
    stored: dict,
    symbol: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The accepted new bars as a panel, and the rejected rows.

    Rows without a symbol get ``symbol`` (the store's, for a one-symbol file), else the name
    of the file they come from.
    """
    tables = []
    if new_bars is None:
        if src.kind != "yfinance":
            raise DataError(
                f"bars store {src.spec!r}: no new bars given (rule: a file store is updated "
                "from new bars, e.g. `alphafactory data update PATH --from NEW.csv`)."
            )
        tables = _downloaded(src, stored)
    elif isinstance(new_bars, pd.DataFrame):
        table, unparsable = to_table(new_bars, source="<new bars>")
        report = validate_table(table, unparsable, asset_class="equities",
                                calendar=src.calendar, source="<new bars>")  # fmt: skip
        tables.append((table, report, "asset"))
    else:
        new_src = _coerce(new_bars)
        if new_src.kind != "path":
            bars = new_src.load()
            table, unparsable = to_table(bars, source=new_src.spec)
            report = validate_table(table, unparsable, asset_class="equities",
                                    calendar=src.calendar, source=new_src.spec)  # fmt: skip
            tables.append((table, report, "asset"))
        else:
            path = Path(new_src.spec).expanduser()
            for file in fs.bar_files(path) if path.is_dir() else [path]:
                table, report = fs.read_table(file, src.read_options())
                tables.append((table, report, file.stem))
    frames, rejected = [], []
    for table, report, name in tables:
        table = fs.with_symbol(table, symbol or name, Path(report.source))
        issues = report.issues
        bad = issues[(issues["severity"] == "error") & issues["rule"].isin(ROW_RULES)]
        bad = bad.drop_duplicates("row")
        keep = ~table["row"].isin(bad["row"].dropna())
        clean = replace(report, issues=issues.iloc[0:0])
        bars, _ = apply_policy(table[keep], clean, "raise")
        frames.append(fs.as_panel(bars, symbol or name))
        symbols = table.set_index("row")["symbol"]
        rejected.append(pd.DataFrame({
            "source": report.source, "row": bad["row"].to_numpy(),
            "timestamp": bad["timestamp"].to_numpy(),
            "symbol": bad["row"].map(symbols).to_numpy(),
            "rule": bad["rule"].to_numpy(), "detail": bad["detail"].to_numpy(),
        }))  # fmt: skip
    new = pd.concat(frames).sort_index(kind="stable") if frames else _empty()
    if not new.index.is_unique:
        dup = new.index[new.index.duplicated()][0]
        raise DataError(f"new bars: {dup[1]} at {dup[0].isoformat()} comes twice (rule: one "
                        "bar per timestamp and symbol).")  # fmt: skip
    rejected_frame = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(
        columns=["source", "row", "timestamp", "symbol", "rule", "detail"]
    )
    return new, rejected_frame


def _downloaded(src: BarsSource, stored: dict) -> list:
    from alphafactory.data.download import asset_class_of, fetch

    out = []
    by_symbol = {path.stem: bars for path, bars in stored.items()}
    for symbol in src.symbols():
        held = by_symbol.get(symbol.strip().upper())
        if held is not None and len(held):
            last = held.index.get_level_values("timestamp").max()
            start: Any = (last - pd.Timedelta(days=REFETCH_DAYS)).date().isoformat()
        elif src.start is not None:
            start = src.start
        else:
            raise DataError(f"yfinance store {symbol}: nothing stored and no start date "
                            "(rule: give --start for a first download).")  # fmt: skip
        frame = fetch(symbol, start, src.end, src.interval or "1d", asset_class_of(src.calendar))
        table, unparsable = to_table(frame)
        report = validate_table(table, unparsable, asset_class="equities",
                                calendar=src.calendar, source=f"yfinance:{symbol}")  # fmt: skip
        out.append((table, report, symbol.strip().upper()))
    return out


def _merge(
    old: pd.DataFrame, new: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Merged bars, added keys, replaced keys, count of identical bars."""
    common = new.index.intersection(old.index)
    fresh = new.index.difference(old.index)
    cols = list(OHLCV_COLUMNS)
    differs = (old.loc[common, cols].to_numpy() != new.loc[common, cols].to_numpy()).any(axis=1)
    replaced = common[differs]
    merged = old.copy()
    merged.loc[replaced, cols] = new.loc[replaced, cols].to_numpy()
    merged = pd.concat([merged, new.loc[fresh, cols]]).sort_index(kind="stable")
    merged.attrs = dict(old.attrs)
    return merged, fresh.to_frame(index=False), replaced.to_frame(index=False), int(
        (~differs).sum()
    )


def _revalidate(path: Path, bars: pd.DataFrame, old: pd.DataFrame | None, src: BarsSource) -> None:
    """Raise when the merged bars have an error the stored bars did not have."""
    report = validate_ohlcv(bars, calendar=src.calendar, source=str(path))
    errors = report.errors
    if old is not None and len(old):
        before = validate_ohlcv(old, calendar=src.calendar).errors
        known = set(zip(before["timestamp"], before["symbol"], before["rule"], strict=True))
        keys = zip(errors["timestamp"], errors["symbol"], errors["rule"], strict=True)
        errors = errors[[k not in known for k in keys]]
    if len(errors):
        first = errors.iloc[0]
        raise DataError(
            f"{path}: the update would add {len(errors)} validation error(s), nothing written; "
            f"first: {pd.Timestamp(first['timestamp']).isoformat()} {first['symbol']}: "
            f"{first['rule']}: {first['detail']}."
        )


def _format_of(path: Path, src: BarsSource) -> FileFormat:
    folder_file = src.kind == "yfinance" or Path(src.spec).expanduser().is_dir() or (
        not Path(src.spec).exists() and not Path(src.spec).suffix
    )
    return read_format(path, src, per_symbol=folder_file)


def _write_all(plan: dict[Path, tuple[pd.DataFrame, FileFormat]]) -> None:
    """Write every file to a temporary sibling, then rename all over the originals."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, (bars, fmt) in plan.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            temps.append((Path(tmp), path))
            render(bars, fmt, Path(tmp))
            os.chmod(tmp, _mode_of(path))
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)


def _mode_of(path: Path) -> int:
    """The permissions of the file being replaced, or the umask's default for a new file."""
    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _empty() -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays(
        [pd.DatetimeIndex([], tz="UTC").as_unit("ns"), pd.Index([], dtype=object)], names=_KEY
    )
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in OHLCV_COLUMNS}, index=index)


def _keys(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
                             "symbol": pd.Series(dtype=object)})  # fmt: skip
    return pd.concat(parts, ignore_index=True).sort_values(_KEY, kind="stable")
