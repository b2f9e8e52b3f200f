"""Download OHLCV bars through yfinance into ``data/<asset_class>/[<interval>/]<SYMBOL>.csv``.

Prices are split- and dividend-adjusted by yfinance (``auto_adjust=True``); the convention,
ticker, interval and time of download are written to a JSON sidecar next to the CSV and put in
``bars.attrs``. Yahoo stamps intraday bars with their START; they are re-stamped with their END
(the contract). Daily bars are stamped at UTC midnight of the session date.

yfinance does not raise when the network is down: it prints an error and returns an empty
frame. Every empty result becomes a :class:`DownloadError` naming the symbol and likely causes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from alphafactory.data.calendars import check_asset_class
from alphafactory.data.csv_io import load_ohlcv_csv, write_ohlcv_csv
from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.table import to_table
from alphafactory.data.validation import apply_policy, validate_table
from alphafactory.errors import DataError

ADJUSTMENT = "split_and_dividend (yfinance auto_adjust=True)"
_INTRADAY = re.compile(r"^(\d+)(m|h)$")
_FIRST, _LAST = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")  # what ns stamps hold
_INTERVAL = re.compile(r"^[1-9]\d*(m|h|d|wk|mo)$")


class DownloadError(DataError, RuntimeError):
    """No usable data came back for a symbol."""


def yahoo_ticker(symbol: str, asset_class: str) -> str:
    """Yahoo's ticker for ``symbol``: ``EURUSD`` -> ``EURUSD=X`` (fx), ``BTCUSD`` -> ``BTC-USD``."""
    check_asset_class(asset_class)
    sym = symbol.strip().upper()
    if asset_class == "fx" and not sym.endswith("=X"):
        return sym.replace("/", "") + "=X"
    if asset_class == "crypto" and "-" not in sym:
        for quote in ("USDT", "USD", "EUR"):
            if sym.endswith(quote) and len(sym) > len(quote):
                return f"{sym[: -len(quote)]}-{quote}"
    return sym


def csv_path(
    symbol: str, asset_class: str, data_dir: str | Path = "data", interval: str = "1d"
) -> Path:
    """``<data_dir>/<asset_class>/[<interval>/]<SYMBOL>.csv`` (the interval folder unless ``1d``).

    Characters outside ``[A-Z0-9._-]`` become ``_``.
    """
    name = re.sub(r"[^A-Z0-9._-]", "_", symbol.strip().upper())
    folder = Path(data_dir) / check_asset_class(asset_class)
    if interval != "1d":
        folder = folder / re.sub(r"[^A-Za-z0-9]", "_", interval)
    return folder / f"{name}.csv"


def asset_class_of(calendar: str | None) -> str:
    """The asset class a calendar implies: ``24/7`` crypto, ``weekdays`` fx, else equities."""
    return {"24/7": "crypto", "weekdays": "fx"}.get(calendar or "", "equities")


def cached_download(
    symbols: tuple[str, ...],
    *,
    start: str | pd.Timestamp | None,
    end: str | None,
    interval: str = "1d",
    calendar: str | None = None,
    data_dir: str | Path = "data",
    on_error: str = "raise",
) -> pd.DataFrame:
    """Bars of several symbols from the download cache, downloading the ones not cached yet.

    Returns
    -------
    DataFrame
        A ``(timestamp, symbol)`` panel; a cached file is used as it is (``alphafactory data
        update`` appends newer bars to it).
    """
    asset_class = asset_class_of(calendar)
    frames = []
    for symbol in symbols:
        path = csv_path(symbol, asset_class, data_dir, interval)
        if not path.is_file() and start is None:
            raise DataError(
                f"yfinance source {symbol}: nothing cached at {path} and no start date "
                "(rule: a first download needs start, e.g. --start 2015-01-01 or start = ...)."
            )
        bars = download(
            symbol, start, end, interval=interval, asset_class=asset_class,
            data_dir=data_dir, on_error=on_error, calendar=calendar,
        )  # fmt: skip
        bars = bars.copy()
        bars.index = pd.MultiIndex.from_arrays(
            [bars.index, pd.Index([symbol.strip().upper()] * len(bars), dtype=object)],
            names=["timestamp", "symbol"],
        )
        frames.append(bars)
    panel = pd.concat(frames).sort_index(kind="stable")
    panel.attrs = {"source": "yfinance", "adjustment": ADJUSTMENT, "interval": interval}
    return panel


def check_request(
    start: object, end: object = None, interval: str = "1d", *, names: tuple[str, str, str] = (
        "start", "end", "interval")
) -> None:
    """Raise DataError unless ``start`` (and ``end``) are dates, ``start < end`` and the interval
    reads like yfinance's (``1d``, ``1wk``, ``1mo``, ``5m``, ``1h``); ``names`` label them."""
    stamps = []
    for name, value in zip(names[:2], (start, end), strict=True):
        if value is None and name == names[1]:
            stamps.append(None)
            continue
        stamp = pd.to_datetime(str(value), errors="coerce") if value is not None else pd.NaT
        if not pd.isna(stamp):
            naive = stamp.tz_convert(None) if stamp.tz is not None else stamp
            stamp = stamp if _FIRST <= naive <= _LAST else pd.NaT
        if pd.isna(stamp):
            raise DataError(
                f"{name}: must be a date such as 2015-01-01 (rule: ISO-8601, between 1677 and "
                f"2262); got {value!r}."
            )
        stamps.append(stamp)
    if stamps[1] is not None and not stamps[0] < stamps[1]:
        raise DataError(
            f"{names[1]}: must be after {names[0]} {start} (rule: end is exclusive); got {end!r}."
        )
    if not _INTERVAL.match(str(interval)):
        raise DataError(
            f"{names[2]}: must be a yfinance interval such as 1d, 1wk, 1mo, 1h, 5m; "
            f"got {interval!r}."
        )


