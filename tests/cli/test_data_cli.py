from __future__ import annotations

import pytest

from alphafactory.cli import main
from alphafactory.data import load_sample, write_ohlcv_csv, write_parquet

yf = pytest.importorskip("yfinance")


def test_cli_data_samples_lists_bundled(capsys):
    assert main(["data", "samples"]) == 0
    out = capsys.readouterr().out
    assert "us-equities-daily" in out and "AAPL,FB,GOOG,IBM,MSFT" in out


def test_cli_data_validate_clean_file_exits_zero(tmp_path, capsys):
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010"]
    path = write_ohlcv_csv(bars, tmp_path / "ibm.csv")
    assert main(["data", "validate", str(path)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out
    parquet = write_parquet(bars, tmp_path / "ibm.parquet")
    assert main(["data", "validate", str(parquet)]) == 0


def test_cli_data_validate_bad_file_exits_one_and_names_line(tmp_path, capsys):
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010"]
    path = write_ohlcv_csv(bars, tmp_path / "ibm.csv")
    lines = path.read_text().splitlines()
    lines[7] = lines[7].split(",")[0] + ",abc,1,1,1,1"
    path.write_text("\n".join(lines) + "\n")
    assert main(["data", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "line 8" in out and "unparsable" in out


def test_cli_data_validate_strict_fails_on_warning(tmp_path, capsys):
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010-01"]
    path = write_ohlcv_csv(bars, tmp_path / "ibm.csv")
    lines = path.read_text().splitlines()
    lines.insert(11, lines[10].replace("2010-01-15", "2010-01-18"))  # Martin Luther King day
    path.write_text("\n".join(lines) + "\n")
    assert main(["data", "validate", str(path)]) == 0
    assert "[warning] non_session" in capsys.readouterr().out
    assert main(["data", "validate", str(path), "--strict"]) == 1
    assert main(["data", "validate", str(path), "--calendar", "24/7"]) == 1  # weekends missing


def test_cli_data_download_offline_is_a_clean_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(yf, "download", lambda tickers, **kw: None)
    argv = ["data", "download", "--symbol", "AAPL", "--start", "2015-01-01"]
    assert main([*argv, "--data-dir", str(tmp_path)]) == 2
    assert "no data for AAPL" in capsys.readouterr().err


def test_cli_data_without_subcommand_prints_help(capsys):
    assert main(["data"]) == 2
    assert "download" in capsys.readouterr().out
