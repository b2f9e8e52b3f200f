"""The example workflows of research/workflows/ run end to end at CI size and rerun.

Each test reads the shipped file, shrinks only the sizes (walk-forward blocks, model preset,
bars) and points data and outputs into tmp_path: every other key is the file's own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.pipeline import parse_workflow, rerun, run_workflow
from alphafactory.runs import read_toml

WORKFLOWS = Path(__file__).resolve().parents[2] / "research" / "workflows"
QUIET = {"log": lambda _: None}


def shrunk(name: str, tmp_path: Path, data: dict, walk_forward: dict) -> dict:
    """The example's document with CI sizes, its data replaced and outputs under tmp_path."""
    doc = read_toml(WORKFLOWS / name)
    doc["data"] = {**doc["data"], **data}
    doc["models"] = {**doc["models"], "preset": "ci", "walk_forward": walk_forward}
    doc["signals"] = {**doc["signals"], "dir": str(tmp_path / "signals")}
    return doc


def test_every_example_workflow_parses():
    files = sorted(WORKFLOWS.glob("*.toml"))
    assert {f.stem for f in files} >= {"csv_folder_daily", "yfinance_daily", "intraday_15min"}
    for file in files:
        parse_workflow(read_toml(file), str(file))


def write_csv_folder(folder: Path) -> pd.DataFrame:
    """Per-symbol CSVs as a user exports them: Date,Open,...,Volume with MM/DD/YYYY dates."""
    bars = synthetic_market(n_symbols=5, n_bars=900, seed=2, alpha_ic=0.15, calendar="XNYS").bars
    folder.mkdir()
    for symbol, rows in bars.groupby(level="symbol"):
        frame = rows.droplevel("symbol").reset_index()
        frame.insert(0, "Date", frame.pop("timestamp").dt.strftime("%m/%d/%Y"))
        frame.columns = ["Date", "Open", "High", "Low", "Close", "Volume"]
        frame.to_csv(folder / f"{symbol}.csv", index=False)
    return bars


def test_csv_folder_daily_runs_to_a_backtest_and_reruns(tmp_path):
    bars = write_csv_folder(tmp_path / "my_bars")
    # The file's feature families include 252-bar warm-ups (12-1 momentum, 52-week range).
    doc = shrunk("csv_folder_daily.toml", tmp_path, {"spec": str(tmp_path / "my_bars")},
                 {"train": 350, "val": 60, "test": 120, "lookback": 10})  # fmt: skip
    outcome = run_workflow(parse_workflow(doc), root=tmp_path / "runs", **QUIET)
    run = outcome.run
    assert set(run.metrics["models"]) == {"ridge", "lstm", "ensemble"}
    assert run.manifest["data_fingerprints"]["mine"].startswith("sha256:")
    equity = run.read_table("equity")
    assert set(equity.columns) == set(run.metrics["models"]) and equity.notna().all().all()
    trades = run.read_table("trades")
    assert set(trades["symbol"]) <= set(bars.index.get_level_values("symbol"))
    # [risk] max_weight = 0.25: no position above a quarter of the book
    ensemble = trades[trades["model"] == "ensemble"]
    positions = ensemble.pivot_table(index="timestamp", columns="symbol", values="qty",
                                     aggfunc="sum").fillna(0).cumsum()  # fmt: skip
    prices = bars["close"].unstack("symbol").reindex(positions.index)
    assert (positions * prices).abs().max().max() <= 0.25 * 1e6 * 1.2
    assert len(run.figures()) == 3  # [report] tearsheets = true
    assert (run.path / "signals.csv").is_file()
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def recorded_layout(ticker: str, rows: pd.DataFrame) -> pd.DataFrame:
    """A frame shaped like yfinance 1.x output: (Price, Ticker) columns, naive ``Date`` index."""
    columns = pd.MultiIndex.from_product(
        [["Close", "High", "Low", "Open", "Volume"], [ticker]], names=["Price", "Ticker"]
    )
    values = np.column_stack([rows[c].to_numpy() for c in ("close", "high", "low", "open",
                                                          "volume")])  # fmt: skip
    index = pd.DatetimeIndex(rows.index.get_level_values("timestamp").tz_localize(None),
                             name="Date")  # fmt: skip
    return pd.DataFrame(values, index=index, columns=columns).astype({(c, ticker): np.float64
                                                                      for c in columns.levels[0]})


