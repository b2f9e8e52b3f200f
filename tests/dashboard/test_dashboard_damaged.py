"""Pages on a damaged run (issue 12): a truncated metrics.json, an invalid manifest or a
truncated Parquet file is named in one warning line and the rest of the page still renders."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from alphafactory.dashboard import APP_PATH
from alphafactory.dashboard.damage import shown
from alphafactory.dashboard.launch import RUN_ENV
from alphafactory.dashboard.shaping import runs_overview
from alphafactory.runs import RUNS_ROOT_ENV, list_runs

from .conftest import write_sample_run

PAGES = ("overview", "signals", "compare", "models", "execution", "data", "runs", "risk")
TIMEOUT_S = 30


def _truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.fixture(scope="module")
def damaged_root(tmp_path_factory):
    """A runs root with one run whose metrics, manifest and two tables are damaged."""
    root = tmp_path_factory.mktemp("damaged")
    run = write_sample_run(root)
    _truncate(run.path / "metrics.json")
    (run.path / "manifest.json").write_text("[1, 2", encoding="utf-8")
    _truncate(run.table_path("predictions"))
    _truncate(run.table_path("equity"), 0.3)
    (run.path / "execution" / "fills.parquet").write_bytes(b"PAR1 not parquet")
    (run.figures_dir / "equity.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (run.figures_dir / "tearsheet.html").write_bytes(b"<html>\xff\xfe</html>")
    (run.path / "config.toml").write_bytes(b'job = "demo\xff"\n')
    return root


@pytest.fixture()
def damaged_env(damaged_root, monkeypatch):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(damaged_root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    return damaged_root


@pytest.mark.parametrize("page", PAGES)
def test_page_on_damaged_run_names_the_damage_and_renders(damaged_env, page):
    at = AppTest.from_file(str(APP_PATH.parent / "pages" / f"{page}.py"),
                           default_timeout=TIMEOUT_S).run()  # fmt: skip
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    assert "Damaged" in warnings or "damaged" in warnings
    assert "manifest.json" in warnings or "metrics.json" in warnings or ".parquet" in warnings
    assert at.title  # the page rendered past the damage


def test_shown_run_reads_damaged_files_as_absent_and_names_them(damaged_root):
    run = shown(list_runs(damaged_root)[0])
    assert run.metrics is None and run.manifest is None
    assert run.read_table("predictions") is None
    assert run.read_table("trades") is not None  # the undamaged rest reads
    assert set(run.damaged) == {"metrics.json", "manifest.json", "predictions.parquet"}
    assert "not valid JSON" in run.damaged["metrics.json"]
    assert "expected a JSON object, got a list" not in run.damaged["manifest.json"]  # torn
    assert "not a readable Parquet table" in run.damaged["predictions.parquet"]


def test_runs_overview_marks_damaged_runs(damaged_root, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(damaged_root, root)
    table = runs_overview([shown(r) for r in list_runs(root)])
    assert table["status"].iloc[0].startswith("complete; damaged: ")
    assert "manifest.json" in table["status"].iloc[0]


def test_runs_page_lists_a_stopped_run_but_pages_open_the_complete_one(tmp_path, monkeypatch):
    import datetime as dt
    import json

    from alphafactory.runs import Run
    from alphafactory.runs.staging import MARKER

    root = tmp_path / "runs"
    done = Run.create("done", {}, seed=0, root=root,
                      now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    killed = Run.create("watch", {}, seed=0, root=root)
    (killed.path / MARKER).write_text(json.dumps(
        {"pid": 1, "host": "elsewhere", "heartbeat_at": "2026-01-02T00:00:00+00:00",
         "interval_s": 30}))  # fmt: skip
    (root / ".staging-20260103T000000Z-x-1-1").mkdir()  # a killed batch job: not a run
    monkeypatch.setenv(RUNS_ROOT_ENV, str(root))
    monkeypatch.delenv(RUN_ENV, raising=False)
    at = AppTest.from_file(str(APP_PATH.parent / "pages" / "runs.py"),
                           default_timeout=TIMEOUT_S).run()  # fmt: skip
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert sorted(table["status"]) == ["complete", "stopped mid-run"]
    assert at.sidebar.selectbox[0].value == str(done.path)  # the newest complete run