def fetch(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None = None,
    interval: str = "1d",
    asset_class: str = "equities",
) -> pd.DataFrame:
    """Download one symbol's bars from yfinance, normalized but not validated nor written."""
    ticker = yahoo_ticker(symbol, asset_class)
    import yfinance as yf

    raw = yf.download(
        ticker,
        start=start,
        end=end,
        interval=interval,
        auto_adjust=True,
        progress=False,
        threads=False,
    )
    return normalize_yfinance(raw, ticker, interval=interval, symbol=symbol, start=start, end=end)


def download(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None = None,
    interval: str = "1d",
    asset_class: str = "equities",
    data_dir: str | Path = "data",
    *,
    refresh: bool = False,
    on_error: str = "raise",
    calendar: str | None = None,
) -> pd.DataFrame:
    """Download (or reuse) bars of one symbol, validated, written to CSV.

    Parameters
    ----------
    symbol : str
        ``AAPL``; crypto ``BTC-USD`` (or ``BTCUSD``); fx ``EURUSD``.
    start, end : str or Timestamp
        Date range, ``end`` exclusive (yfinance's convention); None means up to today.
    interval : str
        yfinance interval: ``1d``, ``1wk``, ``1h``, ``5m``...
    asset_class : str
        ``equities`` | ``crypto`` | ``fx``: folder, ticker mapping and validation calendar.
    data_dir : str or Path
        Root folder; the file is ``<data_dir>/<asset_class>/<SYMBOL>.csv``.
    refresh : bool
        Download again even when the file exists (otherwise the file is reused as it is).
    on_error : str
        Validation policy, ``raise | drop | repair``.
    calendar : str, optional
        Validation calendar; the asset class's when None.

    Returns
    -------
    DataFrame
        Bars indexed by ``timestamp``; ``attrs`` holds the sidecar's metadata.
    """
    if not str(symbol).strip():
        raise DataError(f"symbol: must be a ticker such as AAPL or BTC-USD; got {symbol!r}.")
    check_request(start, end, interval)  # before the network: a bad date is not a network error
    path = csv_path(symbol, asset_class, data_dir, interval)
    sidecar = path.with_suffix(".json")
    if path.is_file() and not refresh:
        bars = load_ohlcv_csv(path, on_error=on_error, asset_class=asset_class, calendar=calendar)
        if sidecar.is_file():
            bars.attrs.update(json.loads(sidecar.read_text()))
        return bars
    ticker = yahoo_ticker(symbol, asset_class)
    frame = fetch(symbol, start, end, interval=interval, asset_class=asset_class)
    table, unparsable = to_table(frame)
    report = validate_table(
        table, unparsable, asset_class=asset_class, calendar=calendar, source=f"yfinance:{ticker}"
    )
    bars, report = apply_policy(table, report, on_error)
    write_ohlcv_csv(bars, path)
    meta = {
        "source": "yfinance",
        "ticker": ticker,
        "symbol": symbol,
        "asset_class": asset_class,
        "interval": interval,
        "adjustment": ADJUSTMENT,
        "start": str(start),
        "end": None if end is None else str(end),
        "downloaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "yfinance_version": metadata.version("yfinance"),
        "validation": report.summary(),
    }
    sidecar.write_text(json.dumps(meta, indent=2, default=str) + "\n")
    bars.attrs.update(meta)
    return bars


def normalize_yfinance(
    raw: pd.DataFrame | None,
    ticker: str,
    *,
    interval: str = "1d",
    symbol: str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """yfinance output (flat or ``(Price, Ticker)`` MultiIndex columns) to an OHLCV frame.

    Raises
    ------
    DownloadError
        When ``raw`` is None or has no rows, or lacks OHLCV columns.
    """
    if raw is None or raw.empty:
        raise DownloadError(
            f"yfinance returned no data for {symbol or ticker} (Yahoo ticker {ticker!r}, "
            f"{start} to {end or 'today'}, interval {interval}). Likely causes: no network "
            "(yfinance returns an empty frame offline instead of raising), a symbol Yahoo does "
            "not know, or a range or interval with no bars (intraday history is limited)."
        )
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        frame = _single_ticker(frame, ticker)
    frame = frame.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
    missing = [c for c in OHLCV_COLUMNS if c not in frame.columns]
    if missing:
        raise DownloadError(
            f"yfinance data for {ticker} lacks {missing}; got columns {list(raw.columns)}."
        )
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    match = _INTRADAY.match(interval)
    if match:
        unit = "min" if match.group(2) == "m" else "h"
        index = index + pd.Timedelta(int(match.group(1)), unit=unit)
    else:
        index = index.normalize()
    out = frame.loc[:, list(OHLCV_COLUMNS)].astype("float64")
    out.index = index.as_unit("ns").rename("timestamp")
    return out


def _single_ticker(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Pick one ticker's columns from yfinance's ``(Price, Ticker)`` (or swapped) MultiIndex."""
    for level in range(frame.columns.nlevels):
        values = frame.columns.get_level_values(level)
        if ticker in set(values):
            return frame.xs(ticker, axis=1, level=level)
    for level in range(frame.columns.nlevels):
        if len(set(frame.columns.get_level_values(level))) == 1:
            return frame.droplevel(level, axis=1)
    raise DownloadError(
        f"yfinance returned columns for other tickers than {ticker!r}: {list(frame.columns)}."
    )
