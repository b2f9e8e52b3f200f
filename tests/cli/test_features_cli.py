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
