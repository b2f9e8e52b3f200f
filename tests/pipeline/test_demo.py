"""The demo job end to end at a tiny size, its config round trip and the rerun check."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.pipeline import demo_config, demo_text, parse_workflow, rerun, run_demo
from alphafactory.pipeline.strategies import rank_average
from alphafactory.runs import Run
from alphafactory.signals import load_signals
from alphafactory.signals.io import sidecar_path

# The bundled demo, shrunk: one small synthetic dataset, two models, the CI preset.
TINY = parse_workflow(
    {
        **demo_config(seed=1).to_mapping(),
        "data": [{"name": "synthetic", "spec": "synthetic:n_symbols=8,n_bars=330,alpha_ic=0.1,"
                  "seed=1", "walk_forward": {"train": 120, "val": 40, "test": 60,
                                             "lookback": 10}}],
        "models": {"names": ["lstm", "tcn"], "preset": "ci"},
    }
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    outcome = run_demo(TINY, root=base / "runs", signal_dir=base / "signals", log=lambda _: None)
    return outcome, base


def test_demo_tiny_config_writes_complete_run(tiny_run):
    outcome, _ = tiny_run
    run = outcome.run
    for table in ("predictions", "folds", "training_curves", "equity", "trades", "validation",
                  "execution/shortfall", "execution/cost_attribution", "execution/fills",
                  "execution/book"):  # fmt: skip
        assert run.has_table(table), table
    metrics = run.metrics["models"]
    assert set(metrics) == {"lstm", "tcn", "ensemble"}
    for values in metrics.values():
        assert -1.0 <= values["ic"] <= 1.0
        assert values["sharpe"]["low"] <= values["sharpe"]["high"]
        assert values["n_trials"] == 3
    ensemble = metrics["ensemble"]
    assert ensemble["n_parents"] > 0 and 0.0 < ensemble["fill_ratio"] <= 1.0
    assert "shortfall_bps" not in metrics["lstm"]  # only the ensemble is executed
    manifest = run.manifest
    assert manifest["seed"] == 1 and manifest["n_trials"] == 3
    assert manifest["data_fingerprints"]["synthetic"].startswith("sha256:")
    assert list(outcome.summary["strategy"]) == ["lstm", "tcn", "ensemble"]


def test_demo_predictions_are_out_of_sample_only(tiny_run):
    outcome, _ = tiny_run
    predictions = outcome.run.read_table("predictions")
    folds = outcome.run.read_table("folds")
    lstm = predictions[predictions["model"] == "lstm"]
    first_test = pd.Timestamp(folds.loc[folds["model"] == "lstm", "test_start"].min())
    assert pd.to_datetime(lstm["timestamp"]).min() >= first_test


def test_demo_book_execution_tables_are_consistent(tiny_run):
    outcome, _ = tiny_run
    run = outcome.run
    shortfall = run.read_table("execution/shortfall")
    assert (shortfall["filled_qty"] <= shortfall["qty"] + 1e-9).all()
    attribution = run.read_table("execution/cost_attribution").set_index("component")["value"]
    parts = attribution[["gross_pnl", "spread", "impact", "opportunity", "fees"]].sum()
    assert parts == pytest.approx(attribution["net_pnl"])
    fills = run.read_table("execution/fills")
    assert len(fills) and (fills["qty"] > 0).all()
    book = run.read_table("execution/book")
    bids, asks = book[book["side"] == "bid"], book[book["side"] == "ask"]
    assert bids["price"].max() < asks["price"].min()


def test_demo_signal_file_loads_with_every_strategy(tiny_run):
    outcome, _ = tiny_run
    signals = load_signals(outcome.signal_files["synthetic"])
    assert set(signals["model"]) == {"lstm", "tcn", "ensemble"}
    sidecar = json.loads(sidecar_path(outcome.signal_files["synthetic"]).read_text())
    assert sidecar["model_config"]["ensemble"] == "rank_average"


def test_rerun_same_config_matches_metrics(tiny_run):
    outcome, _ = tiny_run
    report = rerun(outcome.run.path, log=lambda _: None)
    assert report.ok, report.differences
    assert report.rerun.path != outcome.run.path


def test_rerun_changed_config_reports_differences(tiny_run, tmp_path):
    outcome, _ = tiny_run
    config = outcome.run.config
    config["seed"] = 2
    changed = Run.create("changed", config, seed=2, root=tmp_path)
    (changed.path / "metrics.json").write_text((outcome.run.path / "metrics.json").read_text())
    report = rerun(changed.path, log=lambda _: None)
    assert not report.ok
    assert any(path.startswith("models.") for path, _, _ in report.differences)


def test_demo_config_round_trip_and_unknown_key_raises():
    doc = TINY.to_mapping()
    assert parse_workflow(doc) == TINY
    with pytest.raises(ValueError, match="Unknown key"):
        parse_workflow({**doc, "modles": ["lstm"]})
    bad = dict(doc)
    bad["portfolio"] = {"rule": "quantile", "eta_": 1.0}
    with pytest.raises(ValueError, match=r"\[portfolio\]"):
        parse_workflow(bad)


def test_demo_is_the_bundled_workflow_file_and_print_config_shows_it(capsys):
    config = demo_config()
    assert config.job == "demo" and [d.name for d in config.data] == ["synthetic", "sample"]
    assert config.models is not None and config.models.names == ("lstm", "tcn", "transformer")
    assert main(["demo", "--print-config"]) == 0
    printed = capsys.readouterr().out
    assert printed == demo_text() and "[[data]]" in printed


def test_printed_demo_config_is_a_workflow_file_run_accepts(tmp_path, capsys):
    path = tmp_path / "demo.toml"
    path.write_text(demo_text())
    assert main(["run", str(path), "--check"]) == 0
    assert "ok (demo job, datasets synthetic, sample)" in capsys.readouterr().out


def test_rank_average_ranks_within_each_timestamp():
    index = pd.MultiIndex.from_product(
        [pd.to_datetime(["2020-01-01", "2020-01-02"], utc=True), ["A", "B", "C"]],
        names=["timestamp", "symbol"],
    )
    a = pd.Series([1.0, 2.0, 3.0, 3.0, 2.0, 1.0], index=index)
    b = pd.Series([10.0, 30.0, 20.0, 1.0, 2.0, 3.0], index=index)
    avg = rank_average({"a": a, "b": b})
    assert avg.loc[("2020-01-01", "A")] == pytest.approx(1 / 3)
    assert avg.loc[("2020-01-01", "C")] == pytest.approx((1 + 2 / 3) / 2)
    assert avg.loc[("2020-01-02", "B")] == pytest.approx(2 / 3)


def test_cli_demo_and_rerun_help_exit_zero(capsys):
    for command in (["demo", "--help"], ["rerun", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(command)
        assert exit_info.value.code == 0
    assert "example" in capsys.readouterr().out


def test_cli_rerun_missing_directory_exits_2(tmp_path, capsys):
    assert main(["rerun", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
