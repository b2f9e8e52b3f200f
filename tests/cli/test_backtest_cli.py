from __future__ import annotations

import json

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.data import load_sample, to_wide
from alphafactory.signals import export_signals


@pytest.fixture(scope="module")
def momentum_signals(tmp_path_factory):
    close = to_wide(load_sample(), "close")
    scores = close.pct_change(20, fill_method=None).iloc[-400:].dropna(how="all")
    path = tmp_path_factory.mktemp("signals") / "momentum.csv"
    return export_signals(scores, path, model="momentum")


def test_backtest_command_writes_a_run(tmp_path, momentum_signals, capsys):
    out = tmp_path / "run"
    status = main([
        "backtest", "--signals", str(momentum_signals), "--cost", "fixed", "--bps", "5",
        "--rebalance", "5", "--out", str(out),
    ])
    assert status == 0
    assert "sharpe" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["models"]["strategy"]["cost_bps_of_traded"] == pytest.approx(5.0)
    equity = pd.read_parquet(out / "equity.parquet")
    assert equity["strategy"].iloc[0] == pytest.approx(1.0, abs=0.01)
    assert (out / "figures" / "tearsheet.html").exists()
    assert len(pd.read_parquet(out / "trades.parquet")) > 0


def test_execute_command_prints_attribution(tmp_path, momentum_signals, capsys):
    out = tmp_path / "exec"
    status = main([
        "execute", "--signals", str(momentum_signals), "--rebalance", "63", "--slices", "4",
        "--horizon", "120", "--out", str(out),
    ])
    assert status == 0
    printed = capsys.readouterr().out
    assert "impact_cost" in printed and "opportunity_cost" in printed
    attribution = pd.read_parquet(out / "execution" / "cost_attribution.parquet")
    assert attribution["component"].tolist()[0] == "gross_pnl"
    assert (out / "execution" / "shortfall.parquet").exists()


def test_signals_check_and_missing_file(momentum_signals, tmp_path, capsys):
    assert main(["signals", "check", str(momentum_signals), "--bars", "sample"]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["backtest", "--signals", str(tmp_path / "none.csv"), "--no-run"]) == 2
    assert "No signal file" in capsys.readouterr().err


def test_signals_export_command(tmp_path, momentum_signals, capsys):
    target = tmp_path / "copy.parquet"
    assert main(["signals", "export", "--predictions", str(momentum_signals),
                 "--out", str(target)]) == 0
    assert target.exists() and (tmp_path / "copy.parquet.meta.json").exists()


def test_backtest_command_trades_any_registered_rule_and_reruns(tmp_path, momentum_signals):
    out = tmp_path / "ivol"
    status = main([
        "backtest", "--signals", str(momentum_signals), "--cost", "fixed", "--bps", "5",
        "--rule", "inverse_volatility",
        "--params", "{ window = 40, k = 3, limits = { max_weight = 0.4 } }",
        "--rebalance", "21", "--out", str(out),
    ])
    assert status == 0
    config = (out / "config.toml").read_text()
    assert 'rule = "inverse_volatility"' in config and "window = 40" in config
    trades = pd.read_parquet(out / "trades.parquet")
    first = trades[trades["timestamp"] == trades["timestamp"].min()]
    assert 0 < len(first) <= 3  # top k = 3 names
    assert main(["rerun", str(out)]) == 0


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--rule", "nope"], "registered rule"),
        (["--rule", "inverse_volatility", "--params", "{ windw = 40 }"], "windw"),
    ],
)
def test_backtest_command_bad_rule_or_params_is_one_line(
    momentum_signals, capsys, argv_tail, message
):
    status = main(["backtest", "--signals", str(momentum_signals), "--no-run", *argv_tail])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_backtest_command_params_not_a_table_is_a_usage_error(momentum_signals, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["backtest", "--signals", str(momentum_signals), "--params", "k = 3"])
    assert exit_.value.code == 2
    assert "TOML inline table" in capsys.readouterr().err
