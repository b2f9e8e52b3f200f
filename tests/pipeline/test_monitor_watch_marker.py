"""`monitor watch` is a long-running job (issue 12): while it runs its run directory holds a
RUNNING marker with a live heartbeat, so `latest_run()` does not open it as a finished run;
the marker goes when the watch ends."""

from __future__ import annotations

import pytest

import alphafactory.pipeline.monitor_job as monitor_job
from alphafactory.cli import main
from alphafactory.runs import latest_run, list_runs
from alphafactory.runs.staging import MARKER

BARS = "synthetic:n_symbols=8,n_bars=500,alpha_ic=0.1,seed=2"
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
names = ["ret_1", "ret_5"]
[labels]
horizon = 1
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    root = tmp_path_factory.mktemp("watch")
    (root / "exp.toml").write_text(EXPERIMENT)
    assert main(["train", "--config", str(root / "exp.toml"), "--bars", BARS,
                 "--out", str(root / "ridge")]) == 0  # fmt: skip
    return root / "ridge" / "model"


def test_monitor_watch_is_running_while_it_watches(model, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    seen: list[tuple[str, object]] = []
    step = monitor_job.step_bar

    def spy(*args, **kwargs):
        (run,) = list_runs(runs, incomplete=True)
        seen.append((run.state, latest_run(runs)))
        assert (run.path / MARKER).is_file()
        return step(*args, **kwargs)

    monkeypatch.setattr(monitor_job, "step_bar", spy)
    assert main(["monitor", "watch", "--artifact", str(model), "--bars", BARS,
                 "--replay-bars", "4", "--max-bars", "3", "--runs-dir", str(runs),
                 "--state", str(tmp_path / "alerts.sqlite")]) == 0  # fmt: skip
    assert seen and all(state == "running" and latest is None for state, latest in seen)
    (run,) = list_runs(runs)
    assert run.state == "complete" and latest_run(runs).path == run.path
    assert not [p for p in runs.rglob(".*")]
