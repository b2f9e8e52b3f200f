"""`alphafactory trade run | status | stop` on a small paper session."""

from __future__ import annotations

import json

from alphafactory.cli import main

TRADING_FILE = """
[bot]
name = "cli"
data = "sample"
history = 30
bars = 6

[model]
momentum = 5

[portfolio]
rule = "topk"
params = { k = 2, long_only = true }
"""


def test_run_status_stop(tmp_path, capsys):
    path = tmp_path / "cli.toml"
    path.write_text(TRADING_FILE)
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["trade", "run", str(path), "--store", url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bars"] == 6 and not summary["halted"]

    assert main(["trade", "status", str(path), "--store", url]) == 0
    out = capsys.readouterr().out
    assert "halted: no" in out and f"equity {summary['equity']:,.2f}" in out
    held = [line.split()[0] for line in out.splitlines()[5:]]
    assert sorted(held) == sorted(s for s, q in summary["positions"].items() if q)

    assert main(["trade", "stop", str(path), "--store", url]) == 0
    assert "kill switch set" in capsys.readouterr().out
    assert main(["trade", "status", str(path), "--store", url]) == 0
    assert "halted: trade stop" in capsys.readouterr().out
    assert main(["trade", "run", str(path), "--store", url]) == 0
    assert json.loads(capsys.readouterr().out)["halted"] is True


def test_a_bad_trading_file_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(TRADING_FILE.replace('rule = "topk"', 'rule = "topk"\nbogus = 1'))
    assert main(["trade", "run", str(path), "--store", f"sqlite:///{tmp_path}/x.db"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bogus" in err and str(path) in err
