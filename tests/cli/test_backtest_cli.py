from __future__ import annotations

import json

import pandas as pd
import pytest

from alphafactory.backtest import GrossLeverageWarning
from alphafactory.cli import main
from alphafactory.data import load_sample, to_wide
from alphafactory.signals import export_signals
from alphafactory.signals.weights import UninformativeScoresWarning


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


@pytest.mark.parametrize(("argv_tail", "message"), [
    (["--k", "0"], "--k: must be an integer >= 1, got 0"),
    (["--rule", "quantile", "--quantiles", "1"], "--quantiles: must be an integer >= 2, got 1"),
    (["--cost", "fixed", "--bps", "nan"], "--bps: must be a finite number >= 0, got nan"),
    (["--cost", "fixed", "--bps", "-1"], "--bps: must be a finite number >= 0, got -1.0"),
    (["--rebalance", "0"], "--rebalance: must be an integer >= 1 bar or a period like W or M, "
                           "got '0'"),
    (["--rebalance", "fortnight"], "rebalance must be an integer >= 1 bar or a period alias"),
    (["--rule", "proportional", "--max-weight", "0"],
     "--max-weight: must be a finite number > 0, got 0.0"),
    (["--rule", "threshold", "--threshold", "nan"],
     "--threshold: must be a finite number, got nan"),
    (["--cash", "inf"], "--cash: must be a finite amount > 0, got inf"),
    (["--eta", "nan"], "--eta: must be a finite number > 0, got nan"),
    (["--borrow-bps", "nan"], "--borrow-bps: must be a finite number >= 0, got nan"),
    (["--participation-cap", "0"], "--participation-cap: must be in (0, 1], got 0.0"),
    (["--max-gross-leverage", "nan"], "--max-gross-leverage: must be a finite number > 0, got nan"),
    (["--max-gross-leverage", "0"], "--max-gross-leverage: must be a finite number > 0, got 0.0"),
    (["--rule", "quantile", "--k", "3"], "--k: --rule quantile does not read it (its flags: "
                                         "--quantiles, --long-only"),
    (["--rule", "min_variance", "--long-only"],
     "--long-only: --rule min_variance does not read it"),
    (["--threshold", "0.5"], "--threshold: --rule topk does not read it"),
    (["--bps", "5"], "--bps: --cost sqrt does not read it (only --cost fixed does)"),
    (["--cost", "fixed", "--eta", "2"], "--eta: --cost fixed does not read it"),
    (["--k", "2", "--params", "{ k = 5 }"], "--k: also given in --params (k = 5); give it once"),
])
def test_backtest_bad_or_ignored_flag_is_one_line_exit_2_and_writes_nothing(
    tmp_path, momentum_signals, capsys, argv_tail, message
):
    out = tmp_path / "run"
    status = main(["backtest", "--signals", str(momentum_signals), "--out", str(out), *argv_tail])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("alphafactory: error: ") and len(err.strip().splitlines()) == 1
    assert message in err
    assert not out.exists()


@pytest.mark.parametrize(("argv_tail", "message"), [
    (["--slices", "0"], "--slices: must be an integer >= 1, got 0"),
    (["--horizon", "nan"], "--horizon: must be a finite number of seconds > 0, got nan"),
    (["--participation", "2"], "--participation: must be in (0, 1], got 2.0"),
    (["--half-spread-bps", "-1"], "--half-spread-bps: must be a finite number >= 0, got -1.0"),
    (["--k", "0"], "--k: must be an integer >= 1, got 0"),
])
def test_execute_bad_flag_is_one_line_exit_2_and_writes_nothing(
    tmp_path, momentum_signals, capsys, argv_tail, message
):
    out = tmp_path / "run"
    status = main(["execute", "--signals", str(momentum_signals), "--out", str(out), *argv_tail])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_backtest_out_that_exists_is_refused_before_any_work(tmp_path, momentum_signals, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    status = main(["backtest", "--signals", str(momentum_signals), "--out", str(out)])
    assert status == 2
    assert "--out" in (err := capsys.readouterr().err) and "already exists" in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"
    signal_file = tmp_path / "copy.csv"
    signal_file.write_bytes(momentum_signals.read_bytes())
    before = signal_file.read_bytes()
    assert main(["backtest", "--signals", str(signal_file), "--out", str(signal_file)]) == 2
    assert signal_file.read_bytes() == before


def test_backtest_one_symbol_signal_file_warns_why_it_makes_no_trades(tmp_path, capsys):
    close = to_wide(load_sample(), "close")
    scores = close.iloc[-200:, :1].pct_change(20, fill_method=None).dropna()
    path = export_signals(scores, tmp_path / "one.csv", model="momentum")
    with pytest.warns(UninformativeScoresWarning, match=r"a long-short rule needs >= 2 names"):
        status = main(["backtest", "--signals", str(path), "--no-run"])
    assert status == 0
    assert "final_equity" in capsys.readouterr().out


def test_backtest_max_gross_leverage_flag_is_recorded_and_scales(tmp_path, momentum_signals):
    out = tmp_path / "run"
    # topk legs sum to gross 1: every decision is scaled to 0.5, with one warning per run.
    with pytest.warns(GrossLeverageWarning, match=r"max_gross_leverage=0.5 on \d+ of \d+ "
                                                   r"decision bars \(largest 1\)") as record:
        assert main(["backtest", "--signals", str(momentum_signals), "--rule", "topk", "--k",
                     "2", "--max-gross-leverage", "0.5", "--out", str(out)]) == 0
    assert len([w for w in record if w.category is GrossLeverageWarning]) == 1
    assert "max_gross_leverage = 0.5" in (out / "config.toml").read_text()