@pytest.fixture
def recorded_yfinance(monkeypatch, tmp_path):
    """yfinance.download answering from recorded-layout frames; offline for anything else."""
    yf = pytest.importorskip("yfinance")
    doc = read_toml(WORKFLOWS / "yfinance_daily.toml")
    symbols = doc["data"]["spec"].split(":", 1)[1].split(",")
    bars = synthetic_market(n_symbols=len(symbols), n_bars=900, seed=5, alpha_ic=0.15,
                            calendar="XNYS", start=doc["data"]["start"]).bars  # fmt: skip
    responses = {
        ticker: recorded_layout(ticker, rows)
        for ticker, (_, rows) in zip(symbols, bars.groupby(level="symbol"), strict=True)
    }
    calls: list[str] = []

    def fake_download(tickers, **kwargs):
        calls.append(tickers)
        if tickers not in responses:
            return recorded_layout(tickers, bars.iloc[:0])
        return responses[tickers]

    monkeypatch.setattr(yf, "download", fake_download)
    monkeypatch.chdir(tmp_path)  # the download cache is ./data
    return calls, symbols


def test_yfinance_daily_downloads_once_caches_and_reruns(tmp_path, recorded_yfinance):
    calls, symbols = recorded_yfinance
    doc = shrunk("yfinance_daily.toml", tmp_path, {},
                 {"train": 350, "val": 60, "test": 120, "lookback": 10})  # fmt: skip
    doc["models"]["names"] = ["ridge", "tcn"]
    outcome = run_workflow(parse_workflow(doc), root=tmp_path / "runs", **QUIET)
    assert sorted(calls) == sorted(symbols)
    assert all((tmp_path / "data" / "equities" / f"{s}.csv").is_file() for s in symbols)
    metrics = outcome.run.metrics["models"]
    assert set(metrics) == {"ridge", "tcn", "ensemble"}
    assert metrics["ensemble"]["periods_per_year"] == 252
    report = rerun(outcome.run.path, **QUIET)  # from the cache: no second download
    assert report.ok, report.differences
    assert len(calls) == len(symbols)


def test_yfinance_daily_offline_is_one_clear_error(tmp_path, recorded_yfinance):
    doc = shrunk("yfinance_daily.toml", tmp_path, {"spec": "yfinance:NOPE"},
                 {"train": 150, "val": 40, "test": 80, "lookback": 10})  # fmt: skip
    with pytest.raises(ValueError, match="NOPE"):
        run_workflow(parse_workflow(doc), root=tmp_path / "runs", **QUIET)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_intraday_15min_annualizes_with_26_bars_a_session(tmp_path):
    doc = read_toml(WORKFLOWS / "intraday_15min.toml")
    spec = doc["data"]["spec"].replace("n_symbols=20,n_bars=5200", "n_symbols=6,n_bars=1300")
    doc = shrunk("intraday_15min.toml", tmp_path, {"spec": spec},
                 {"train": 520, "val": 130, "test": 260, "lookback": 13})  # fmt: skip
    outcome = run_workflow(parse_workflow(doc), root=tmp_path / "runs", **QUIET)
    run = outcome.run
    metrics = run.metrics["models"]
    assert set(metrics) == {"ridge", "lstm",
                            "ensemble"}  # fmt: skip
    assert {m["periods_per_year"] for m in metrics.values()} == {26 * 252}
    stamps = pd.DatetimeIndex(run.read_table("equity").index)
    local = stamps.tz_convert("America/New_York")
    assert local.time.min() >= pd.Timestamp("09:45").time()  # bars stamped with their end
    assert local.time.max() <= pd.Timestamp("16:00").time()
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences
