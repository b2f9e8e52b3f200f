"""A run directory is complete or it is not a run (issue 12): staging names, publish and
discard, RUNNING markers with a heartbeat, sweeping what killed jobs left, umask modes."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from alphafactory.errors import RunError
from alphafactory.runs import Run, check_run_target, latest_run, list_runs
from alphafactory.runs.staging import (
    MARKER,
    Heartbeat,
    Terminated,
    exit_on_sigterm,
    marker_state,
    sweep,
    writer_tag,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _tag(pid: int) -> str:
    return writer_tag().rsplit("-", 1)[0] + f"-{pid}"


def _visible(root) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_staged_run_is_invisible_until_published(tmp_path):
    done = Run.create("old", {"a": 1}, seed=0, root=tmp_path, now=NOW)
    staged = Run.create("new", {"a": 2}, seed=0, root=tmp_path, staged=True)
    staged.write_metrics({"models": {}})
    assert staged.staged and staged.path.name.startswith(".staging-")
    assert [r.path for r in list_runs(tmp_path)] == [done.path]
    assert latest_run(tmp_path).path == done.path
    published = staged.publish()
    assert not published.staged and not staged.path.exists()
    assert published.path.name.endswith("-new") and published.metrics == {"models": {}}
    assert latest_run(tmp_path).path == published.path


def test_staged_runs_in_one_second_publish_to_distinct_names(tmp_path):
    paths = [Run.create("same", {}, seed=0, root=tmp_path, now=NOW, staged=True).publish().path
             for _ in range(3)]  # fmt: skip
    assert [p.name for p in paths] == [f"20260301T120000Z-same{s}" for s in ("", "-2", "-3")]


def test_staged_exact_path_lands_on_an_empty_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    run = Run.create("x", {}, seed=0, path=out, staged=True)
    assert run.path.parent == tmp_path and not (out / "config.toml").exists()
    assert run.publish().path == out and (out / "config.toml").is_file()


def test_discard_leaves_nothing(tmp_path):
    run = Run.create("x", {}, seed=0, root=tmp_path, staged=True)
    run.write_metrics({"a": 1})
    run.discard()
    assert _visible(tmp_path) == []


def test_staging_directory_is_not_a_run(tmp_path):
    run = Run.create("x", {}, seed=0, root=tmp_path, staged=True)
    with pytest.raises(RunError, match=r"is not a run directory: it is a job's staging directory"):
        Run.open(run.path)


def test_sweep_removes_dead_writers_debris_only(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    done = Run.create("done", {}, seed=0, root=tmp_path, now=NOW)
    (tmp_path / f".staging-20260301T120000Z-x-{_tag(dead)}-1").mkdir()
    (tmp_path / f".staging-20260301T120000Z-y-{_tag(live)}-1").mkdir()
    (tmp_path / f".staging-20260301T120000Z-z-0badc0de-{dead}-1").mkdir()  # another host's
    (done.path / f".metrics.json.{_tag(dead)}.abcd1234").write_text("{")
    (done.path / "execution").mkdir()
    (done.path / "execution" / f".fills.parquet.{_tag(dead)}.k_9x2z01").write_text("")
    (done.path / f".metrics.json.{_tag(live)}.abcd1234").write_text("{")
    removed = sweep(tmp_path)
    assert len(removed) == 3
    assert _visible(tmp_path) == [f".staging-20260301T120000Z-y-{_tag(live)}-1",
                                  f".staging-20260301T120000Z-z-0badc0de-{dead}-1",
                                  done.path.name]  # fmt: skip
    assert sorted(p.name for p in done.path.iterdir() if p.name.startswith(".")) == [
        f".metrics.json.{_tag(live)}.abcd1234"]


def test_a_new_staged_job_sweeps_a_killed_jobs_staging_directory(tmp_path):
    killed = tmp_path / f".staging-20260301T120000Z-x-{_tag(_dead_pid())}-1"
    killed.mkdir()
    Run.create("next", {}, seed=0, root=tmp_path, staged=True).publish()
    assert not killed.exists()


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_run_files_and_directories_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        run = Run.create("x", {"a": 1}, seed=0, root=tmp_path, staged=True).publish()
        import pandas as pd

        run.write_table("equity", pd.DataFrame({"a": [1.0]}))
        run.write_metrics({"a": 1})
    finally:
        os.umask(old)
    for name in ("config.toml", "manifest.json", "metrics.json", "equity.parquet"):
        assert (run.path / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
    assert run.path.stat().st_mode & 0o777 == 0o777 & ~mask


def test_no_temporary_files_after_writes(tmp_path):
    run = Run.create("x", {}, seed=0, root=tmp_path)
    run.write_metrics({"a": 1})
    run.write_manifest(n_trials=2)
    assert not [p for p in run.path.iterdir() if p.name.startswith(".")]


# -- RUNNING markers ---------------------------------------------------------------------------
def _marker(run, **doc):
    base = {"pid": os.getpid(), "host": socket.gethostname(), "job": "watch",
            "started_at": NOW.isoformat(), "heartbeat_at": NOW.isoformat(), "interval_s": 30.0}
    (run.path / MARKER).write_text(json.dumps(base | doc))


def test_heartbeat_marks_running_and_clears_on_exit(tmp_path):
    done = Run.create("done", {}, seed=0, root=tmp_path, now=NOW)
    live = Run.create("watch", {}, seed=0, root=tmp_path)
    with Heartbeat(live.path, "watch", interval_s=0.05) as beat:
        assert live.state == "running"
        assert latest_run(tmp_path).path == done.path
        assert [r.state for r in list_runs(tmp_path, incomplete=True)] == ["complete", "running"]
        beat.beat()
    assert live.state == "complete" and not (live.path / MARKER).exists()
    assert latest_run(tmp_path).path == live.path


def test_heartbeat_marker_is_removed_when_the_block_raises(tmp_path):
    run = Run.create("watch", {}, seed=0, root=tmp_path)
    with pytest.raises(KeyError), Heartbeat(run.path, "watch", interval_s=10):
        raise KeyError("boom")
    assert run.state == "complete"


@pytest.mark.parametrize("doc, state", [
    ({}, "running"),                                     # fresh heartbeat, live pid
    ({"heartbeat_at": "2026-01-01T00:00:00+00:00"}, "stopped"),    # heartbeat too old
    ({"pid": "dead"}, "stopped"),                        # the pid of a killed job
    ({"heartbeat_at": "yesterday"}, "stopped"),          # torn or edited
])  # fmt: skip
def test_marker_state_running_or_stopped(tmp_path, doc, state):
    run = Run.create("watch", {}, seed=0, root=tmp_path)
    if doc.get("pid") == "dead":
        doc = {"pid": _dead_pid()}
    _marker(run, **doc)
    assert marker_state(run.path, now=NOW + dt.timedelta(seconds=10)) == state


def test_torn_marker_is_stopped_and_not_listed(tmp_path):
    run = Run.create("watch", {}, seed=0, root=tmp_path)
    (run.path / MARKER).write_text('{"pid": 1')
    assert run.state == "stopped"
    assert list_runs(tmp_path) == [] and latest_run(tmp_path) is None
    assert [r.path for r in list_runs(tmp_path, incomplete=True)] == [run.path]


def test_heartbeat_interval_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="interval_s must be > 0; got 0"):
        Heartbeat(tmp_path, "x", interval_s=0)


# -- SIGTERM and unwritable roots --------------------------------------------------------------
def test_sigterm_unwinds_the_block_and_restores_the_handler(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    run = Run.create("x", {}, seed=0, root=tmp_path, staged=True)
    with pytest.raises(Terminated) as info, exit_on_sigterm():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs at the next bytecode
                pass
        except BaseException:
            run.discard()
            raise
    assert info.value.code == 143
    assert signal.getsignal(signal.SIGTERM) == before
    assert _visible(tmp_path) == []


@pytest.mark.parametrize("staged", [False, True])
def test_unwritable_runs_root_is_one_run_error(tmp_path, staged):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunError, match=r"cannot create a run directory in .*file/runs: "):
        Run.create("x", {}, seed=0, root=blocker / "runs", staged=staged)
    with pytest.raises(RunError, match=r"file/runs: .*file is not a directory"):
        check_run_target(blocker / "runs")
    assert blocker.read_text() == "x"


def test_an_exact_out_path_sweeps_staging_dirs_but_not_the_parents_other_folders(tmp_path):
    dead = _dead_pid()
    other = tmp_path / "project"
    other.mkdir()
    lookalike = other / f".notes.{_tag(dead)}.abcdefgh"
    lookalike.write_text("a user's file")
    killed = tmp_path / f".staging-out-{_tag(dead)}-1"
    killed.mkdir()
    Run.create("x", {}, seed=0, path=tmp_path / "out", staged=True).publish()
    assert not killed.exists() and lookalike.read_text() == "a user's file"
