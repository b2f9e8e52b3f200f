"""The simulator never destroys a file: outputs distinct from the input and from each other, no
replaced file without --force, nothing written on error; a bad --orders is one line, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alphafactory.cli import main as cli_main
from alphafactory.engine import simulate_csv
from alphafactory.errors import ConfigError, DataError

HEADER = "ts,instrument,order_id,account,side,type,price,qty\n"
ORDERS = HEADER + "1,0,1,1,S,LIMIT,100.05,5\n2,0,2,2,B,LIMIT,100.05,3\n"


def _binary() -> str | None:
    local = Path(sys.executable).parent / "alphafactory-sim"
    return str(local) if local.exists() else shutil.which("alphafactory-sim")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _cli(argv: list[str], capsys) -> tuple[int, list[str]]:
    code = cli_main(["simulate", *argv])
    return code, capsys.readouterr().err.splitlines()


def _sim(argv: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run([_binary(), *argv], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr.splitlines()


RUNNERS = ["cli", pytest.param("binary", marks=pytest.mark.skipif(
    _binary() is None, reason="alphafactory-sim not built"))]


def _run(runner: str, argv: list[str], capsys) -> tuple[int, list[str]]:
    return _cli(argv, capsys) if runner == "cli" else _sim(argv)


def _prefix(runner: str) -> str:
    return "alphafactory: error: " if runner == "cli" else "alphafactory-sim: error: "


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    (tmp_path / "o.csv").write_text(ORDERS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--orders", "o.csv", "--trades", "o.csv", "--events", "e.csv"],
         "--trades o.csv: is the same file as the input --orders; writing there would destroy"),
        (["--orders", "o.csv", "--trades", "t.csv", "--events", "./o.csv"],
         "o.csv: is the same file as the input --orders"),
        (["--orders", "o.csv", "--trades", "t.csv", "--events", "t.csv"],
         "--trades and --events are both t.csv; each output needs its own path"),
        (["--orders", "o.csv", "--trades", "t.csv", "--events", "sub/../t.csv"],
         "--trades and --events are both t.csv"),
        (["--orders", "link.csv", "--trades", "o.csv", "--events", "e.csv", "--force"],
         "--trades o.csv: is the same file as the input --orders"),
        (["--orders", "hard.csv", "--trades", "o.csv", "--events", "e.csv", "--force"],
         "--trades o.csv: is the same file as the input --orders"),
        (["--orders", "o.csv", "--trades", "sub", "--events", "e.csv"],
         "--trades sub: is a directory; an output must be a file path"),
    ],
)
def test_simulate_unsafe_output_is_refused_and_nothing_changes(folder, capsys, runner, argv,
                                                               message):
    (folder / "sub").mkdir()
    (folder / "link.csv").symlink_to("o.csv")
    os.link(folder / "o.csv", folder / "hard.csv")
    before = _snapshot(folder)
    code, lines = _run(runner, argv, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(_prefix(runner)) and message in lines[0], lines
    assert _snapshot(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["hard.csv", "link.csv", "o.csv", "sub"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_simulate_existing_output_needs_force(folder, capsys, runner):
    (folder / "t.csv").write_text("keep me\n")
    argv = ["--orders", "o.csv", "--trades", "t.csv", "--events", "e.csv"]
    code, lines = _run(runner, argv, capsys)
    assert code == 2 and len(lines) == 1
    assert "--trades t.csv: already exists; pass --force" in lines[0]
    assert (folder / "t.csv").read_text() == "keep me\n" and not (folder / "e.csv").exists()
    code, _ = _run(runner, [*argv, "--force"], capsys)
    assert code == 0 and (folder / "t.csv").read_text().count("\n") == 2


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "dir.csv: is a directory; expected an orders CSV file"),
        (b"", "o2.csv: is empty (0 bytes); expected the header 'ts,instrument,"),
        (b"\n\n  \n", "o2.csv: has only blank lines; expected the header"),
    ],
)
def test_simulate_bad_orders_file_is_one_line_and_writes_nothing(folder, capsys, runner, content,
                                                                 message):
    name = "dir.csv" if content is None else "o2.csv"
    if content is None:
        (folder / name).mkdir()
    else:
        (folder / name).write_bytes(content)
    code, lines = _run(runner, ["--orders", name, "--trades", "t.csv", "--events", "e.csv"],
                       capsys)
    assert code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not (folder / "t.csv").exists() and not (folder / "e.csv").exists()


@pytest.mark.parametrize("runner", RUNNERS)
def test_simulate_header_only_orders_is_a_valid_empty_run(folder, capsys, runner):
    (folder / "empty.csv").write_text(HEADER)
    code, lines = _run(runner, ["--orders", "empty.csv", "--trades", "t.csv", "--events",
                                "e.csv"], capsys)
    assert code == 0 and "0 rows, 0 processed, 0 bad, 0 trades, 0 events" in lines[-1]
    assert (folder / "t.csv").read_text().count("\n") == 1
    assert (folder / "e.csv").read_text() == "ts,instrument,order_id,event,reason,remaining_qty\n"


@pytest.mark.parametrize("runner", RUNNERS)
def test_simulate_unwritable_output_leaves_no_partial_file(folder, capsys, runner):
    code, lines = _run(runner, ["--orders", "o.csv", "--trades", "t.csv", "--events",
                                "missing/e.csv"], capsys)
    assert code == 2 and len(lines) == 1
    assert "cannot write missing/e.csv: No such file or directory" in lines[0]
    assert sorted(p.name for p in folder.iterdir()) == ["o.csv"]


def test_simulate_missing_orders_is_one_line(folder, capsys):
    code, lines = _cli(["--orders", "nope.csv", "--trades", "t.csv", "--events", "e.csv"], capsys)
    assert (code, lines) == (2, ["alphafactory: error: --orders nope.csv: no such file"])


def test_simulate_csv_library_refuses_unsafe_paths(folder):
    with pytest.raises(ConfigError, match=r"trades o\.csv: is the same file as the input orders"):
        simulate_csv("o.csv", "o.csv", "e.csv")
    with pytest.raises(ConfigError, match=r"trades and events are both t\.csv"):
        simulate_csv("o.csv", "t.csv", "t.csv")
    with pytest.raises(DataError, match=r"dir\.csv: is a directory"):
        (folder / "dir.csv").mkdir()
        simulate_csv("dir.csv", "t.csv", "e.csv")
    assert (folder / "o.csv").read_text() == ORDERS
    simulate_csv("o.csv", "t.csv", "e.csv")
    with pytest.raises(ConfigError, match="already exists"):
        simulate_csv("o.csv", "t.csv", "e.csv")
    assert simulate_csv("o.csv", "t.csv", "e.csv", overwrite=True).trades == 1


@pytest.mark.parametrize(
    ("tick", "message"),
    [(float("nan"), "tick_size: must be a finite number > 0, got nan"),
     (0.0, "tick_size: must be a finite number > 0, got 0.0"),
     ("abc", "--tick-size: must be a positive decimal, got 'abc'"),
     ([1], r"tick_size: must be a positive decimal, got \[1\]")],
)
def test_simulate_csv_bad_tick_size_is_config_error(folder, tick, message):
    with pytest.raises(ConfigError, match=message):
        simulate_csv("o.csv", "t.csv", "e.csv", tick_size=tick)
    assert not (folder / "t.csv").exists()


def test_simulate_csv_float_tick_in_exponent_form_is_exact(folder):
    (folder / "small.csv").write_text(HEADER + "1,0,1,1,S,LIMIT,0.00005,5\n"
                                      "2,0,2,2,B,LIMIT,0.00005,5\n")
    assert simulate_csv("small.csv", "t.csv", "e.csv", tick_size=1e-05).trades == 1
    assert (folder / "t.csv").read_text().splitlines()[1].split(",")[3] == "0.00005"


@pytest.mark.parametrize("runner", RUNNERS)
def test_simulate_strict_bad_row_is_one_line_exit_1_nothing_written(folder, capsys, runner):
    (folder / "bad.csv").write_text(HEADER + "1,0,1,1,S,LIMIT,100.05,5\n2,0,2,1,S,LIMIT,1e5,5\n")
    code, lines = _run(runner, ["--orders", "bad.csv", "--trades", "t.csv", "--events", "e.csv",
                                "--strict"], capsys)
    assert code == 1 and len(lines) == 1, lines
    assert lines[0] == (f"{_prefix(runner)}bad row (strict mode, nothing written): bad.csv:3: "
                        "price '1e5' is not a decimal number")
    assert sorted(p.name for p in folder.iterdir()) == ["bad.csv", "o.csv"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_simulate_control_bytes_in_a_field_stay_on_one_line(folder, capsys, runner):
    """A field holding a line separator (\\x1c, \\x0b, U+2028) is echoed escaped: one line."""
    (folder / "odd.csv").write_bytes(HEADER.encode() + "1,0,1,1,\x1c\u2028,LIMIT,1,1\n".encode())
    code, lines = _run(runner, ["--orders", "odd.csv", "--trades", "t.csv", "--events", "e.csv",
                                "--strict"], capsys)
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].endswith("odd.csv:2: side must be B or S, got '\\x1c\\xe2\\x80\\xa8'")
