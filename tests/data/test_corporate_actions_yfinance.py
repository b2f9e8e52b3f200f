"""Corporate actions from yfinance, on frames in the shape yfinance 1.x returns, never live."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alphafactory.data.corporate_actions import adjust_bars
from alphafactory.data.corporate_actions_yfinance import (
    actions_from_yfinance,
    yfinance_corporate_actions,
)
from alphafactory.data.download import DownloadError

yf = pytest.importorskip("yfinance")

# Shape of yf.Ticker("AAPL").history(start="2020-08-06", auto_adjust=False, actions=True),
# yfinance 1.x: flat columns, index "Date" at midnight New York time, Yahoo's split-adjusted
# prices, volume and dividends (AAPL paid $0.82 on 2020-08-07, then split 4-for-1 on 08-31).
# Values in the style of AAPL's, rounded; Adj Close is Yahoo's rule on this window's dividend.
DAYS = ["2020-08-06", "2020-08-07", "2020-08-10", "2020-08-28", "2020-08-31", "2020-09-01"]
YAHOO = {
    "Open": [110.405, 113.205, 112.6, 126.0125, 127.58, 132.76],
    "High": [114.4125, 113.675, 113.775, 126.4425, 131.0, 134.8],
    "Low": [109.7975, 110.2925, 110.0, 124.5775, 126.0, 130.53],
    "Close": [113.9025, 111.1125, 112.7275, 124.8075, 129.04, 134.18],
    "Volume": [202428800, 198045600, 212403600, 187630000, 225702700, 151948100],
    "Dividends": [0.0, 0.205, 0.0, 0.0, 0.0, 0.0],
    "Stock Splits": [0.0, 0.0, 0.0, 0.0, 4.0, 0.0],
}


def history_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex(DAYS, name="Date").tz_localize("America/New_York")
    frame = pd.DataFrame(YAHOO, index=index)
    adj = np.where(index < pd.Timestamp("2020-08-07", tz="America/New_York"),
                   1 - 0.205 / 113.9025, 1.0)  # fmt: skip
    frame.insert(4, "Adj Close", frame["Close"] * adj)
    return frame


def raw_bars_of(frame: pd.DataFrame) -> pd.DataFrame:
    """What the broker traded: Yahoo's split adjustment undone (before 08-31, x4 / volume / 4)."""
    before = (frame.index < pd.Timestamp("2020-08-31", tz="America/New_York")).astype(float)
    scale = 1 + 3 * before
    bars = pd.DataFrame({c.lower(): frame[c].to_numpy(float) * scale
                         for c in ("Open", "High", "Low", "Close")})  # fmt: skip
    bars["volume"] = frame["Volume"].to_numpy(float) / scale
    stamps = pd.DatetimeIndex(DAYS, tz="UTC", name="timestamp")
    bars.index = pd.MultiIndex.from_arrays([stamps, ["AAPL"] * len(DAYS)],
                                           names=["timestamp", "symbol"])  # fmt: skip
    return bars


@pytest.fixture
def fake_ticker(monkeypatch):
    """yf.Ticker replaying frames by ticker; records each history() call."""
    calls: list[dict] = []
    frames: dict[str, pd.DataFrame] = {}

    class FakeTicker:
        def __init__(self, ticker):
            self.ticker = ticker

        def history(self, **kwargs):
            calls.append({"ticker": self.ticker, **kwargs})
            return frames.get(self.ticker, pd.DataFrame())

    monkeypatch.setattr(yf, "Ticker", FakeTicker)
    return calls, frames


def test_actions_from_yfinance_gives_dividends_as_paid_and_split_ratios():
    table = actions_from_yfinance(history_frame(), "aapl").table
    assert table["symbol"].tolist() == ["AAPL", "AAPL"]
    assert table["ex_date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-08-07", "2020-08-31"]
    assert table["split"].tolist() == [1.0, 4.0]
    assert table["dividend"].tolist() == [pytest.approx(0.82, rel=1e-12), 0.0]


def test_ticker_actions_shape_with_two_later_splits_converts_the_dividend_back():
    # yf.Ticker("AAPL").actions: only rows with an action; $2.65 in 2012, then 7:1 and 4:1
    index = pd.DatetimeIndex(["2012-08-09", "2014-06-09", "2020-08-31"], name="Date")
    frame = pd.DataFrame({"Dividends": [0.094643, 0.0, 0.0], "Stock Splits": [0.0, 7.0, 4.0]},
                         index=index.tz_localize("America/New_York"))  # fmt: skip
    table = actions_from_yfinance(frame, "AAPL").table
    assert table["dividend"].iloc[0] == pytest.approx(2.65, abs=1e-4)
    splits_only = actions_from_yfinance(frame[["Stock Splits"]].iloc[1:], "AAPL").table
    assert splits_only["split"].tolist() == [7.0, 4.0]
    assert len(actions_from_yfinance(None, "AAPL")) == 0


def test_adjusting_raw_bars_with_yfinance_actions_gives_yfinance_auto_adjust():
    frame = history_frame()
    adjusted = adjust_bars(raw_bars_of(frame), actions_from_yfinance(frame, "AAPL"))
    with warnings.catch_warnings():  # yfinance 1.7 calls drop(inplace=True), which pandas
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)  # 3.1 deprecates: not ours
        expected = yf.utils.auto_adjust(frame)  # what yf.download(auto_adjust=True) applies
    for column in ("Open", "High", "Low", "Close", "Volume"):
        np.testing.assert_allclose(adjusted[column.lower()], expected[column], rtol=1e-12)


def test_yfinance_corporate_actions_downloads_to_today_and_keeps_the_ex_date_range(fake_ticker):
    calls, frames = fake_ticker
    frames["AAPL"] = history_frame()
    quiet = history_frame().assign(**{"Dividends": 0.0, "Stock Splits": 0.0})
    frames["MSFT"] = quiet
    actions = yfinance_corporate_actions(["AAPL", "MSFT"], "2020-08-01", "2020-08-31")
    assert [c["ticker"] for c in calls] == ["AAPL", "MSFT"]
    assert calls[0]["auto_adjust"] is False and calls[0]["actions"] is True
    assert str(calls[0]["start"]) == "2020-08-01" and "end" not in calls[0]
    assert actions.table["ex_date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-08-07"]
    assert actions.source == "yfinance"
    yfinance_corporate_actions(["AAPL"])
    assert calls[-1]["period"] == "max"


def test_yfinance_offline_is_one_clear_line(fake_ticker):
    with pytest.raises(DownloadError, match="yfinance returned no history for AAPL") as info:
        yfinance_corporate_actions(["AAPL"], "2020-08-01")
    assert "\n" not in str(info.value)
