"""Kill a real job mid-write (issue 12): after SIGKILL only an invisible staging directory is
left (the next job sweeps it); after SIGTERM nothing is left; either way `latest_run()` is the
previous complete run, the dashboard lists and loads, and `rerun` gives one line."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from alphafactory.cli import main
from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.damage import shown
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.dashboard.shaping import runs_overview
from alphafactory.runs import RUNS_ROOT_ENV, Run, latest_run, list_runs

CONFIG = """seed = 1
keep_models = "all"
[model]
name = "ridge"
[walk_forward]
train = 120
val = 30
test = 60
lookback = 5
[features]
names = ["ret_1", "ret_5"]
"""
BARS = "synthetic:n_symbols=4,n_bars=320,alpha_ic=0.2,seed=7"
CLI = [sys.executable, "-c", "import sys; from alphafactory.cli import main; sys.exit(main())"]


@pytest.fixture()
def root(tmp_path) -> Path:
    root = tmp_path / "runs"
    Run.create("previous", {"job": "train"}, seed=0, root=root,
               now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    (tmp_path / "train.toml").write_text(CONFIG)
    return root


def _staging(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith(".staging-")]


def _kill_while_staging(root: Path, sig: int) -> tuple[subprocess.Popen, Path, str]:
    """Start `alphafactory train`, wait for its staging directory, send ``sig``."""
    env = {**os.environ, RUNS_ROOT_ENV: str(root)}
    proc = subprocess.Popen([*CLI, "train", "--config", str(root.parent / "train.toml"),
                             "--bars", BARS], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        found = _staging(root)
        if found:
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            return proc, found[0], err.decode(errors="replace")
        time.sleep(0.002)
    proc.kill()
    proc.communicate()
    pytest.skip("the job finished before its staging directory was seen")  # machine too fast


def _readers_see_only_the_previous_run(root: Path) -> None:
    assert latest_run(root).name == "previous"
    assert [r.name for r in list_runs(root, incomplete=True)] == ["previous"]
    assert len(runs_overview([shown(r) for r in list_runs(root, incomplete=True)])) == 1


def test_sigkill_leaves_an_invisible_staging_dir_the_next_job_sweeps(root, capsys, monkeypatch):
    proc, staging, _ = _kill_while_staging(root, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert staging.is_dir()  # SIGKILL cannot clean up; readers ignore it
    _readers_see_only_the_previous_run(root)
    monkeypatch.setenv(RUNS_ROOT_ENV, str(root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(APP_PATH.parent / "pages" / "runs.py"), default_timeout=30).run()
    assert not at.exception and at.title[0].value == "Runs"
    capsys.readouterr()
    assert main(["rerun", str(staging)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "staging directory" in err
    Run.create("next", {"job": "train"}, seed=0, root=root, staged=True).publish()
    assert not staging.exists()
    assert not [p for p in root.rglob(".*")]


def test_sigterm_removes_the_staging_dir(root):
    proc, staging, err = _kill_while_staging(root, signal.SIGTERM)
    assert proc.returncode == 143, err[-2000:]
    assert "Traceback" not in err
    assert not staging.exists()
    assert not [p for p in root.rglob(".*")], "no staging or temporary files after SIGTERM"
    _readers_see_only_the_previous_run(root)

