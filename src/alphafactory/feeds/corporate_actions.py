"""Corporate actions for the trading loop: from yfinance, from Alpaca, or from a CSV file.

The bot keeps raw bars (the broker trades raw prices) and adjusts them with these before scoring
(:func:`alphafactory.data.corporate_actions.adjust_bars`), so its features see the series the
models were trained on. Alpaca's actions come from its market-data API (``/v1/corporate-actions``
through alpaca-py's ``CorporateActionsClient``), the same data service as the trades of
:mod:`~alphafactory.feeds.alpaca_stream`: they describe the bars, not the account, hence here
and not in :mod:`alphafactory.live.brokers`, which would also make ``feeds`` import ``live``.

Alpaca's mapping: ``forward_splits`` and ``reverse_splits`` give ``split = new_rate / old_rate``,
``cash_dividends`` give ``dividend = rate`` (as paid; a regular and a special dividend going ex
the same day add up). Stock dividends, spin-offs, mergers, unit splits and name changes are not
requested: how Yahoo adjusts for them varies by case, so a bot that meets one should be given a
hand-written CSV row. Alpaca filters its ``start``/``end`` on the process date (for a dividend,
around its payable date, days to weeks after the ex-date), so the query is widened by ``pad``
on both sides and the result cut to ex-dates in ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.data.corporate_actions_table import CorporateActions, read_corporate_actions
from alphafactory.data.corporate_actions_yfinance import yfinance_corporate_actions
from alphafactory.errors import DataError
from alphafactory.feeds.base import FeedError

__all__ = ["actions_from_alpaca", "alpaca_corporate_actions", "load_corporate_actions"]

ALPACA_SPLITS = ("forward_splits", "reverse_splits")
ALPACA_DIVIDENDS = "cash_dividends"
DEFAULT_PAD = pd.Timedelta(days=90)


def load_corporate_actions(
    source: str | Path,
    symbols: Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    key_id: str | None = None,
    secret_key: str | None = None,
    alpaca_url: str | None = None,
) -> CorporateActions:
    """The splits and cash dividends of ``symbols`` with ex-dates in ``[start, end)``.

    Parameters
    ----------
    source : str or Path
        ``"yfinance"``, ``"alpaca"`` or the path of a ``symbol,ex_date,split,dividend`` CSV file.
    symbols : sequence of str
    start, end : str or Timestamp, optional
        Ex-date range (``end`` exclusive); ``start`` is required for Alpaca.
    key_id, secret_key : str, optional
        Alpaca keys (``AlpacaCredentials.resolve()`` in the trading loop); Alpaca only.
    alpaca_url : str, optional
        Another market-data server for Alpaca (tests use a local fake).

    Raises
    ------
    FeedError
        An unknown source, missing Alpaca keys, or an Alpaca request that failed.
    DataError
        A bad CSV row, or a yfinance download that returned nothing (``DownloadError``).
    """
    if str(source) == "yfinance":
        return yfinance_corporate_actions(symbols, start, end)
    if str(source) == "alpaca":
        if not key_id or not secret_key:
            raise FeedError("Alpaca corporate actions need key_id and secret_key.")
        if start is None:
            raise FeedError("Alpaca corporate actions need a start date (the first bar's).")
        return alpaca_corporate_actions(symbols, start, end, key_id=key_id,
                                        secret_key=secret_key, url_override=alpaca_url)
    path = Path(source)
    if path.suffix.lower() != ".csv":
        raise FeedError(
            f"corporate actions source {str(source)!r} (rule: 'yfinance', 'alpaca' or a .csv "
            "file symbol,ex_date,split,dividend)."
        )
    return read_corporate_actions(path).for_symbols(symbols).between(start, end)


def alpaca_corporate_actions(
    symbols: Sequence[str],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp | None = None,
    *,
    key_id: str | None = None,
    secret_key: str | None = None,
    url_override: str | None = None,
    pad: pd.Timedelta = DEFAULT_PAD,
    client: Any = None,
) -> CorporateActions:
    """Splits and cash dividends of ``symbols`` from Alpaca, ex-dates in ``[start, end)``.

    ``client`` replaces the ``CorporateActionsClient`` built from the keys (its answer may be
    raw JSON or alpaca-py's ``CorporateActionsSet``); ``end`` None means up to today.
    """
    sdk = _sdk()
    if client is None:
        # raw JSON: alpaca-py's models require fields (id, cusip) the API does not always send,
        # and only symbol, dates and rates are needed here
        client = sdk["client"](key_id, secret_key, raw_data=True, url_override=url_override)
    until = pd.Timestamp(end) if end is not None else pd.Timestamp.now(tz="UTC")
    kinds = sdk["types"]
    request = sdk["request"](
        symbols=list(symbols),
        types=[kinds.FORWARD_SPLIT, kinds.REVERSE_SPLIT, kinds.CASH_DIVIDEND],
        start=(pd.Timestamp(start) - pad).date(),
        end=(until + pad).date(),
        limit=None,  # follow every page: alpaca-py's default limit stops at 1000 actions
    )
    try:
        answer = client.get_corporate_actions(request)
    except sdk["error"] as error:
        raise FeedError(
            f"Alpaca corporate actions for {list(symbols)}: HTTP {error.status_code}: "
            f"{' '.join(str(error).split())}"
        ) from None
    except OSError as error:  # requests' connection errors derive from OSError
        raise FeedError(f"Alpaca corporate actions for {list(symbols)}: {error}") from None
    return actions_from_alpaca(answer).for_symbols(symbols).between(start, end)


def actions_from_alpaca(answer: Mapping[str, Sequence[Any]] | Any) -> CorporateActions:
    """The splits and cash dividends in an Alpaca answer: raw JSON ``{type: [action, ...]}``
    (the ``corporate_actions`` object of the API) or alpaca-py's ``CorporateActionsSet``."""
    data = getattr(answer, "data", answer)
    if not isinstance(data, Mapping):
        raise DataError(f"Alpaca corporate actions: expected {{type: [action, ...]}}; got "
                        f"{type(answer).__name__}.")
    rows = []
    for kind in (*ALPACA_SPLITS, ALPACA_DIVIDENDS):
        for item in data.get(kind) or []:
            action = item.model_dump() if hasattr(item, "model_dump") else dict(item)
            split = (float(action["new_rate"]) / float(action["old_rate"])
                     if kind in ALPACA_SPLITS else 1.0)
            dividend = float(action["rate"]) if kind == ALPACA_DIVIDENDS else 0.0
            rows.append((action["symbol"], _date(action["ex_date"]), split, dividend))
    events = pd.DataFrame(rows, columns=["symbol", "ex_date", "split", "dividend"])
    return CorporateActions.from_events(events, source="alpaca")


def _date(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _sdk() -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            from alpaca.common.exceptions import APIError
            from alpaca.data.enums import CorporateActionsType
            from alpaca.data.historical.corporate_actions import CorporateActionsClient
            from alpaca.data.requests import CorporateActionsRequest
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise FeedError("Alpaca corporate actions need alpaca-py: pip install "
                        "'alphafactory[alpaca]'.") from error
    return {"client": CorporateActionsClient, "request": CorporateActionsRequest,
            "types": CorporateActionsType, "error": APIError}
