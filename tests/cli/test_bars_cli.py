"""--bars SPEC everywhere: own CSV folders with US dates, data validate / update, train without a
config, train -> signals export -> backtest on own data, hostile files as one-line errors."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.cli._bars import add_bars_arguments, bars_source_from_args
from alphafactory.data import fingerprint, synthetic_market
from alphafactory.data.sources import BarsSource
from alphafactory.runs import Run

HEADER = "Date,Open,High,Low,Close,Volume"


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    return synthetic_market(5, 1000, seed=1, alpha_ic=0.1, calendar="XNYS").bars


@pytest.fixture
def own(tmp_path, market):
    """A folder of per-symbol CSVs in the user's layout: US dates, capitalized header."""
    folder = tmp_path / "own"
    folder.mkdir()
    for symbol, group in market.groupby(level="symbol"):
        flat = group.droplevel("symbol").reset_index()
        flat["timestamp"] = flat["timestamp"].dt.strftime("%m/%d/%Y")
        flat.columns = HEADER.split(",")
        flat.to_csv(folder / f"{symbol}.csv", index=False)
    return folder


def one_line_error(capsys) -> str:
    """The command's error: one line, the last on stderr (progress lines may precede it)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("alphafactory: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    return errors[0]


def test_bars_arguments_build_the_source():
    parser = argparse.ArgumentParser()
    add_bars_arguments(parser)
    args = parser.parse_args(["--bars", "own/", "--date-format", "%m/%d/%Y", "--tz", "UTC",
                              "--columns", "Px=close", "--calendar", "XNYS", "--universe",
                              "A,B", "--membership", "m.csv", "--start", "2020-01-01"])  # fmt: skip
    assert bars_source_from_args(args) == BarsSource(
        spec="own/", date_format="%m/%d/%Y", tz="UTC", columns={"Px": "close"},
        calendar="XNYS", universe=("A", "B"), membership="m.csv", start="2020-01-01",
    )  # fmt: skip
    assert bars_source_from_args(parser.parse_args([])) == BarsSource(spec="sample")
    no_default = argparse.ArgumentParser()
    add_bars_arguments(no_default, default=None)
    assert bars_source_from_args(no_default.parse_args([])) is None
    base = BarsSource(spec="x/", date_format="%d.%m.%Y")
    merged = bars_source_from_args(no_default.parse_args(["--universe", "A"]), base)
    assert merged == BarsSource(spec="x/", date_format="%d.%m.%Y", universe=("A",))
    replaced = bars_source_from_args(no_default.parse_args(["--bars", "y/"]), base)
    assert replaced == BarsSource(spec="y/", date_format="%d.%m.%Y")


def test_cli_data_validate_folder_with_and_without_date_format(own, capsys):
    assert main(["data", "validate", str(own), "--date-format", "%m/%d/%Y"]) == 0
    out = capsys.readouterr().out
    assert out.count("1000 rows, 0 errors, 0 warnings (calendar XNYS)") == 5
    assert main(["data", "validate", str(own)]) == 1
    assert "line 2: [error] unparsable: cannot parse timestamp '01/04/2010'" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "line 1: empty file"),
        (b"\x00\x01\x02binary", "NUL byte at offset 0"),
        (b"timestamp;open;high;low;close;volume\n2024-01-02;1;1;1;1;1\n", "';'-separated"),
        (b"timestamp,open,high,low,close\n2024-01-02,1,1,1,1\n", "missing ['volume']"),
    ],
)
@pytest.mark.parametrize("command", [["data", "validate"], ["features", "build", "--out",
                                                            "f.parquet", "--bars"]])  # fmt: skip
def test_cli_hostile_files_give_one_line_and_exit_2(tmp_path, capsys, content, expected, command):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main([*command, str(path)]) == 2
    line = one_line_error(capsys)
    assert str(path) in line and expected in line


def test_cli_missing_source_and_bad_option_are_one_line(tmp_path, capsys):
    assert main(["data", "validate", str(tmp_path / "nope")]) == 2
    assert "no file or folder at" in one_line_error(capsys)
    assert main(["data", "validate", "synthetic:n_symbols=x"]) == 2
    assert "n_symbols='x' is not a int" in one_line_error(capsys)


def test_cli_train_own_folder_without_config_then_signals_then_backtest(own, tmp_path, capsys,
                                                                         monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--bars", str(own), "--date-format", "%m/%d/%Y", "--model", "ridge",
            "--out", "runs/train"]  # fmt: skip
    assert main(argv) == 0
    run = Run.open(tmp_path / "runs" / "train")
    assert run.config["data"] == {"spec": str(own), "date_format": "%m/%d/%Y"}
    bars = BarsSource.from_config(run.config["data"]).load()
    assert run.manifest["data_fingerprints"]["bars"] == fingerprint(bars)
    assert main(["train", "--config", "runs/train/config.toml", "--out", "runs/again"]) == 0
    again = Run.open(tmp_path / "runs" / "again")
    assert again.metrics == run.metrics and again.config == run.config
    assert main(["signals", "export", "--predictions", "runs/train", "--out", "sig.csv"]) == 0
    assert main(["signals", "check", "sig.csv", "--bars", str(own), "--date-format",
                 "%m/%d/%Y"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["backtest", "--signals", "sig.csv", "--out", "runs/bt"]) == 0
    assert "note:" not in capsys.readouterr().err  # the recorded source gave the same bars
    bt = Run.open(tmp_path / "runs" / "bt")
    assert bt.config["data"] == run.config["data"]
    assert bt.manifest["data_fingerprints"]["bars"] == fingerprint(bars)


def test_cli_train_config_data_section_and_bars_override(own, tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(
        f'[data]\nspec = "{own}"\ndate_format = "%m/%d/%Y"\nuniverse = ["S0", "S1", "S2"]\n'
        "[walk_forward]\ntrain = 300\nval = 60\ntest = 200\n"
    )
    assert main(["train", "--config", str(config), "--model", "ridge", "--out",
                 str(tmp_path / "r1")]) == 0  # fmt: skip
    data = Run.open(tmp_path / "r1").config["data"]
    assert data == {"spec": str(own), "date_format": "%m/%d/%Y", "universe": ["S0", "S1", "S2"]}
    assert main(["train", "--config", str(config), "--model", "ridge", "--universe", "S2,S3,S4",
                 "--out", str(tmp_path / "r2")]) == 0  # fmt: skip
    assert Run.open(tmp_path / "r2").config["data"]["universe"] == ["S2", "S3", "S4"]
    config.write_text(config.read_text().replace("date_format", "datefmt"))
    capsys.readouterr()
    assert main(["train", "--config", str(config), "--model", "ridge"]) == 2
    assert "Unknown key(s) ['datefmt'] in [data] of" in one_line_error(capsys)


def test_cli_train_intraday_synthetic_with_defaults(tmp_path, capsys):
    spec = "synthetic:n_symbols=6,n_bars=1100,freq=15min,alpha_ic=0.1,seed=0"
    assert main(["train", "--bars", spec, "--model", "ridge", "--out", str(tmp_path / "r")]) == 0
    run = Run.open(tmp_path / "r")
    assert run.config["data"] == {"spec": spec}
    stamps = pd.DatetimeIndex(run.read_table("predictions")["timestamp"])
    assert (stamps.minute % 15 == 0).all() and stamps.min() > pd.Timestamp("2010-01-04", tz="UTC")


def test_cli_data_update_folder_reports_and_writes(own, tmp_path, capsys, market):
    new = tmp_path / "new"
    new.mkdir()
    last = market.index.get_level_values("timestamp").max()
    extra = synthetic_market(1, 3, seed=9, calendar="XNYS", start=str((last + pd.Timedelta(
        days=1)).date())).bars.droplevel("symbol").reset_index()  # fmt: skip
    extra["timestamp"] = extra["timestamp"].dt.strftime("%m/%d/%Y")
    extra.columns = HEADER.split(",")
    scale = market.xs("S0", level="symbol")["close"].iloc[-1] / extra["Open"].iloc[0]
    for col in ("Open", "High", "Low", "Close"):
        extra[col] = extra[col] * scale
    extra.to_csv(new / "S0.csv", index=False)
    before = (own / "S0.csv").read_text()
    argv = ["data", "update", str(own), "--from", str(new), "--date-format", "%m/%d/%Y"]
    assert main([*argv, "--dry-run"]) == 0
    assert "added 3" in capsys.readouterr().out and (own / "S0.csv").read_text() == before
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "added 3, replaced 0, unchanged 0, rejected 0" in out
    assert f"wrote {own / 'S0.csv'}" in out
    text = (own / "S0.csv").read_text()
    assert text.startswith(before.splitlines()[0]) and len(text.splitlines()) == 1004
    assert len(BarsSource.parse(str(own), date_format="%m/%d/%Y").load()) == 5003


def test_cli_data_update_without_new_bars_for_a_folder_is_an_error(own, capsys):
    assert main(["data", "update", str(own), "--date-format", "%m/%d/%Y"]) == 2
    assert "no new bars given" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["data", "validate", "{csv}", "--columns", "open=x,open=y"],
         "columns: ['open'] renamed twice (rule: each old name once)"),
        (["data", "validate", "{xlsx}"], "unknown bars file type '.xlsx'"),
        (["features", "build", "--sample", "us-equities-daily", "--bars", "{csv}",
          "--out", "{out}"], "--bars and --sample: both name the bars"),
        (["features", "build", "--csv", "{csv}", "--bars", "{csv}", "--out", "{out}"],
         "--bars and --csv: both name the bars"),
    ],
    ids=["columns-twice", "unknown-suffix", "bars-and-sample", "bars-and-csv"],
)
def test_cli_bars_spec_conflicts_are_one_line(tmp_path, capsys, argv, expected):
    csv = tmp_path / "A.csv"
    csv.write_text("timestamp,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
    (tmp_path / "A.xlsx").write_bytes(csv.read_bytes())
    names = {"csv": csv, "xlsx": tmp_path / "A.xlsx", "out": tmp_path / "f.parquet"}
    assert main([a.format(**names) for a in argv]) == 2
    assert expected in one_line_error(capsys)
    assert not (tmp_path / "f.parquet").exists()
