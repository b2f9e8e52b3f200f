"""Workflow files: parsing (unknown keys name the key and the file), every section's effect,
runs that write nothing when they fail, signal-file jobs and reruns."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.errors import ConfigError, DataError
from alphafactory.pipeline import load_workflow, parse_workflow, rerun, run_workflow
from alphafactory.pipeline.sections import (
    BacktestSection,
    FeaturesSection,
    PortfolioSection,
    RiskSection,
    SelectionSection,
)
from alphafactory.pipeline.steps import feature_names
from alphafactory.pipeline.strategies import apply_risk_caps, cost_model, strategy_weights
from alphafactory.runs import list_runs

QUIET = {"log": lambda _: None}

TINY = """
name = "tiny"
seed = 3

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5", "cs_z_ret_5"]

[models]
names = ["ridge"]
walk_forward = { train = 120, val = 30, test = 60, lookback = 5 }

[signals]
export = false

[portfolio]
rule = "quantile"
params = { quantiles = 3 }
rebalance = 2

[backtest]
cost = { model = "fixed", bps = 5.0 }
"""


def write(tmp_path, text: str, name: str = "wf.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("wf")
    config = load_workflow(write(base, TINY))
    return run_workflow(config, root=base / "runs", **QUIET)


def test_workflow_unknown_key_names_key_section_and_file(tmp_path):
    path = write(tmp_path, TINY.replace("rebalance = 2", "rebalance = 2\nrebalanse = 3"))
    with pytest.raises(ConfigError, match=r"rebalanse.*\[portfolio\] of .*wf\.toml"):
        load_workflow(path)


def test_workflow_unknown_section_and_nested_key_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"'modles'.*wf\.toml"):
        load_workflow(write(tmp_path, TINY + "\n[modles]\nnames = ['x']\n"))
    bad = TINY.replace("lookback = 5", "lookbak = 5")
    with pytest.raises(ConfigError, match=r"lookbak.*\[models\.walk_forward\] of .*b\.toml"):
        load_workflow(write(tmp_path, bad, "b.toml"))
    with pytest.raises(ConfigError, match=r"speck.*\[data\] of .*wf\.toml"):
        load_workflow(write(tmp_path, TINY.replace("spec =", "speck ="), "wf.toml"))


def test_workflow_wrong_type_is_an_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"names in \[models\] of .*must be a list"):
        load_workflow(write(tmp_path, TINY.replace('names = ["ridge"]', 'names = "ridge"')))
    with pytest.raises(ConfigError, match=r"n_boot in \[report\]"):
        load_workflow(write(tmp_path, TINY + '\n[report]\nn_boot = "many"\n'))


def test_workflow_needs_one_source_of_scores_and_named_datasets(tmp_path):
    doc = load_workflow(write(tmp_path, TINY)).to_mapping()
    with pytest.raises(ConfigError, match="exactly one source of scores"):
        parse_workflow({k: v for k, v in doc.items() if k != "models"})
    two = [dict(doc["data"][0]), dict(doc["data"][0])]
    with pytest.raises(ConfigError, match="distinct"):
        parse_workflow({**doc, "data": two})
    del two[1]["name"]
    with pytest.raises(ConfigError, match=r"name in \[\[data\]\] #2"):
        parse_workflow({**doc, "data": two})
    with pytest.raises(ConfigError, match="square-root"):
        parse_workflow({**doc, "execution": {}})


def test_workflow_round_trips_through_its_toml(tiny_run):
    config = parse_workflow(tiny_run.run.config)
    assert config.to_mapping() == tiny_run.run.config
    assert config.job == "run" and config.data[0].name == "syn"


def test_features_names_families_all_and_selection():
    assert feature_names(FeaturesSection(names=("rsi_14", "ret_1")), None) == ["rsi_14", "ret_1"]
    vol = feature_names(FeaturesSection(families=("volatility",)), None)
    assert "cc_vol_20" in vol and "ret_1" not in vol
    everything = feature_names(FeaturesSection(all=True), None)
    assert len(everything) >= 250 and set(vol) < set(everything)
    selection = SelectionSection(exclude=("ret_1",), exclude_families=("volatility",))
    kept = feature_names(FeaturesSection(all=True), selection)
    assert "ret_1" not in kept and not set(vol) & set(kept) and "rsi_14" in kept
    with pytest.raises(ConfigError, match="nope"):
        feature_names(FeaturesSection(names=("nope",)), None)
    with pytest.raises(ConfigError, match="exclude_families"):
        feature_names(FeaturesSection(), SelectionSection(exclude_families=("nope",)))


def test_risk_caps_clip_names_then_net_then_gross_and_keep_hold_rows():
    weights = pd.DataFrame(
        [[0.6, 0.3, -0.1], [np.nan, np.nan, np.nan], [0.2, -0.2, 0.0]], columns=list("ABC")
    )
    capped = apply_risk_caps(weights, RiskSection(max_weight=0.4, max_net=0.2, max_gross=0.5))
    row = capped.iloc[0].to_numpy()
    assert np.abs(row).max() <= 0.4 + 1e-12
    assert abs(row.sum()) <= 0.2 + 1e-12 and np.abs(row).sum() <= 0.5 + 1e-12
    assert row[2] < 0  # the short leg was not scaled: the long leg was the excess
    assert capped.iloc[1].isna().all()
    assert capped.iloc[2].tolist() == [0.2, -0.2, 0.0]  # already inside every cap


def test_risk_section_changes_the_weights_a_workflow_trades(tiny_run):
    scores = tiny_run.run.read_table("predictions").set_index(["timestamp", "symbol"])["score"]
    from alphafactory.data import synthetic_market

    bars = synthetic_market(n_symbols=6, n_bars=300, alpha_ic=0.2, seed=4).bars
    portfolio = PortfolioSection(rule="quantile", params={"quantiles": 3})
    free = strategy_weights(scores, portfolio, None, bars)
    capped = strategy_weights(scores, portfolio, RiskSection(max_gross=0.5), bars)
    assert free.abs().sum(axis=1).max() == pytest.approx(1.0)
    assert capped.abs().sum(axis=1).max() == pytest.approx(0.5)


def test_cost_model_from_backtest_section_and_bad_keys():
    assert cost_model(BacktestSection(cost={"model": "fixed", "bps": 3.0})).bps == 3.0
    composite = cost_model(BacktestSection(cost={"model": "none"}, commission={"bps": 1.0}))
    assert "Commission" in repr(composite)
    with pytest.raises(ConfigError, match="bsp"):
        cost_model(BacktestSection(cost={"model": "fixed", "bsp": 3.0}))
    with pytest.raises(ConfigError, match=r"cost\.model"):
        cost_model(BacktestSection(cost={"model": "free"}))


def test_workflow_run_writes_metrics_equity_trades_and_reruns(tiny_run):
    run = tiny_run.run
    metrics = run.metrics["models"]["ridge"]
    assert {"ic", "rank_ic", "sharpe", "deflated_sharpe", "periods_per_year"} <= set(metrics)
    samples = run.metrics["samples"]["ridge"]  # every feature row not used, by cause
    dropped = sum(v for k, v in samples.items() if k.startswith("dropped_"))
    assert samples["n_rows"] == samples["n_samples"] + dropped and samples["dropped_warm_up"] > 0
    assert run.manifest["job"] == "run" and run.manifest["data_fingerprints"]["syn"]
    equity = run.read_table("equity")
    assert list(equity.columns) == ["ridge"] and equity.iloc[0, 0] == pytest.approx(1.0)
    trades = run.read_table("trades")
    assert {"qty", "price", "notional", "cost", "model"} <= set(trades.columns)
    assert (trades["cost"] > 0).all()  # 5 bps on every trade
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def test_workflow_without_backtest_reports_score_metrics_only(tmp_path):
    text = TINY[: TINY.index("[portfolio]")]
    outcome = run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs", **QUIET)
    metrics = outcome.run.metrics["models"]["ridge"]
    assert "sharpe" not in metrics and metrics["n_trials"] == 1
    assert "ICIR" in outcome.summary.columns and not outcome.run.has_table("equity")


def test_backtest_job_reads_a_signal_file_and_reruns_from_the_copy(tmp_path):
    exported = TINY.replace("export = false", f'dir = "{tmp_path / "sig"}"')
    first = run_workflow(load_workflow(write(tmp_path, exported)), root=tmp_path / "runs", **QUIET)
    signal_file = first.signal_files["syn"]
    text = TINY[: TINY.index("[features]")] + textwrap.dedent(f"""
        [signals]
        source = "{signal_file}"
        [portfolio]
        rule = "topk"
        params = {{ k = 1 }}
        [backtest]
        """)
    outcome = run_workflow(load_workflow(write(tmp_path, text, "bt.toml")),
                           root=tmp_path / "runs", **QUIET)  # fmt: skip
    run = outcome.run
    assert set(run.metrics["models"]) == {"ridge"} and run.metrics["models"]["ridge"]["ic"]
    assert (run.path / "signals.csv").is_file()
    signal_file.unlink()  # the rerun reads the run's own copy
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def test_failed_workflow_leaves_no_run_directory(tmp_path):
    bad = TINY.replace("[signals]", '[ensemble]\nmembers = ["lstm"]\n[signals]')
    with pytest.raises(ConfigError, match="members"):
        run_workflow(load_workflow(write(tmp_path, bad)), root=tmp_path / "runs", **QUIET)
    assert list_runs(tmp_path / "runs") == []


def test_existing_signal_file_without_overwrite_fails_before_any_work(tmp_path):
    target = tmp_path / "sig" / "alpha_ml_signals_syn.csv"
    target.parent.mkdir()
    target.write_text("mine")
    text = TINY.replace("export = false", f'dir = "{tmp_path / "sig"}"')
    lines: list[str] = []
    with pytest.raises(ConfigError, match="overwrite"):
        run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs",
                     log=lines.append)  # fmt: skip
    assert lines == [] and target.read_text() == "mine"


def test_validation_fail_on_stops_before_training(tmp_path):
    # The synthetic panel trades every weekday, so XNYS validation finds bars on holidays.
    text = TINY + '\n[validation]\nasset_class = "equities"\nfail_on = "warning"\n'
    with pytest.raises(DataError, match=r"fail_on='warning'.*'syn'"):
        run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs", **QUIET)
    relaxed = dataclasses.replace(load_workflow(write(tmp_path, TINY)))
    assert relaxed.validation.fail_on == "never"


def test_cli_run_prints_a_line_per_step_and_fold_and_the_table(tmp_path, capsys):
    path = write(tmp_path, TINY)
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
    captured = capsys.readouterr()
    progress = captured.err  # progress lines go to stderr, terminal or not
    assert "[syn] 6 symbols" in progress and "fold 1/2 done" in progress
    assert "[syn] ridge: 2 folds" in progress
    assert "ridge" in captured.out and "run directory:" in captured.out


def test_cli_run_check_and_bad_file_exit_codes(tmp_path, capsys):
    path = write(tmp_path, TINY)
    assert main(["run", str(path), "--check"]) == 0
    assert "ok" in capsys.readouterr().out
    bad = write(tmp_path, TINY.replace("[report]", "").replace("rebalance = 2", "rebal = 2"),
                "bad.toml")  # fmt: skip
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rebal" in err and "bad.toml" in err


def test_several_datasets_prefix_strategies_and_take_their_own_folds(tmp_path):
    text = TINY.replace("[data]\n", "[[data]]\n").replace(
        "[features]",
        '[[data]]\nname = "syn2"\nspec = "synthetic:n_symbols=5,n_bars=280,alpha_ic=0.0,seed=9"\n'
        "walk_forward = { train = 100, val = 30, test = 40, lookback = 5 }\n\n[features]",
    )
    outcome = run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs", **QUIET)
    run = outcome.run
    assert set(run.metrics["models"]) == {"syn:ridge", "syn2:ridge"}
    assert set(run.manifest["data_fingerprints"]) == {"syn", "syn2"}
    folds = run.read_table("folds")
    n_folds = folds.groupby("model")["test_start"].count()
    assert n_folds["syn:ridge"] == 2 and n_folds["syn2:ridge"] >= 3  # syn2's own geometry
    assert list(outcome.summary["dataset"]) == ["syn", "syn2"]
    assert (run.path / "signals_syn.csv").exists() is False  # export = false: no copies


def test_exported_signals_record_their_data_source_for_later_backtests(tmp_path):
    text = TINY.replace("export = false", f'dir = "{tmp_path / "sig"}"')
    outcome = run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs", **QUIET)
    import json

    from alphafactory.signals import sidecar_path

    sidecar = json.loads(sidecar_path(outcome.signal_files["syn"]).read_text())
    assert sidecar["model_config"]["data"] == {
        "spec": "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"
    }
    assert sidecar["data_fingerprint"] == outcome.run.manifest["data_fingerprints"]["syn"]
    assert (outcome.run.path / "signals.csv").is_file()


def test_rule_parameters_cost_fields_and_features_are_checked_when_the_file_is_read(tmp_path):
    bad_param = TINY.replace("quantiles = 3", "quantile = 3")
    with pytest.raises(ConfigError, match=r"wf\.toml.*\[portfolio\].*quantile"):
        load_workflow(write(tmp_path, bad_param))
    bad_cost = TINY.replace("bps = 5.0", "bp = 5.0")
    with pytest.raises(ConfigError, match=r"wf\.toml.*\[backtest\] cost.*bp"):
        load_workflow(write(tmp_path, bad_cost))
    bad_feature = TINY.replace('"cs_z_ret_5"', '"cs_z_ret_55"')
    with pytest.raises(ConfigError, match=r"wf\.toml.*\[features\].*cs_z_ret_55"):
        load_workflow(write(tmp_path, bad_feature))


def test_bad_run_name_or_used_out_directory_fail_before_any_work(tmp_path):
    lines: list[str] = []
    bad = load_workflow(write(tmp_path, TINY.replace('name = "tiny"', 'name = "my run"')))
    with pytest.raises(ConfigError, match="run name"):
        run_workflow(bad, root=tmp_path / "runs", log=lines.append)
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        run_workflow(load_workflow(write(tmp_path, TINY)), path=used, log=lines.append)
    assert lines == [] and (used / "x").read_text() == "mine"


def test_workflow_run_writes_final_models_that_score_new_bars(tmp_path):
    from alphafactory.data import load_bars
    from alphafactory.models import load, score

    outcome = run_workflow(load_workflow(write(tmp_path, TINY)), root=tmp_path / "runs", **QUIET)
    artifact = load(outcome.run.path / "models" / "ridge")
    bars = load_bars("synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4")
    assert artifact.data_fingerprint == outcome.run.manifest["data_fingerprints"]["syn"]
    assert artifact.lookback == 5
    latest = score(artifact, bars)
    assert latest.index.get_level_values("timestamp").unique().tolist() == [
        bars.index.get_level_values("timestamp").max()
    ]
    assert np.isfinite(latest.to_numpy()).all() and len(latest) == 6


def test_workflow_models_save_none_keeps_no_model(tmp_path):
    text = TINY.replace('names = ["ridge"]', 'names = ["ridge"]\nsave = "none"')
    outcome = run_workflow(load_workflow(write(tmp_path, text)), root=tmp_path / "runs", **QUIET)
    assert not (outcome.run.path / "models").exists()


def test_workflow_models_save_bad_value_names_the_key(tmp_path):
    text = TINY.replace('names = ["ridge"]', 'names = ["ridge"]\nsave = "all"')
    with pytest.raises(ConfigError, match="save must be 'final' or 'none'"):
        load_workflow(write(tmp_path, text))
