"""Every job kind the CLI writes reruns: `alphafactory rerun` on run, train, backtest and
execute runs (the demo's is in tests/pipeline/test_demo.py) matches every metric."""

from __future__ import annotations

import textwrap

import pytest

from alphafactory.cli import main
from alphafactory.runs import Run

SPEC = "synthetic:n_symbols=6,n_bars=320,alpha_ic=0.2,seed=7"
TRAIN_CONFIG = """
seed = 1
[model]
name = "ridge"
[walk_forward]
train = 120
val = 30
test = 60
lookback = 5
[features]
names = ["ret_1", "ret_5", "cs_z_ret_5"]
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("jobs")
    config = base / "train.toml"
    config.write_text(textwrap.dedent(TRAIN_CONFIG))
    out = base / "train"
    assert main(["train", "--config", str(config), "--bars", SPEC, "--out", str(out)]) == 0
    signals = base / "signals.csv"
    assert main(["signals", "export", "--predictions", str(out), "--out", str(signals)]) == 0
    return Run.open(out), signals, base


def rerun_matches(run: Run, capsys) -> None:
    capsys.readouterr()
    assert main(["rerun", str(run.path)]) == 0, capsys.readouterr().err
    assert "every metric matches" in capsys.readouterr().out


def test_train_run_records_its_kind_and_reruns(trained, capsys):
    run, _, _ = trained
    assert run.config["job"] == "train" and run.config["data"] == {"spec": SPEC}
    assert run.manifest["job"] == "train" and (run.path / "model").is_dir()
    rerun_matches(run, capsys)


def test_backtest_run_without_bars_uses_the_recorded_source_and_reruns(trained, capsys):
    _, signals, base = trained
    out = base / "bt"
    assert main(["backtest", "--signals", str(signals), "--rule", "quantile", "--quantiles", "3",
                 "--cost", "fixed", "--bps", "4", "--out", str(out)]) == 0  # fmt: skip
    run = Run.open(out)
    assert run.config["job"] == "backtest" and run.config["data"] == {"spec": SPEC}
    assert run.config["rule"] == "quantile" and run.config["bps"] == 4.0
    rerun_matches(run, capsys)


def test_execute_run_reruns(trained, capsys):
    _, signals, base = trained
    out = base / "ex"
    assert main(["execute", "--signals", str(signals), "--rebalance", "20", "--slices", "3",
                 "--horizon", "120", "--seed", "5", "--out", str(out)]) == 0  # fmt: skip
    run = Run.open(out)
    assert run.config["job"] == "execute" and run.manifest["seed"] == 5
    rerun_matches(run, capsys)


def test_workflow_run_reruns_and_a_changed_metric_is_reported(trained, capsys, tmp_path):
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(f"""
        name = "wf"
        [data]
        spec = "{SPEC}"
        [features]
        names = ["ret_1", "ret_5"]
        [models]
        names = ["ridge"]
        walk_forward = {{ train = 120, val = 30, test = 60, lookback = 5 }}
        [signals]
        export = false
        [backtest]
        """))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out)]) == 0
    run = Run.open(out)
    assert run.config["job"] == "run"
    rerun_matches(run, capsys)
    metrics = run.metrics
    metrics["models"]["ridge"]["ic"] += 0.01
    run.write_metrics(metrics)
    assert main(["rerun", str(run.path)]) == 1
    assert "models.ridge.ic" in capsys.readouterr().err


@pytest.mark.parametrize("command", [
    ["demo", "--runs-dir", "{blocker}/runs"],
    ["train", "--config", "{config}", "--bars", SPEC, "--out", "{blocker}/runs/t"],
])  # fmt: skip
def test_unwritable_runs_dir_is_one_line_before_any_work(tmp_path, capsys, command):
    """Issue 12: an unwritable --runs-dir / --out fails at once, naming it, writing nothing."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = tmp_path / "train.toml"
    config.write_text(textwrap.dedent(TRAIN_CONFIG))
    argv = [a.format(blocker=blocker, config=config) for a in command]
    capsys.readouterr()
    assert main([*argv, "--signals-dir", str(tmp_path / "sig")] if argv[0] == "demo"
                else argv) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"cannot create a run directory in {blocker}/runs" in err
    assert "is not a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "train.toml"]
