"""download() against frames shaped like yfinance 1.x output (recorded layout), never live."""

from __future__ import annotations

import json
import socket

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import check_bars
from alphafactory.data.download import (
    DownloadError,
    csv_path,
    download,
    normalize_yfinance,
    yahoo_ticker,
)

yf = pytest.importorskip("yfinance")

# Recorded shape of yf.download("AAPL", start="2024-01-02", end="2024-01-06"), yfinance 1.x:
# columns MultiIndex (Price, Ticker), index "Date" naive, volume int64.
RECORDED_DAILY = {
    "Close": [184.532089, 183.150391, 181.175842, 180.451843],
    "High": [187.315382, 184.770668, 182.599268, 181.733411],
    "Low": [182.792533, 182.335307, 180.531384, 179.666488],
    "Open": [186.033072, 182.554054, 181.175842, 180.839717],
    "Volume": [82488700, 58414500, 71983600, 62303300],
}
DAILY_DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def recorded_daily(ticker: str = "AAPL") -> pd.DataFrame:
    columns = pd.MultiIndex.from_product(
        [list(RECORDED_DAILY), [ticker]], names=["Price", "Ticker"]
    )
    values = np.column_stack([RECORDED_DAILY[k] for k in RECORDED_DAILY]).astype(object)
    frame = pd.DataFrame(values, columns=columns, index=pd.DatetimeIndex(DAILY_DATES, name="Date"))
    return frame.astype(
        {(k, ticker): ("int64" if k == "Volume" else "float64") for k in RECORDED_DAILY}
    )


def recorded_offline(ticker: str = "AAPL") -> pd.DataFrame:
    """What yfinance returns with no network: an EMPTY frame, no exception."""
    columns = pd.MultiIndex.from_product(
        [["Adj Close", "Close", "High", "Low", "Open", "Volume"], [ticker]],
        names=["Price", "Ticker"],
    )
    return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="Date"))


@pytest.fixture
def fake_yf(monkeypatch):
    calls: list[dict] = []
    responses: dict[str, pd.DataFrame] = {}

    def fake_download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        return responses.get(tickers, recorded_offline(tickers))

    monkeypatch.setattr(yf, "download", fake_download)
    return calls, responses


def test_download_normalizes_multiindex_and_writes_csv(tmp_path, fake_yf):
    calls, responses = fake_yf
    responses["AAPL"] = recorded_daily()
    bars = download("aapl", "2024-01-02", "2024-01-06", data_dir=tmp_path)
    check_bars(bars)
    assert calls[0]["auto_adjust"] is True and calls[0]["tickers"] == "AAPL"
    assert bars.index[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert bars["close"].tolist() == RECORDED_DAILY["Close"]
    assert bars["volume"].dtype == np.float64
    path = tmp_path / "equities" / "AAPL.csv"
    assert path.read_text().splitlines()[0] == "timestamp,open,high,low,close,volume"
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["adjustment"].startswith("split_and_dividend") and meta["ticker"] == "AAPL"
    assert bars.attrs["adjustment"] == meta["adjustment"]


def test_download_reuses_file_unless_refresh(tmp_path, fake_yf):
    calls, responses = fake_yf
    responses["AAPL"] = recorded_daily()
    first = download("AAPL", "2024-01-02", "2024-01-06", data_dir=tmp_path)
    again = download("AAPL", "2024-01-02", "2024-01-06", data_dir=tmp_path)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, again, check_freq=False)
    assert again.attrs["ticker"] == "AAPL"
    download("AAPL", "2024-01-02", "2024-01-06", data_dir=tmp_path, refresh=True)
    assert len(calls) == 2


def test_download_offline_empty_frame_raises_clear_error(tmp_path, fake_yf):
    with pytest.raises(DownloadError, match=r"no data for MSFT.*no network"):
        download("MSFT", "2024-01-02", data_dir=tmp_path)
    assert not (tmp_path / "equities" / "MSFT.csv").exists()


def test_download_none_result_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(yf, "download", lambda tickers, **kw: None)
    with pytest.raises(DownloadError, match="EURUSD=X"):
        download("EURUSD", "2024-01-02", asset_class="fx", data_dir=tmp_path)


def test_download_fx_and_crypto_tickers_and_paths(tmp_path, fake_yf):
    calls, responses = fake_yf
    responses["EURUSD=X"] = recorded_daily("EURUSD=X")
    bars = download("EURUSD", "2024-01-02", asset_class="fx", data_dir=tmp_path)
    assert calls[-1]["tickers"] == "EURUSD=X"
    assert (tmp_path / "fx" / "EURUSD.csv").is_file() and len(bars) == 4
    assert yahoo_ticker("BTCUSD", "crypto") == "BTC-USD"
    assert yahoo_ticker("BTC-USD", "crypto") == "BTC-USD"
    assert csv_path("BTC-USD", "crypto", tmp_path) == tmp_path / "crypto" / "BTC-USD.csv"


def test_normalize_intraday_restamps_bar_end_in_utc():
    start = pd.date_range("2024-01-02 09:30", periods=3, freq="5min", tz="America/New_York")
    flat = pd.DataFrame(
        {"Open": 1.0, "High": 1.0, "Low": 1.0, "Close": 1.0, "Adj Close": 1.0, "Volume": 7},
        index=start.rename("Datetime"),
    )
    out = normalize_yfinance(flat, "AAPL", interval="5m")
    assert out.index[0] == pd.Timestamp("2024-01-02 14:35", tz="UTC")
    assert list(out.columns) == ["open", "high", "low", "close", "volume"]


def test_normalize_other_ticker_columns_raise():
    frame = pd.concat([recorded_daily("AAPL"), recorded_daily("MSFT")], axis=1)
    with pytest.raises(DownloadError, match="other tickers"):
        normalize_yfinance(frame, "IBM")


def _online() -> bool:
    try:
        socket.create_connection(("query1.finance.yahoo.com", 443), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.network
def test_download_live_aapl(tmp_path):
    if not _online():
        pytest.skip("no network: the live yfinance path cannot be reached from here")
    bars = download("AAPL", "2024-01-02", "2024-01-10", data_dir=tmp_path)
    check_bars(bars)
    assert len(bars) >= 5
