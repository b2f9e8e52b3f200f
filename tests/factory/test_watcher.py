"""ChampionWatcher: one poll delivers a moved alias once; failures are retried next poll."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from alphafactory.errors import ModelError
from alphafactory.factory import ChampionWatcher


class FakeRegistry:
    """The two calls the watcher makes, scripted."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.version: str | None = None
        self.fail_download = False
        self.downloads: list[str] = []

    def alias_version(self, workflow: str, alias: str) -> str | None:
        assert (workflow, alias) == ("wf", "champion")
        return self.version

    def download(self, workflow: str, ref: str) -> Path:
        if self.fail_download:
            raise ModelError("download failed")
        self.downloads.append(ref)
        return self.tmp_path / ref


def test_check_delivers_each_new_version_once(tmp_path: Path) -> None:
    registry, seen = FakeRegistry(tmp_path), []
    watcher = ChampionWatcher(registry, "wf", on_new=lambda p, v: seen.append((p, v)))
    assert watcher.check() is None  # no alias yet
    registry.version = "3"
    assert watcher.check() == "3"
    assert watcher.check() is None
    registry.version = "4"
    assert watcher.check() == "4"
    assert seen == [(tmp_path / "3", "3"), (tmp_path / "4", "4")]


def test_check_skips_the_current_version(tmp_path: Path) -> None:
    registry = FakeRegistry(tmp_path)
    registry.version = "2"
    watcher = ChampionWatcher(registry, "wf", on_new=lambda p, v: None, current="2")
    assert watcher.check() is None and registry.downloads == []


def test_check_failure_is_retried_on_next_poll(tmp_path: Path) -> None:
    registry, seen = FakeRegistry(tmp_path), []
    calls = {"n": 0}

    def on_new(path: Path, version: str) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ModelError("corrupt artifact")
        seen.append(version)

    watcher = ChampionWatcher(registry, "wf", on_new=on_new)
    registry.version, registry.fail_download = "5", True
    with pytest.raises(ModelError):
        watcher.check()
    registry.fail_download = False
    with pytest.raises(ModelError, match="corrupt"):
        watcher.check()
    assert watcher.check() == "5" and seen == ["5"]


def test_thread_outlives_errors_and_delivers(tmp_path: Path) -> None:
    registry = FakeRegistry(tmp_path)
    registry.version, registry.fail_download = "7", True
    got = threading.Event()
    watcher = ChampionWatcher(registry, "wf", on_new=lambda p, v: got.set(), every=0.01).start()
    try:
        threading.Event().wait(0.05)  # a few failing polls
        registry.fail_download = False
        assert got.wait(2.0)
    finally:
        watcher.stop()
    assert watcher.current == "7"
