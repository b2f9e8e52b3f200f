"""`alphafactory dashboard`: the streamlit command it builds and its errors."""

from __future__ import annotations

import sys

import pytest

from alphafactory.cli import build_parser, main
from alphafactory.dashboard import APP_PATH, streamlit_command
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.runs import RUNS_ROOT_ENV, Run


def test_streamlit_command_on_a_run_sets_run_and_root(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    argv, env = streamlit_command(run.path, port=8611, headless=True)
    assert argv[:5] == [sys.executable, "-m", "streamlit", "run", str(APP_PATH)]
    assert argv[argv.index("--server.port") + 1] == "8611"
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert argv[argv.index("--browser.gatherUsageStats") + 1] == "false"
    assert env[RUN_ENV] == str(run.path.resolve())
    assert env[RUNS_ROOT_ENV] == str(tmp_path.resolve())


def test_streamlit_command_on_a_root_clears_a_stale_run(tmp_path, monkeypatch):
    monkeypatch.setenv(RUN_ENV, "/somewhere/else")
    _, env = streamlit_command(tmp_path)
    assert env[RUNS_ROOT_ENV] == str(tmp_path.resolve())
    assert RUN_ENV not in env


def test_streamlit_command_bad_target_or_port_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        streamlit_command(tmp_path / "missing")
    with pytest.raises(ValueError, match="port"):
        streamlit_command(None, port=70000)


def test_cli_dashboard_is_registered_with_options():
    args = build_parser().parse_args(["dashboard", "runs/x", "--port", "9000", "--headless"])
    assert (args.run_dir, args.port, args.host, args.headless) == ("runs/x", 9000,
                                                                   "127.0.0.1", True)


def test_cli_dashboard_missing_dir_exits_2(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_dashboard_on_a_staging_directory_is_one_line(tmp_path, capsys):
    staged = Run.create("demo", {}, seed=0, root=tmp_path, staged=True)
    assert main(["dashboard", str(staged.path), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a job's staging directory" in err


def test_dashboard_on_a_run_with_a_damaged_manifest_still_opens_it(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    (run.path / "manifest.json").write_text("{")  # the pages name the damage
    _, env = streamlit_command(run.path)
    assert env[RUN_ENV] == str(run.path.resolve())
