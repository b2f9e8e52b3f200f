"""Library warnings reach a CLI user as one line, like errors."""

from __future__ import annotations

import subprocess
import sys
import warnings

from alphafactory.cli import _format_warning, main


def test_warning_is_one_prefixed_line():
    line = _format_warning("3 bars\nscaled down", RuntimeWarning, "x.py", 1)
    assert line == "alphafactory: warning: 3 bars scaled down\n"


def test_main_restores_the_warning_format(capsys):
    before = warnings.formatwarning
    assert main(["portfolio", "list"]) == 0
    capsys.readouterr()
    assert warnings.formatwarning is before


def test_a_command_warning_prints_one_line_on_stderr(tmp_path):
    # A fresh interpreter: pytest's own warning capture would record the warning instead.
    code = (
        "import argparse, sys, warnings\n"
        "import alphafactory.cli as cli\n"
        "def job(args):\n"
        "    warnings.warn('constant scores on 4 bars:\\n no position', RuntimeWarning)\n"
        "    return 0\n"
        "namespace = argparse.Namespace(func=job, debug=False)\n"
        "cli.build_parser = lambda: argparse.Namespace(parse_args=lambda argv: namespace)\n"
        "sys.exit(cli.main([]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines == ["alphafactory: warning: constant scores on 4 bars: no position"]
