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


# --- issue #12: one line for bad flags, nothing fetched or written ---------------------------


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("alphafactory: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_cli_data_validate_negative_limit_is_one_line(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
    assert main(["data", "validate", str(path), "--limit", "-5"]) == 2
    assert _error_line(capsys) == "alphafactory: error: --limit: must be an integer >= 0, got -5"


def test_cli_data_validate_unknown_calendar_names_flag(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
    assert main(["data", "validate", str(path), "--calendar", "MOON"]) == 2
    assert "--calendar: unknown calendar 'MOON' (rule: '24/7', 'weekdays'" in _error_line(capsys)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--start", "notadate"], "--start: must be a date such as 2015-01-01"),
        (["--start", "1500-01-01"], "--start: must be a date"),
        (["--start", "2020-01-01", "--end", "2019-01-01"], "--end: must be after --start"),
        (["--start", "2020-01-01", "--interval", "0d"], "--interval: must be a yfinance interval"),
    ],
)
def test_cli_data_download_bad_request_refused_before_network(
    tmp_path, capsys, monkeypatch, flags, message
):
    import importlib

    download = importlib.import_module("alphafactory.data.download")

    def no_network(*args, **kwargs):
        raise AssertionError("the network was reached")

    monkeypatch.setattr(download, "fetch", no_network)
    argv = ["data", "download", "--symbol", "AAPL", "--data-dir", str(tmp_path / "d"), *flags]
    assert main(argv) == 2
    assert message in _error_line(capsys)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,open,high,low,close,volume\n", "no rows"),
        ("timestamp,open,high,low,close,volume,close\n2024-01-02,1,1,1,1,1,1\n",
         "column 'close' appears twice"),
        ("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n"
         "2024-01-03T00:00:00+05:00,1,1,1,1,1\n", "line 3: timestamp"),
    ],
    ids=["header-only", "duplicate-close", "mixed-formats"],
)
def test_cli_data_validate_refused_file_is_one_line_exit_two(tmp_path, capsys, text, message):
    path = tmp_path / "a.csv"
    path.write_text(text)
    assert main(["data", "validate", str(path)]) == 2
    assert message in _error_line(capsys)
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--membership", "m.csv"], "--membership: not used by data validate on files"),
        (["--start", "2024-01-01", "--on-error", "drop"], "--start, --on-error: not used by"),
        (["--date-format", "%Q"], "--date-format / date_format '%Q': not a strftime format"),
        (["--tz", "Mars/Olympus"], "--tz / tz: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_cli_data_validate_ignored_or_bad_options_are_one_line(tmp_path, capsys, flags, message):
    path = tmp_path / "a.csv"
    path.write_text("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
    assert main(["data", "validate", str(path), *flags]) == 2
    assert message in _error_line(capsys)


def test_cli_data_validate_bad_synthetic_freq_is_one_line(capsys):
    assert main(["data", "validate", "synthetic:freq=abc"]) == 2
    assert "freq must be a duration such as 1D, 1h or 15min; got 'abc'" in _error_line(capsys)


def test_cli_data_download_blank_symbol_refused_before_network(tmp_path, capsys):
    argv = ["data", "download", "--symbol", " ", "--start", "2020-01-01",
            "--data-dir", str(tmp_path / "d")]  # fmt: skip
    assert main(argv) == 2
    assert "--symbol: must be a ticker such as AAPL" in _error_line(capsys)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("s.csv", b"timestamp,\x80open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n",
         "s.csv line 1: not UTF-8 text"),
        ("s.parquet", b"PAR1 not parquet", "s.parquet: not a readable Parquet file"),
    ],
)
def test_cli_data_update_damaged_store_is_one_line_and_untouched(
    tmp_path, capsys, name, data, message
):
    store = tmp_path / name
    store.write_bytes(data)
    new = tmp_path / "new.csv"
    new.write_text("timestamp,open,high,low,close,volume\n2024-01-03,1,1,1,1,1\n")
    before = store.read_bytes()
    assert main(["data", "update", str(store), "--from", str(new)]) == 2
    assert message in _error_line(capsys)
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "new.csv"])


def test_cli_data_validate_folder_reports_an_unreadable_file_and_checks_the_rest(tmp_path, capsys):
    (tmp_path / "A.csv").write_text("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
    (tmp_path / "B.csv").write_text("timestamp,open,high,low,close,volume\n")
    (tmp_path / "C.csv").write_bytes(b"\x00\x01")
    assert main(["data", "validate", str(tmp_path), "--calendar", "24/7"]) == 1
    out = capsys.readouterr().out
    assert "A.csv: 1 rows, 0 errors" in out
    assert "file: [error] unreadable: no rows (rule: a header then at least one bar" in out
    assert "file: [error] unreadable: not a text CSV file" in out
