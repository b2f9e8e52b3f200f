"""Damaged run files raise RunError naming the file (issue 12), and a fuzz over damage of a
small valid run: every loader returns or raises RunError with one line, nothing else."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory.dashboard.damage import shown
from alphafactory.dashboard.shaping import runs_overview
from alphafactory.errors import RunError
from alphafactory.runs import Run, latest_run, list_runs

FILES = ("metrics.json", "manifest.json", "config.toml", "predictions.parquet", "equity.parquet")


@pytest.fixture(scope="module")
def valid_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("valid")
    run = Run.create("small", {"job": "train", "model": {"name": "ridge"}}, seed=3, root=root)
    ts = pd.date_range("2024-01-01", periods=20, tz="UTC", name="timestamp")
    idx = pd.MultiIndex.from_product([ts, ["A", "B"]], names=["timestamp", "symbol"])
    run.write_table("predictions", pd.DataFrame(
        {"model": "ridge", "fold": 0, "score": np.linspace(-1, 1, len(idx)),
         "label": np.linspace(0.01, -0.01, len(idx))}, index=idx))  # fmt: skip
    run.write_table("equity", pd.DataFrame({"ridge": np.linspace(1, 1.1, 20)}, index=ts))
    run.write_metrics({"models": {"ridge": {"ic": 0.1, "sharpe": {"value": 1.0, "low": 0.5,
                                                                  "high": 1.5}}}, "n_trials": 1})
    return root


def _copy(valid_root: Path, into: Path) -> Run:
    shutil.copytree(valid_root, into / "runs")
    return list_runs(into / "runs")[0]


@pytest.mark.parametrize("file, content, message", [
    ("metrics.json", b'{"models": {"ridge": {"ic": 0.1', r"metrics.json: not valid JSON"),
    ("manifest.json", b"[1, 2]", r"manifest.json: expected a JSON object, got a list"),
    ("manifest.json", b"\xff\xfe{", r"manifest.json: not UTF-8 text"),
    ("config.toml", b"job = \"train\n", r"config.toml: not valid TOML"),
])  # fmt: skip
def test_damaged_json_or_toml_names_the_file(valid_root, tmp_path, file, content, message):
    run = _copy(valid_root, tmp_path)
    (run.path / file).write_bytes(content)
    attr = {"metrics.json": "metrics", "manifest.json": "manifest", "config.toml": "config"}
    with pytest.raises(RunError, match=message):
        getattr(run, attr[file])


def test_truncated_parquet_names_the_file(valid_root, tmp_path):
    run = _copy(valid_root, tmp_path)
    path = run.table_path("predictions")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RunError, match=r"predictions.parquet: not a readable Parquet table"):
        run.read_table("predictions")


def test_bad_created_at_names_the_manifest(valid_root, tmp_path):
    run = _copy(valid_root, tmp_path)
    doc = run.manifest | {"created_at": "not a time"}
    (run.path / "manifest.json").write_text(__import__("json").dumps(doc))
    with pytest.raises(RunError, match=r"manifest.json: created_at is not a time: 'not a time'"):
        _ = run.created_at
    assert latest_run(tmp_path / "runs").path == run.path  # listing still finds it


def _damage(path: Path, how: str, at: float, data: bytes) -> None:
    raw = path.read_bytes()
    cut = int(len(raw) * at)
    if how == "truncate":
        path.write_bytes(raw[:cut])
    elif how == "flip":
        path.write_bytes(raw[:cut] + bytes(b ^ 0xFF for b in raw[cut:cut + 4]) + raw[cut + 4:])
    elif how == "replace":
        path.write_bytes(data)
    else:  # splice random bytes in
        path.write_bytes(raw[:cut] + data + raw[cut:])


def _one_line_or_none(call) -> object:
    try:
        return call()
    except RunError as exc:
        assert "\n" not in str(exc) and str(exc), repr(str(exc))
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=st.lists(st.tuples(st.sampled_from(FILES),
                                 st.sampled_from(["truncate", "flip", "replace", "splice"]),
                                 st.floats(0, 1), st.binary(max_size=40)),
                       min_size=1, max_size=3))  # fmt: skip
def test_fuzz_damaged_run_loaders_return_or_raise_run_error(valid_root, damage):
    with tempfile.TemporaryDirectory() as tmp:
        run = _copy(valid_root, Path(tmp))
        for file, how, at, data in damage:
            _damage(run.path / file, how, at, data)
        root = Path(tmp) / "runs"
        runs = _one_line_or_none(lambda: list_runs(root))
        assert runs is not None and len(runs) == 1  # damage never hides or breaks listing
        _one_line_or_none(lambda: latest_run(root))
        opened = Run.open(run.path)
        for read in (lambda: opened.manifest, lambda: opened.metrics, lambda: opened.config,
                     lambda: opened.name, lambda: opened.created_at,
                     lambda: opened.read_table("predictions"),
                     lambda: opened.read_table("equity")):  # fmt: skip
            _one_line_or_none(read)
        view = shown(opened)
        runs_overview([view])  # the dashboard's partial view never raises
        assert view.read_table("predictions") is None or "predictions.parquet" not in view.damaged
        assert all("\n" not in problem for problem in view.damaged.values())
