"""`alphafactory monitor run|watch` on a stored model: the report's exact format, errors, alerts."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.runs import Run, write_toml

BARS = "synthetic:n_symbols=20,n_bars=700,alpha_ic=0.1,seed=2"
EXPERIMENT = """
seed = 1
[model]
name = "ridge"
[walk_forward]
train = 200
val = 40
test = 100
lookback = 1
[features]
names = ["ret_1", "ret_5", "cs_z_ret_1", "rsi_14"]
[labels]
horizon = 1
"""
CONCEPT_KEYS = {"detectors", "ic", "rank_ic", "hit_rate", "reference_ic", "alarm", "since"}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A ridge artifact saved by `alphafactory train` (with its reference statistics)."""
    root = tmp_path_factory.mktemp("monitor_cli")
    (root / "exp.toml").write_text(EXPERIMENT)
    assert main(["train", "--config", str(root / "exp.toml"), "--bars", BARS,
                 "--out", str(root / "ridge")]) == 0  # fmt: skip
    return root / "ridge" / "model"


def _run(tmp_path, *extra):
    return main(["monitor", "run", "--bars", BARS, "--runs-dir", str(tmp_path / "runs"),
                 "--state", str(tmp_path / "alerts.sqlite"), *extra])  # fmt: skip


def _only_run(tmp_path) -> Run:
    (path,) = sorted((tmp_path / "runs").iterdir())
    return Run.open(path)


def test_monitor_run_stored_model_writes_the_documented_report(model, tmp_path, capsys):
    assert (model / "reference.json").is_file()
    code = _run(tmp_path, "--artifact", str(model), "--history", "3")
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "report" in out[0]
    run = _only_run(tmp_path)
    assert run.manifest["job"] == "monitor" and run.name == "monitor-ridge"
    doc = json.loads((run.path / "drift.json").read_text())
    assert list(doc) == ["model", "window", "data_drift", "concept_drift", "verdict", "alerts",
                         "policy"]  # fmt: skip
    assert set(doc["model"]) == {"ref", "path", "version", "name"}
    assert doc["model"]["version"].startswith("ridge@") and doc["model"]["name"] == "ridge"
    assert set(doc["window"]) == {"start", "end", "bars"} and doc["window"]["bars"] == 60
    assert {"drifted", "features", "score", "drifted_features"} <= set(doc["data_drift"])
    concept = doc["concept_drift"]
    assert CONCEPT_KEYS <= set(concept) and isinstance(concept["alarm"], bool)
    assert list(concept["detectors"]) == ["cusum", "page_hinkley"]
    assert concept["reference_ic"] > 0.05 and concept["ic"] is not None
    assert set(doc["verdict"]) == {"data", "concept"}
    assert set(doc["policy"]) >= {"on_drift", "action", "cycle"}
    assert doc["policy"]["on_drift"] == "alert" and doc["policy"]["cycle"] is None
    for alert in doc["alerts"]:
        assert {"kind", "subject", "severity", "since", "model_version", "sent"} <= set(alert)
    features = run.read_table("drift/features")
    assert list(features.columns) == ["timestamp", "feature", "ks", "psi", "p_value", "drifted"]
    assert features["timestamp"].nunique() == 3  # --history 3
    assert set(features["feature"]) == {"ret_1", "ret_5", "cs_z_ret_1", "rsi_14", "score"}
    concept_table = run.read_table("drift/concept")
    assert list(concept_table.columns) == [
        "timestamp", "ic", "rank_ic", "hit_rate", "cusum_statistic", "cusum_alarm",
        "page_hinkley_statistic", "page_hinkley_alarm"]  # fmt: skip
    # labels realized only once matured: the newest bar has no realized label
    assert concept_table["timestamp"].max() < pd.Timestamp(doc["window"]["end"])
    alerts = run.read_table("drift/alerts")
    assert list(alerts.columns) == ["time", "kind", "subject", "severity", "message",
                                    "model_version", "sent"]  # fmt: skip
    assert len(alerts) == len(doc["alerts"])


def test_monitor_run_alerts_are_not_repeated_across_cron_runs(model, tmp_path, capsys):
    assert _run(tmp_path, "--artifact", str(model), "--on-drift", "alert") == 0
    assert _run(tmp_path, "--artifact", str(model), "--on-drift", "alert") == 0
    first, second = (json.loads((p / "drift.json").read_text())
                     for p in sorted((tmp_path / "runs").iterdir()))  # fmt: skip
    assert [a["key"] for a in first["alerts"]] == [a["key"] for a in second["alerts"]]
    assert all(a["sent"] for a in first["alerts"])
    assert not any(a["sent"] for a in second["alerts"])  # the store de-duplicates


def test_monitor_run_without_reference_is_one_line_exit_2(model, tmp_path, capsys):
    bare = tmp_path / "bare"
    shutil.copytree(model, bare)
    (bare / "reference.json").unlink()
    assert _run(tmp_path, "--artifact", str(bare)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "re-save" in err[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("flags", [["--window", "1"], ["--history", "0"],
                                   ["--factory", "missing.toml"], ["--alerts", "missing.toml"]])
def test_monitor_run_bad_flags_are_one_line_exit_2(model, tmp_path, capsys, flags):
    assert _run(tmp_path, "--artifact", str(model), *flags) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_monitor_run_fail_on_drift_exits_3_on_the_policy_verdict(model, tmp_path, capsys):
    factory = tmp_path / "factory.toml"
    write_toml(factory, {"name": "ridge", "data": {"spec": BARS}, "models": {"names": ["ridge"]},
                         "monitor": {"on": "data", "on_drift": "none"}})  # fmt: skip
    code = _run(tmp_path, "--artifact", str(model), "--factory", str(factory), "--fail-on-drift")
    doc = json.loads((_only_run(tmp_path).path / "drift.json").read_text())
    assert doc["policy"]["on"] == "data" and doc["policy"]["on_drift"] == "none"
    assert code == (3 if doc["verdict"]["data"] else 0)
    assert not any(a["sent"] for a in doc["alerts"])  # on_drift = "none" sends nothing


def test_monitor_watch_replays_bars_and_writes_the_report(model, tmp_path, capsys):
    code = main(["monitor", "watch", "--artifact", str(model), "--bars", BARS,
                 "--replay-bars", "12", "--max-bars", "6", "--report-every", "3",
                 "--runs-dir", str(tmp_path / "runs"),
                 "--state", str(tmp_path / "alerts.sqlite")])  # fmt: skip
    assert code == 0
    run = _only_run(tmp_path)
    doc = json.loads((run.path / "drift.json").read_text())
    stamps = pd.DatetimeIndex(run.read_table("drift/features")["timestamp"].unique())
    assert len(stamps) == 7  # the history's last bar and 6 replayed bars
    assert pd.Timestamp(doc["window"]["end"]) == stamps.max()
    assert doc["concept_drift"]["realized_bars"] > 0
