"""Corporate actions (splits, cash dividends) and the back-adjustment of raw bars with them.

The convention is that of every bar our models train on, yfinance's ``auto_adjust=True``
(:mod:`alphafactory.data.download`):

- a split of ratio ``r`` (new shares per old share: 2-for-1 is 2, 1-for-10 is 0.1) divides the
  open, high, low and close of every bar before its ex-date by ``r`` and multiplies their volume
  by ``r`` (Yahoo serves split-adjusted OHLCV);
- a cash dividend ``D`` multiplies the open, high, low and close of every bar before its ex-date
  by ``1 - D / C``, ``C`` the last close before the ex-date, both in the share units trading on
  the ex-date (Yahoo's ``Adj Close / Close``, which ``auto_adjust`` applies to all four prices);
  volume is not dividend-adjusted.

So adjusted returns equal raw returns except across an ex-date, where ``adj C_e / adj C_prev =
C_e / (C_prev / r - D)``: the total return of a holder who reinvests the dividend at the previous
close less the dividend. It equals the cash total return ``(C_e + D) / (C_prev / r)`` when the
price drops by exactly the dividend, and differs from it by a second-order term otherwise.

Point in time: ``adjust_bars(raw, actions, as_of=t)`` applies only the actions with ex-date
``<= t``, what a live bot knows at ``t``. The batch history of research (a yfinance download)
applies every action up to the download, later ones too. The two agree on features: an action
with an ex-date after ``t`` multiplies every bar up to ``t`` by one constant (prices by
``(1 - D / C) / r``, volume by ``r``), and scale-free features (returns, ratios to moving
averages, RSI, z-scores, relative volume, volatility of returns) do not change under a constant
scale. Price- or volume-level features (ATR, OBV, dollar volume) do change, in research too.

The actions come in a :class:`CorporateActions` table (see
:mod:`alphafactory.data.corporate_actions_table`; loaders:
:mod:`alphafactory.data.corporate_actions_yfinance` and
:mod:`alphafactory.feeds.corporate_actions`). Ex-dates compare with a bar's UTC date: daily bars
are stamped at UTC midnight of their session, and US regular-hours intraday bars fall on their
session's date in UTC too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.corporate_actions_table import (
    ACTION_COLUMNS,
    CorporateActions,
    read_corporate_actions,
    write_corporate_actions,
)
from alphafactory.data.download import ADJUSTMENT
from alphafactory.data.panel import INDEX_NAMES
from alphafactory.errors import DataError

__all__ = [
    "ACTION_COLUMNS",
    "CorporateActions",
    "adjust_bars",
    "adjustment_factors",
    "read_corporate_actions",
    "write_corporate_actions",
]

PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
_DAY_NS = 86_400 * 10**9
_DAY_OFFSET = 2**31  # keeps days since 1970 positive inside a (symbol, day) int64 sort key


def adjustment_factors(
    bars: pd.DataFrame, actions: CorporateActions, *, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per bar, what multiplies its prices and its volume to back-adjust it.

    Parameters
    ----------
    bars : DataFrame
        Raw bars, a ``(timestamp, symbol)`` panel with a ``close`` column (any row order).
    actions : CorporateActions
        Actions of any symbols; those of symbols without bars are ignored.
    as_of : str or Timestamp, optional
        Apply only actions with ``ex_date <= as_of`` (naive means UTC); all when None.

    Returns
    -------
    DataFrame
        Indexed like ``bars``: ``price`` (multiplies open, high, low, close) and ``volume``
        (multiplies volume); exactly 1.0 for a bar no action applies to.

    Raises
    ------
    DataError
        When ``bars`` is not a panel, or a dividend is not below the close before its ex-date.
    """
    stamps, symbols = _panel_levels(bars)
    n = len(bars)
    price, volume = np.ones(n), np.ones(n)
    table = (actions.known_at(as_of) if as_of is not None else actions).table
    codes, names = pd.factorize(symbols)
    action_codes = pd.Index(names).get_indexer(table["symbol"])
    table, action_codes = table[action_codes >= 0], action_codes[action_codes >= 0]
    if len(table):
        # Work on bars sorted by symbol then time, so each symbol is one contiguous block and
        # "every bar of the symbol before the ex-date" is a range ending at a searchsorted cut.
        order = np.lexsort((stamps.asi8, codes))
        sorted_codes = codes[order]
        keys = _keys(sorted_codes, np.floor_divide(stamps.asi8[order], _DAY_NS))
        ex_days = np.floor_divide(pd.DatetimeIndex(table["ex_date"]).asi8, _DAY_NS)
        cut = np.searchsorted(keys, _keys(action_codes, ex_days), side="left")
        first = np.searchsorted(keys, action_codes.astype(np.int64) << 32, side="left")
        applies = cut > first  # the symbol has bars before the ex-date
        last = (cut - 1)[applies]
        split = table["split"].to_numpy(np.float64)
        splits = _cumulative(n, last, split[applies], sorted_codes)
        # Yahoo computes 1 - D / C on split-adjusted closes and dividends (its Adj Close); the
        # split adjustment of both leaves the ratio in the share units of the ex-date.
        adjusted_close = bars["close"].to_numpy(np.float64)[order] / splits
        previous = pd.Series(adjusted_close).groupby(sorted_codes).ffill().to_numpy()[last]
        paid = table["dividend"].to_numpy(np.float64) / _later_splits(action_codes, split)
        paid = paid[applies]
        factor = np.where((paid > 0) & ~np.isnan(previous), 1.0 - paid / previous, 1.0)
        bad = ~(factor > 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            row = table[applies].iloc[i]
            raise DataError(
                f"{actions.source} {row['symbol']} ex_date {row['ex_date']:%Y-%m-%d}: field "
                f"dividend (rule: below the close before the ex-date, "
                f"{float(bars['close'].to_numpy()[order][last[i]])!r} in raw units); "
                f"got {float(row['dividend'])!r}."
            )
        dividends = _cumulative(n, last, factor, sorted_codes)
        price[order] = dividends / splits
        volume[order] = splits
    return pd.DataFrame({"price": price, "volume": volume}, index=bars.index)


def adjust_bars(
    raw_bars: pd.DataFrame, actions: CorporateActions, *, as_of: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Back-adjust raw bars for splits and dividends, as yfinance's ``auto_adjust=True`` does.

    Parameters
    ----------
    raw_bars : DataFrame
        Raw (as traded) bars, a ``(timestamp, symbol)`` panel as
        :func:`alphafactory.data.load_bars` returns; columns other than OHLCV pass unchanged.
    actions : CorporateActions
    as_of : str or Timestamp, optional
        Apply only actions with ``ex_date <= as_of``: a live bot at ``t`` passes ``t`` (see the
        module doc on why its features match those of the batch-adjusted history).

    Returns
    -------
    DataFrame
        A new frame indexed like ``raw_bars``; ``attrs["adjustment"]`` names the convention and
        ``attrs["adjusted_as_of"]`` the cut-off. With no action applying, values equal the input's.

    Raises
    ------
    DataError
        When ``raw_bars`` are already adjusted (their ``attrs`` say so), not a panel, or a
        dividend is not below the close before its ex-date.
    """
    if raw_bars.attrs.get("adjustment") == ADJUSTMENT:
        raise DataError(
            f"adjust_bars: the bars are already adjusted (attrs adjustment={ADJUSTMENT!r}); "
            "adjusting them again would apply every action twice (rule: pass raw bars)."
        )
    factors = adjustment_factors(raw_bars, actions, as_of=as_of)
    out = raw_bars.copy()
    price = factors["price"].to_numpy()
    for column in PRICE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].to_numpy(np.float64) * price
    if "volume" in out.columns:
        out["volume"] = out["volume"].to_numpy(np.float64) * factors["volume"].to_numpy()
    out.attrs = {
        **raw_bars.attrs,
        "adjustment": ADJUSTMENT,
        "adjusted_as_of": None if as_of is None else _utc(as_of).isoformat(),
    }
    return out


def _cumulative(n: int, last: np.ndarray, factors: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per sorted bar, the product of the factors placed at or after it within its symbol."""
    placed = np.ones(n)
    np.multiply.at(placed, last, factors)  # several actions may share their last bar
    backwards = pd.Series(placed[::-1]).groupby(codes[::-1], sort=False).cumprod()
    return backwards.to_numpy()[::-1]


def _later_splits(codes: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Per action (sorted by symbol, ex-date), the product of its symbol's later splits."""
    backwards = pd.Series(split[::-1])
    groups = codes[::-1]
    through = backwards.groupby(groups, sort=False).cumprod()
    return through.groupby(groups, sort=False).shift(1, fill_value=1.0).to_numpy()[::-1]


def _keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    return (codes.astype(np.int64) << 32) | (days.astype(np.int64) + _DAY_OFFSET)


def _panel_levels(bars: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.Index]:
    index = bars.index
    if not isinstance(index, pd.MultiIndex) or tuple(index.names) != INDEX_NAMES:
        raise DataError(
            f"corporate action adjustment needs a (timestamp, symbol) panel of bars; got index "
            f"{type(index).__name__} named {list(index.names)}."
        )
    if "close" not in bars.columns:
        raise DataError(f"corporate action adjustment needs a close column; got {list(bars)}.")
    stamps = pd.DatetimeIndex(index.get_level_values(0))
    stamps = stamps.tz_localize("UTC") if stamps.tz is None else stamps.tz_convert("UTC")
    return stamps.as_unit("ns"), index.get_level_values(1)


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
