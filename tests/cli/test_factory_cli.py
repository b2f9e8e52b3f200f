"""`alphafactory factory ...`: one cycle, status, promote, rollback, schedule, and bad input."""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")
pytest.importorskip("mlflow")

from alphafactory.cli import main
from alphafactory.runs import write_toml

FILE = {
    "name": "clitiny",
    "seed": 3,
    "data": {"spec": "synthetic:n_symbols=30,n_bars=800,alpha_ic=0.12,seed=5",
             "calendar": "weekdays"},
    "features": {"names": ["rsi_14"]},
    "labels": {"horizon": 1},
    "models": {"names": ["ridge"], "save": "none",
               "walk_forward": {"train": 200, "val": 50, "test": 100, "lookback": 1}},
    "backtest": {},
    "search": {"n_trials": 3, "withheld": 200, "families": ["cross_section"],
               "space": {"ridge": {"alpha": {"low": 0.01, "high": 100.0, "log": True}}}},
    "gate": {"n_boot": 200},
}


@pytest.fixture(scope="module")
def cycled(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    path = root / "factory.toml"
    write_toml(path, FILE)
    flags = ["--registry-root", str(root / "mlruns")]
    code = main(["factory", "run", str(path), "--runs-dir", str(root / "runs"), *flags])
    return root, path, flags, code


def test_factory_run_registers_and_status_shows_it(cycled, capsys):
    root, _path, flags, code = cycled
    assert code == 0
    assert any((root / "runs").iterdir())
    code = main(["factory", "status", "clitiny", *flags])
    out = capsys.readouterr().out
    assert code == 0
    assert "alphafactory-clitiny" in out and "version 1" in out


def test_promote_refuses_a_failed_gate_without_force_and_rollback_restores(cycled, capsys):
    root, path, flags, _ = cycled
    code = main(["factory", "run", str(path), "--runs-dir", str(root / "runs"), *flags])
    assert code == 0
    out = capsys.readouterr().out
    assert "dsr" in out and "naive gate" in out
    # version 2 is the challenger (or champion if v1 was not): promoting it needs a passed gate
    status = main(["factory", "status", "clitiny", "--json", *flags])
    assert status == 0
    capsys.readouterr()
    code = main(["factory", "promote", "clitiny", "2", *flags])
    err = capsys.readouterr().err
    if code == 2:
        assert "--force" in err
        assert main(["factory", "promote", "clitiny", "2", "--force", *flags]) == 2
        assert "reason" in capsys.readouterr().err
        assert main(["factory", "promote", "clitiny", "2", "--force", "--reason", "by hand",
                     *flags]) == 0
    assert main(["factory", "rollback", "clitiny", "--reason", "undo", *flags]) in (0, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["factory", "run", "missing.toml"], "no workflow file"),
        (["factory", "run", "{file}", "--executor", "zero"], "--executor"),
        (["factory", "run", "{file}", "--trials", "0"], "--trials"),
        (["factory", "schedule", "{file}", "--cron", "61 * * * *"], "--cron"),
        (["factory", "schedule", "{file}", "--cron", "0 18 * *"], "five fields"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    path = tmp_path / "f.toml"
    write_toml(path, FILE)
    argv = [a.replace("{file}", str(path)) for a in argv]
    assert main([*argv, "--registry-root", str(tmp_path / "mlruns")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_schedule_now_runs_one_cycle_and_stops(tmp_path, capsys):
    path = tmp_path / "f.toml"
    write_toml(path, FILE)
    code = main(["factory", "schedule", str(path), "--cron", "0 18 * * 5", "--now",
                 "--max-cycles", "1", "--runs-dir", str(tmp_path / "runs"),
                 "--registry-root", str(tmp_path / "mlruns")])
    assert code == 0
    assert "rules passed" in capsys.readouterr().out or any(
        (tmp_path / "runs").iterdir())
