"""The CSV simulator: binary and Python give byte-identical files; bad rows by line number."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alphafactory.cli import main as cli_main
from alphafactory.engine import MatchingEngine, simulate_csv, write_orders_csv
from alphafactory.engine.workloads import random_orders
from alphafactory.errors import ConfigError, SourceNotFoundError


def sim_binary() -> Path | None:
    local = Path(sys.executable).parent / "alphafactory-sim"
    found = local if local.exists() else shutil.which("alphafactory-sim")
    return Path(found) if found else None


needs_binary = pytest.mark.skipif(sim_binary() is None, reason="alphafactory-sim not built")

HEADER = "ts,instrument,order_id,account,side,type,price,qty\n"


@pytest.fixture(scope="module")
def random_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "orders.csv"
    orders = random_orders(40_000, 21, instruments=(0, 1))
    write_orders_csv(orders, path, tick_size=0.01)
    return path


@needs_binary
def test_binary_and_python_write_identical_files(tmp_path, random_csv):
    summary = simulate_csv(random_csv, tmp_path / "t1.csv", tmp_path / "e1.csv", tick_size=0.01)
    proc = subprocess.run([str(sim_binary()), "--orders", str(random_csv), "--trades",
                           str(tmp_path / "t2.csv"), "--events", str(tmp_path / "e2.csv"),
                           "--tick-size", "0.01"], capture_output=True, text=True, check=True)
    assert (tmp_path / "t1.csv").read_bytes() == (tmp_path / "t2.csv").read_bytes()
    assert (tmp_path / "e1.csv").read_bytes() == (tmp_path / "e2.csv").read_bytes()
    assert summary.trades > 1000 and f"{summary.trades} trades" in proc.stderr
    orders = random_orders(40_000, 21, instruments=(0, 1))
    bad = ~(np.isin(orders["side"], [1, -1]) & np.isin(orders["type"], range(1, 8)))
    assert len(summary.bad_rows) == bad.sum() > 0  # bad sides and types are bad CSV rows
    assert proc.stderr.count("orders.csv:") == bad.sum()


def test_csv_matches_batch_api(tmp_path, random_csv):
    """The CSV path and the numpy path agree trade for trade."""
    simulate_csv(random_csv, tmp_path / "t.csv", tmp_path / "e.csv", tick_size="0.01")
    orders = random_orders(40_000, 21, instruments=(0, 1))
    ok = (np.isin(orders["side"], [1, -1]) & np.isin(orders["type"], range(1, 8)))
    engine = MatchingEngine(tick_size=0.01)
    engine.add_instrument(1, tick_size=0.01)
    engine.add_instrument(7, tick_size=0.01)
    trades, events = engine.process(orders[ok])
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert len(lines) - 1 == len(trades)
    first = lines[1].split(",")
    assert int(first[2]) == trades["trade_id"][0]
    assert first[3] == f"{trades['price'][0] / 100:.2f}"
    assert len((tmp_path / "e.csv").read_text().splitlines()) - 1 == len(events)


def test_bad_rows_are_reported_with_line_numbers_and_skipped(tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text(
        HEADER
        + "1,0,1,1,S,LIMIT,100.05,5\n"
        + "2,0,2,2,B,LIMIT,100.013,3\n"      # off tick
        + "3,0,3,2,B,LIMIT,abc,3\n"          # not a number
        + "\n"                               # blank: ignored
        + "5,0,4,2,Q,LIMIT,100.05,3\n"       # bad side
        + "6,0,5,2,B,STOP,100.05,3\n"        # bad type
        + "7,0,6,2,B,LIMIT,100.05\n"         # truncated
        + "8,0,7,2,B,LIMIT,100.05,1.5\n"     # fractional qty
        + "99999999999999999999,0,8,2,B,LIMIT,100.05,1\n"  # ts overflow
        + "9,0,9,2,B,LIMIT,100.05,2\n"
    )
    summary = simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv")
    lines = [e.split(":")[1] for e in summary.bad_rows]
    assert lines == ["3", "4", "6", "7", "8", "9", "10"]
    assert "not a multiple of the tick size 0.01" in summary.bad_rows[0]
    assert "expected 8 fields, got 7" in summary.bad_rows[4]
    assert (summary.rows, summary.orders, summary.trades) == (9, 2, 1)
    assert (tmp_path / "t.csv").read_text().splitlines()[1] == "9,0,1,100.05,2,B,1,9,1,2"


def test_strict_stops_at_first_bad_row_and_writes_nothing(tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text(HEADER + "1,0,1,1,S,LIMIT,100.05,5\n2,0,2,1,S,LIMIT,1e5,5\n")
    with pytest.raises(ValueError, match=r"o.csv:3: price '1e5' is not a decimal number"):
        simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv", strict=True)
    assert not (tmp_path / "t.csv").exists()


def test_bad_header_and_missing_file_raise(tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text("time,id\n1,2\n")
    with pytest.raises(ValueError, match=r"o.csv:1: expected the header"):
        simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv")
    with pytest.raises(SourceNotFoundError, match=r"missing\.csv: no such file"):
        simulate_csv(tmp_path / "missing.csv", tmp_path / "t.csv", tmp_path / "e.csv")
    with pytest.raises(ConfigError, match="--tick-size: must be a positive decimal, got '-1'"):
        simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv", tick_size="-1")


def test_prices_print_with_tick_decimals(tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text(HEADER + "1,0,1,1,S,LIMIT,12.5,5\n2,0,2,2,B,LIMIT,12.50,5\n")
    simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv", tick_size=0.5)
    assert (tmp_path / "t.csv").read_text().splitlines()[1].split(",")[3] == "12.5"
    simulate_csv(orders, tmp_path / "t.csv", tmp_path / "e.csv", tick_size="0.025",
                 overwrite=True)
    assert (tmp_path / "t.csv").read_text().splitlines()[1].split(",")[3] == "12.500"


def test_cli_simulate_exit_codes(tmp_path, capsys):
    orders = tmp_path / "o.csv"
    orders.write_text(HEADER + "1,0,1,1,S,LIMIT,100.05,5\n2,0,2,2,B,LIMIT,x,3\n")
    args = ["simulate", "--orders", str(orders), "--trades", str(tmp_path / "t.csv"),
            "--events", str(tmp_path / "e.csv")]
    assert cli_main(args) == 0
    assert "o.csv:3: price 'x' is not a decimal number" in capsys.readouterr().err
    assert cli_main([*args, "--strict", "--force"]) == 1
    assert "alphafactory: error: bad row (strict mode, nothing written)" in capsys.readouterr().err
