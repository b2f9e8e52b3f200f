"""Corporate actions from yfinance: the download (network) and its conversion (pure).

The download is ``yfinance.Ticker(ticker).history(auto_adjust=False, actions=True)`` from
``start`` to today, daily: its ``Stock Splits`` (0 = none) and ``Dividends`` columns. Price rows
come with them, which tells a failed download (no rows: offline, unknown ticker) from a symbol
without actions (rows, all zero); ``Ticker.actions`` returns an empty frame in both cases.

Yahoo's dividends are split-adjusted to the day of the download; the table holds them as paid
(in the share units of their ex-date), so each is multiplied back by the splits after it, which
a download running to today all has. Capital gains distributions (funds) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alphafactory.data.corporate_actions_table import CorporateActions
from alphafactory.data.download import DownloadError, yahoo_ticker

__all__ = ["actions_from_yfinance", "fetch_yfinance_actions", "yfinance_corporate_actions"]


def yfinance_corporate_actions(
    symbols: Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    asset_class: str = "equities",
) -> CorporateActions:
    """Download the splits and cash dividends of ``symbols`` with ex-dates in ``[start, end)``.

    Parameters
    ----------
    symbols : sequence of str
        Symbols as in the bars (``AAPL``); the Yahoo ticker follows ``asset_class``.
    start, end : str or Timestamp, optional
        Ex-date range, ``end`` exclusive; the download always runs to today so that dividends
        can be put back in the units of their ex-date (see the module doc).
    asset_class : str
        ``equities`` | ``crypto`` | ``fx`` (see :func:`alphafactory.data.download.yahoo_ticker`).

    Raises
    ------
    DownloadError
        When yfinance returns no rows for a symbol (offline, or a ticker Yahoo does not know).
    """
    parts = [
        actions_from_yfinance(fetch_yfinance_actions(s, start, asset_class=asset_class), s)
        for s in symbols
    ]
    return CorporateActions.concat(parts, source="yfinance").between(start, end)


def fetch_yfinance_actions(
    symbol: str, start: str | pd.Timestamp | None = None, *, asset_class: str = "equities"
) -> pd.DataFrame:
    """yfinance's unadjusted daily history of one symbol with its actions, ``start`` to today.

    Raises
    ------
    DownloadError
        When no rows come back.
    """
    ticker = yahoo_ticker(symbol, asset_class)
    import yfinance as yf

    span = {"period": "max"} if start is None else {"start": pd.Timestamp(start).date()}
    frame = yf.Ticker(ticker).history(
        **span, interval="1d", auto_adjust=False, actions=True, repair=False
    )
    if frame is None or frame.empty:
        raise DownloadError(
            f"yfinance returned no history for {symbol} (Yahoo ticker {ticker!r}, from "
            f"{start or 'the first bar'}), so its splits and dividends are unknown. Likely "
            "causes: no network (yfinance returns an empty frame offline instead of raising) "
            "or a symbol Yahoo does not know."
        )
    return frame


def actions_from_yfinance(frame: pd.DataFrame | None, symbol: str) -> CorporateActions:
    """The actions in a yfinance frame of one symbol.

    Parameters
    ----------
    frame : DataFrame or None
        Flat ``Dividends`` and/or ``Stock Splits`` columns (``Ticker.actions`` drops a column
        that is all zero; ``Ticker.history(actions=True)`` has both), one row per date, indexed
        by date: aware in the exchange's zone (its local date is the ex-date) or naive. It must
        run to the download date: its later splits convert Yahoo's dividends back to as paid.
    symbol : str
        The symbol the rows are given (upper-cased, as the download cache names bars).

    Returns
    -------
    CorporateActions
        Rows where the split is not 0 or the dividend is not 0.
    """
    name = symbol.strip().upper()
    source = f"yfinance:{name}"
    if frame is None or frame.empty:
        return CorporateActions.empty(source)
    zeros = pd.Series(0.0, index=frame.index)
    dividend = pd.to_numeric(frame.get("Dividends", zeros), errors="coerce").fillna(0.0)
    split = pd.to_numeric(frame.get("Stock Splits", zeros), errors="coerce").fillna(0.0)
    split = split.where(split != 0, 1.0)  # Yahoo writes 0 for "no split"
    dates = pd.DatetimeIndex(frame.index)
    if dates.tz is not None:
        dates = dates.tz_localize(None)  # the exchange's local date is the ex-date
    order = np.argsort(dates.asi8, kind="stable")
    split_values = split.to_numpy(np.float64)[order]
    # splits strictly after each row: the factor Yahoo divided its dividends by
    later = np.append(np.cumprod(split_values[::-1])[::-1][1:], 1.0)
    events = pd.DataFrame(
        {
            "symbol": name,
            "ex_date": dates.normalize()[order],
            "split": split_values,
            "dividend": dividend.to_numpy(np.float64)[order] * later,
        }
    )
    events = events[(events["split"] != 1.0) | (events["dividend"] != 0.0)]
    return CorporateActions.from_events(events, source=source)
