"""Manifest contents: versions, git, fingerprints, merging."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

from alphafactory.runs import Run, fingerprint, git_state


def test_write_manifest_merges_fingerprints_and_keeps_identity(tmp_path):
    run = Run.create("demo", {}, seed=11, root=tmp_path)
    run.write_manifest(data_fingerprints={"bars": "sha256:aa"}, n_trials=3,
                       argv=["alphafactory", "demo"])
    run.write_manifest(data_fingerprints={"panel": "sha256:bb"},
                       extra={"data": {"source": "bundled"}})
    manifest = run.manifest
    assert manifest["seed"] == 11
    assert manifest["name"] == "demo"
    assert manifest["data_fingerprints"] == {"bars": "sha256:aa", "panel": "sha256:bb"}
    assert manifest["n_trials"] == 3
    assert manifest["data"] == {"source": "bundled"}
    assert manifest["command"]["shell"] == "alphafactory demo"  # kept when not given again


def test_write_manifest_extra_cannot_overwrite_owned_keys(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    with pytest.raises(ValueError, match="seed"):
        run.write_manifest(extra={"seed": 5})


def test_git_state_in_a_fresh_repo_reports_commit_and_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x")
    state = git_state(tmp_path)
    assert state is not None and len(state["commit"]) == 40 and state["dirty"] is False


def test_git_state_outside_a_work_tree_is_none(tmp_path):
    assert git_state(tmp_path) is None


def test_fingerprint_frame_is_stable_and_sensitive():
    df = pd.DataFrame({"close": np.arange(5.0)},
                      index=pd.date_range("2024-01-01", periods=5, tz="UTC", name="timestamp"))
    assert fingerprint(df) == fingerprint(df.copy())
    changed = df.copy()
    changed.iloc[2, 0] = 2.5
    assert fingerprint(changed) != fingerprint(df)
    assert fingerprint(df.rename(columns={"close": "open"})) != fingerprint(df)
    assert fingerprint(df).startswith("sha256:") and len(fingerprint(df)) == 7 + 64


def test_fingerprint_file_and_array(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_bytes(b"timestamp,close\n")
    assert fingerprint(path) == fingerprint(str(path))
    assert fingerprint(np.zeros(3)) != fingerprint(np.zeros(4))
    with pytest.raises(FileNotFoundError):
        fingerprint(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="fingerprint expects"):
        fingerprint(3)


def test_fingerprint_of_bars_is_the_data_layer_canonical_one():
    from alphafactory.data import fingerprint as bars_fingerprint

    idx = pd.date_range("2024-01-01", periods=3, tz="UTC", name="timestamp")
    bars = pd.DataFrame({c: [1.0, 2.0, 3.0] for c in ("open", "high", "low", "close", "volume")},
                        index=idx)
    assert fingerprint(bars) == bars_fingerprint(bars)
