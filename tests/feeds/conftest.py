"""Recorded yfinance responses (yfinance 1.x shape: (Price, Ticker) MultiIndex columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# yf.download("AAPL", start="2024-01-02", end="2024-01-10", interval="1d", auto_adjust=True)
AAPL = {
    "Close": [184.532089, 183.150391, 181.175842, 180.451843, 184.730011, 184.102722],
    "High": [187.315382, 184.770668, 182.599268, 181.733411, 184.850006, 185.377853],
    "Low": [182.792533, 182.335307, 180.531384, 179.666488, 180.729996, 183.107416],
    "Open": [186.033072, 182.554054, 181.175842, 180.839717, 181.589996, 183.416214],
    "Volume": [82488700, 58414500, 71983600, 62303300, 59144500, 42841800],
}
DATES = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]


def recorded(ticker: str, values: dict, index: pd.DatetimeIndex) -> pd.DataFrame:
    columns = pd.MultiIndex.from_product([list(values), [ticker]], names=["Price", "Ticker"])
    frame = pd.DataFrame(np.column_stack([values[k] for k in values]), columns=columns,
                         index=index)  # fmt: skip
    return frame.astype({(k, ticker): ("int64" if k == "Volume" else "float64") for k in values})


def daily(ticker: str, n: int, scale: float = 1.0) -> pd.DataFrame:
    values = {k: np.asarray(v[:n]) * (scale if k != "Volume" else 1) for k, v in AAPL.items()}
    return recorded(ticker, values, pd.DatetimeIndex(DATES[:n], name="Date"))


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
    yf = pytest.importorskip("yfinance")
    monkeypatch.chdir(tmp_path)
    calls: list[dict] = []
    responses: dict[tuple[str, str], pd.DataFrame] = {}

    def fake_download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        return responses.get((tickers, kwargs.get("interval", "1d")))

    monkeypatch.setattr(yf, "download", fake_download)
    return calls, responses


class Clock:
    """A settable UTC clock for feeds."""

    def __init__(self, now: str) -> None:
        self.now = pd.Timestamp(now, tz="UTC")

    def __call__(self) -> pd.Timestamp:
        return self.now
