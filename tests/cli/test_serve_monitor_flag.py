"""`alphafactory serve --monitor [--monitor-file F]`: the drift monitor's policy from the flags."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from alphafactory.cli import main
from alphafactory.cli.serve import _monitor_policy


def args(monitor: bool, file: Path | None) -> argparse.Namespace:
    return argparse.Namespace(monitor=monitor, monitor_file=file)


def test_no_monitor_without_the_flag():
    assert _monitor_policy(args(False, None)) is None


def test_defaults_or_the_files_monitor_table(tmp_path):
    assert _monitor_policy(args(True, None)).window == 60
    path = tmp_path / "m.toml"
    path.write_text("[monitor]\nwindow = 40\nfdr = 0.001\n")
    policy = _monitor_policy(args(True, path))
    assert (policy.window, policy.fdr) == (40, 0.001)


def test_a_bad_monitor_file_is_one_line_exit_2(tmp_path, capsys):
    pytest.importorskip("fastapi")
    bad = tmp_path / "m.toml"
    bad.write_text("[monitor]\nwindwo = 40\n")
    code = main(["serve", "--artifact", str(tmp_path), "--monitor", "--monitor-file", str(bad)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "windwo" in err[0]
