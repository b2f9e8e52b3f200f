"""Every command that reads a user's file, fed a corpus of hostile files: one line, no damage.

The corpus is built from a valid file of each kind (bars CSV/Parquet, signal file, orders CSV) by
the mutations a hostile or careless user produces: empty, binary, UTF-16, semicolons, header only,
missing and duplicated columns, out-of-range dates, truncation, a directory. Each (input, command)
pair must exit 1 or 2 with exactly one ``alphafactory: error:`` line (``data validate`` may
instead print its report and exit 1), never an internal error or a traceback, and must leave
every file in the folder byte for byte as it was, writing nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.data import load_sample, write_ohlcv_csv, write_parquet
from alphafactory.signals import export_signals


def _valid_bars_csv() -> str:
    return (
        "timestamp,open,high,low,close,volume\n"
        "2024-01-02,10,11,9,10.5,1000\n"
        "2024-01-03,10.5,11.5,10,11,1200\n"
        "2024-01-04,11,12,10.5,11.5,900\n"
    )


def _bars_variants() -> dict[str, bytes]:
    good = _valid_bars_csv()
    lines = good.splitlines()
    return {
        "empty": b"",
        "binary": bytes(range(256)) * 4,
        "nul-bytes": good.replace("10.5", "10\x005").encode(),
        "utf16": good.encode("utf-16"),
        "semicolons": good.replace(",", ";").encode(),
        "header-only": (lines[0] + "\n").encode(),
        "missing-close": "\n".join(",".join(c for i, c in enumerate(row.split(",")) if i != 4)
                                   for row in lines).encode(),
        "duplicate-close": "\n".join(row + "," + row.split(",")[4] for row in lines).encode(),
        "no-header": "\n".join(lines[1:]).encode(),
        "year-99999": good.replace("2024-01-03", "99999-01-03").encode(),
        "year-1500": good.replace("2024-01-03", "1500-01-03").encode(),
        "bad-date": good.replace("2024-01-03", "2024-13-45").encode(),
        "text-in-price": good.replace("11.5,10,11", "11.5,ten,11").encode(),
        "ragged-row": (good + "2024-01-05,1,2\n").encode(),
        "huge-field": (good + "2024-01-05," + "9" * 5000 + ",1,1,1,1\n").encode(),
        "mixed-offsets": good.replace("2024-01-03", "2024-01-03T10:00:00+05:00").encode(),
        "only-newlines": b"\n\n\n\n",
    }


def _parquet_variants(tmp: Path) -> dict[str, bytes]:
    bars = pd.read_csv(pd.io.common.StringIO(_valid_bars_csv()), parse_dates=["timestamp"])
    bars["timestamp"] = bars["timestamp"].dt.tz_localize("UTC")
    path = tmp / "ok.parquet"
    bars.set_index("timestamp").to_parquet(path)
    good = path.read_bytes()
    empty = tmp / "empty.parquet"
    bars.iloc[:0].set_index("timestamp").to_parquet(empty)
    return {
        "truncated": good[: len(good) // 2],
        "zero-bytes": b"",
        "garbage": b"PAR1" + bytes(range(200)) + b"PAR1",
        "zero-rows": empty.read_bytes(),
    }


def _signal_variants(tmp: Path) -> dict[str, bytes]:
    index = pd.date_range("2010-01-04", periods=5, freq="B", tz="UTC", name="timestamp")
    scores = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 2)), index=index,
                          columns=["AAPL", "IBM"])
    path = export_signals(scores, tmp / "sig.csv", model="m")
    good = path.read_text()
    lines = good.splitlines()
    return {
        "empty": b"",
        "binary": bytes(range(256)) * 4,
        "utf16": good.encode("utf-16"),
        "semicolons": good.replace(",", ";").encode(),
        "header-only": (lines[0] + "\n").encode(),
        # cut inside the last row's symbol: the row lacks its model and score fields
        "truncated-row": good[: good.rstrip("\n").rfind(",", 0, good.rstrip("\n").rfind(","))
                              - 1].encode(),
        "text-score": good.replace(lines[1].split(",")[-1], "high", 1).encode(),
    }


def _orders_variants() -> dict[str, bytes]:
    return {
        "empty": b"",
        "binary": bytes(range(256)) * 4,
        "utf16": "id,side,type,price,qty\n1,buy,limit,1.00,10\n".encode("utf-16"),
    }


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(folder: Path, argv: list[str], capsys, *, report_ok: bool = False) -> None:
    before = _digest(folder)
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err + captured.out, argv
    assert "internal error" not in err, f"{argv}: {err}"
    errors = [line for line in err.splitlines() if line.startswith("alphafactory: error:")]
    if report_ok and code == 1 and not errors:
        assert captured.out.strip(), argv  # data validate's report names the problems
    else:
        assert code == 2, f"{argv}: exit {code}, stderr {err!r}"
        assert len(errors) == 1, f"{argv}: {err!r}"
    assert _digest(folder) == before, f"{argv} changed or wrote files"


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


BARS_COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "data-validate": lambda f, out: ["data", "validate", str(f)],
    "features-build": lambda f, out: ["features", "build", "--bars", str(f),
                                      "--out", str(out / "feat.parquet")],
    "train": lambda f, out: ["train", "--model", "ridge", "--bars", str(f),
                             "--out", str(out / "run")],
}


@pytest.mark.parametrize("command", sorted(BARS_COMMANDS))
@pytest.mark.parametrize("variant", sorted(_bars_variants()))
def test_bars_csv_corpus(tmp_path, capsys, command, variant):
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = _write(inputs, "AAA.csv", _bars_variants()[variant])
    out = tmp_path / "out"
    out.mkdir()
    argv = BARS_COMMANDS[command](path, out)
    _check(tmp_path, argv, capsys, report_ok=command == "data-validate")


@pytest.mark.parametrize("variant", ["truncated", "zero-bytes", "garbage", "zero-rows"])
def test_bars_parquet_corpus(tmp_path, capsys, variant):
    source = tmp_path / "src"
    source.mkdir()
    data = _parquet_variants(source)[variant]
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = _write(inputs, "AAA.parquet", data)
    _check(inputs, ["data", "validate", str(path)], capsys, report_ok=True)
    _check(inputs, ["features", "build", "--bars", str(path),
                    "--out", str(tmp_path / "feat.parquet")], capsys)
    assert not (tmp_path / "feat.parquet").exists()


@pytest.mark.parametrize("variant", sorted(["empty", "binary", "utf16", "semicolons",
                                            "header-only", "truncated-row", "text-score"]))
def test_signal_file_corpus(tmp_path, capsys, variant):
    source = tmp_path / "src"
    source.mkdir()
    data = _signal_variants(source)[variant]
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = _write(inputs, "sig.csv", data)
    out = tmp_path / "out"
    _check(inputs, ["signals", "check", "--no-sidecar", str(path)], capsys)
    _check(inputs, ["backtest", "--signals", str(path), "--bars", "sample:us-equities-daily",
                    "--out", str(out)], capsys)
    assert not out.exists()


@pytest.mark.parametrize("variant", sorted(_orders_variants()))
def test_orders_corpus(tmp_path, capsys, variant):
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = _write(inputs, "orders.csv", _orders_variants()[variant])
    _check(inputs, ["simulate", "--orders", str(path), "--trades", str(tmp_path / "t.csv"),
                    "--events", str(tmp_path / "e.csv")], capsys)
    assert not (tmp_path / "t.csv").exists() and not (tmp_path / "e.csv").exists()


def test_directory_as_input_is_one_line(tmp_path, capsys):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    _check(tmp_path, ["simulate", "--orders", str(folder), "--trades", str(tmp_path / "t.csv"),
                      "--events", str(tmp_path / "e.csv")], capsys)
    _check(tmp_path, ["signals", "check", "--no-sidecar", str(folder)], capsys)


def test_valid_bars_pass_every_bars_command(tmp_path, capsys):
    """The corpus's source file is valid: the failures above come from the mutations."""
    bars = load_sample("us-equities-daily").xs("IBM", level="symbol").loc["2010-01"]
    csv = write_ohlcv_csv(bars, tmp_path / "IBM.csv")
    parquet = write_parquet(bars, tmp_path / "IBM.parquet")
    assert main(["data", "validate", str(csv)]) == 0
    assert main(["data", "validate", str(parquet)]) == 0
    capsys.readouterr()
    good = tmp_path / "good.csv"
    good.write_text(_valid_bars_csv())
    assert main(["data", "validate", "--calendar", "weekdays", str(good)]) == 0
