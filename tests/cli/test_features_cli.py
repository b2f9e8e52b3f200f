from __future__ import annotations

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.data import load_sample, write_ohlcv_csv
from alphafactory.features import list_features


def test_features_list_csv_prints_every_registered_feature(capsys):
    assert main(["features", "list", "--csv"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == len(list_features()) + 1


def test_features_build_sample_writes_parquet(tmp_path):
    out = tmp_path / "feats.parquet"
    assert main(["features", "build", "--sample", "us-equities-daily", "--out", str(out),
                 "--families", "returns,volatility"]) == 0
    feats = pd.read_parquet(out)
    assert list(feats.index.names) == ["timestamp", "symbol"]
    assert "ret_1" in feats.columns and "parkinson_20" in feats.columns
    assert "rsi_14" not in feats.columns


def test_features_build_csv_single_symbol(tmp_path):
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").iloc[:300]
    path = write_ohlcv_csv(bars, tmp_path / "IBM.csv")
    out = tmp_path / "ibm.parquet"
    assert main(["features", "build", "--csv", str(path), "--out", str(out),
                 "--include", "rsi_*,ret_1"]) == 0
    feats = pd.read_parquet(out)
    assert list(feats.columns) == ["ret_1", "rsi_6", "rsi_14", "rsi_28"]
    assert len(feats) == 300


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["features", "build", "--sample", "nope", "--out", "x.parquet"], "nope"),
        (["features", "build", "--sample", "us-equities-daily", "--out", "x.csv"], ".parquet"),
        (["features", "list", "--family", "astrology"], "Unknown family"),
    ],
)
def test_features_cli_user_errors_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


# --- issue #12: --out never replaces an input or an existing file without --force ------------


def _ibm_csv(tmp_path):
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010"]
    return write_ohlcv_csv(bars, tmp_path / "IBM.csv")


def test_features_build_existing_out_refused_without_force(tmp_path, capsys):
    csv = _ibm_csv(tmp_path)
    out = tmp_path / "f.parquet"
    out.write_bytes(b"keep me")
    argv = ["features", "build", "--bars", str(csv), "--families", "returns", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"alphafactory: error: --out {out}: already exists; pass --force " \
                  "(overwrite=True) to replace it"
    assert out.read_bytes() == b"keep me"
    assert main([*argv, "--force"]) == 0
    assert pd.read_parquet(out).shape[0] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["IBM.csv", "f.parquet"]


def test_features_build_out_equal_to_input_refused(tmp_path, capsys):
    from alphafactory.data import write_parquet

    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010"]
    path = write_parquet(bars, tmp_path / "IBM.parquet")
    before = path.read_bytes()
    argv = ["features", "build", "--bars", str(path), "--out", str(path), "--force"]
    assert main(argv) == 2
    assert "is the same file as the input --bars" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_features_build_bad_calendar_refused_before_reading(tmp_path, capsys):
    csv = _ibm_csv(tmp_path)
    out = tmp_path / "f.parquet"
    assert main(["features", "build", "--bars", str(csv), "--calendar", "NOPE",
                 "--out", str(out)]) == 2  # fmt: skip
    assert "--calendar: unknown calendar 'NOPE'" in capsys.readouterr().err
    assert not out.exists()
