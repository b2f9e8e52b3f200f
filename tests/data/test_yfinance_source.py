"""The ``yfinance:SYM,...`` source and its store, on responses shaped like yfinance 1.x output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data.sources import BarsSource, load_bars
from alphafactory.data.store import update_bars
from alphafactory.errors import DataError
from alphafactory.evaluation import infer_periods_per_year

yf = pytest.importorskip("yfinance")

# Recorded shape of yf.download("AAPL", start="2024-01-02", end="2024-01-06"), yfinance 1.x.
AAPL = {
    "Close": [184.532089, 183.150391, 181.175842, 180.451843],
    "High": [187.315382, 184.770668, 182.599268, 181.733411],
    "Low": [182.792533, 182.335307, 180.531384, 179.666488],
    "Open": [186.033072, 182.554054, 181.175842, 180.839717],
    "Volume": [82488700, 58414500, 71983600, 62303300],
}
DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def recorded(ticker: str, values: dict, index: pd.DatetimeIndex) -> pd.DataFrame:
    columns = pd.MultiIndex.from_product([list(values), [ticker]], names=["Price", "Ticker"])
    frame = pd.DataFrame(np.column_stack([values[k] for k in values]), columns=columns,
                         index=index)  # fmt: skip
    return frame.astype({(k, ticker): ("int64" if k == "Volume" else "float64") for k in values})


def daily(ticker: str, scale: float = 1.0, dates=DATES) -> pd.DataFrame:
    n = len(dates)
    values = {k: (np.resize(v, n) * (scale if k != "Volume" else 1)) for k, v in AAPL.items()}
    return recorded(ticker, values, pd.DatetimeIndex(dates, name="Date"))


def intraday_15m(ticker: str, day: str = "2024-01-02") -> pd.DataFrame:
    """26 bars stamped with their START in New York time, as yfinance gives them."""
    start = pd.date_range(f"{day} 09:30", periods=26, freq="15min", tz="America/New_York")
    close = 180.0 + np.cumsum(np.linspace(-0.3, 0.3, 26))
    values = {"Close": close, "High": close + 0.2, "Low": close - 0.25, "Open": close - 0.05,
              "Volume": np.full(26, 1000)}  # fmt: skip
    return recorded(ticker, values, start.rename("Datetime"))


@pytest.fixture
def fake_yf(monkeypatch, tmp_path):
    """Replay recorded responses by (ticker, interval); run in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    calls: list[dict] = []
    responses: dict[tuple[str, str], pd.DataFrame] = {}

    def fake_download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        return responses.get((tickers, kwargs.get("interval", "1d")))

    monkeypatch.setattr(yf, "download", fake_download)
    return calls, responses


def test_yfinance_source_downloads_once_then_reads_the_cache(fake_yf, tmp_path):
    calls, responses = fake_yf
    responses[("AAPL", "1d")] = daily("AAPL")
    responses[("MSFT", "1d")] = daily("MSFT", scale=2.0)
    source = BarsSource.parse("yfinance:AAPL,MSFT", start="2024-01-02", end="2024-01-06")
    bars = source.load()
    assert [c["tickers"] for c in calls] == ["AAPL", "MSFT"]
    assert calls[0]["auto_adjust"] is True and calls[0]["start"] == "2024-01-02"
    assert (tmp_path / "data" / "equities" / "AAPL.csv").is_file()
    assert bars.xs("MSFT", level="symbol")["close"].tolist() == [2 * x for x in AAPL["Close"]]
    again = source.load()
    assert len(calls) == 2
    pd.testing.assert_frame_equal(bars, again, check_freq=False)
    assert again.attrs["bars_source"] == {"spec": "yfinance:AAPL,MSFT", "start": "2024-01-02",
                                          "end": "2024-01-06"}  # fmt: skip


def test_yfinance_source_without_cache_or_start_is_an_error(fake_yf):
    with pytest.raises(DataError, match=r"nothing cached at .*AAPL\.csv and no start date"):
        load_bars("yfinance:AAPL")


def test_yfinance_source_offline_is_one_clear_line(fake_yf):
    with pytest.raises(DataError, match="yfinance returned no data for AAPL") as info:
        load_bars("yfinance:AAPL", start="2024-01-02")
    assert "\n" not in str(info.value)


def test_yfinance_intraday_is_cached_by_interval_and_checked_on_the_calendar(fake_yf, tmp_path):
    _, responses = fake_yf
    responses[("AAPL", "15m")] = intraday_15m("AAPL")
    bars = load_bars("yfinance:AAPL", start="2024-01-02", end="2024-01-03", interval="15m")
    stamps = bars.index.get_level_values("timestamp")
    assert stamps[0] == pd.Timestamp("2024-01-02 14:45", tz="UTC")  # end of 09:30-09:45 EST
    assert stamps[-1] == pd.Timestamp("2024-01-02 21:00", tz="UTC")
    assert (tmp_path / "data" / "equities" / "15m" / "AAPL.csv").is_file()
    assert infer_periods_per_year(bars.index, calendar="XNYS") == 26 * 252


def test_yfinance_intraday_with_a_missing_bar_is_rejected(fake_yf):
    _, responses = fake_yf
    responses[("AAPL", "15m")] = intraday_15m("AAPL").drop(index=intraday_15m("AAPL").index[5])
    with pytest.raises(DataError, match=r"missing_bar: no 15min bar ending here"):
        load_bars("yfinance:AAPL", start="2024-01-02", end="2024-01-03", interval="15m")


def test_yfinance_update_appends_new_sessions_and_reports(fake_yf, tmp_path):
    calls, responses = fake_yf
    responses[("AAPL", "1d")] = daily("AAPL")
    source = BarsSource.parse("yfinance:AAPL", start="2024-01-02")
    source.load()
    later = ["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]
    values = {k: np.asarray(v[2:] + v[2:]) for k, v in AAPL.items()}
    values["Close"][0] = 181.5  # the vendor revised 2024-01-04's close
    responses[("AAPL", "1d")] = recorded("AAPL", values, pd.DatetimeIndex(later, name="Date"))
    report = update_bars(source)
    assert calls[-1]["start"] == "2023-12-31"  # refetch a few days before the last bar
    assert report.summary()["added"] == 2 and report.summary()["replaced"] == 1
    assert report.unchanged == 1 and report.files == ("data/equities/AAPL.csv",)
    assert len(report.rejected) == 0
    bars = source.load()
    assert len(bars) == 6
    assert bars.loc[(pd.Timestamp("2024-01-04", tz="UTC"), "AAPL"), "close"] == 181.5
