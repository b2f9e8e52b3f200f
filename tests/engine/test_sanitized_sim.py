"""The simulator and the engine's batch API built with AddressSanitizer +
UndefinedBehaviorSanitizer: random and malformed CSVs through ``alphafactory-sim``, and random
order streams with extreme values through the fuzz harness ``cpp/fuzz/engine_fuzz.cpp`` (also in a
build with a 2^62 lot bound, where int64 overflow of level totals and positions is reachable):
zero findings, no crash, every invariant of the harness holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alphafactory.engine import write_orders_csv
from alphafactory.engine.workloads import random_orders

ROOT = Path(__file__).resolve().parents[2]
HEADER = b"ts,instrument,order_id,account,side,type,price,qty\n"


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


@pytest.fixture(scope="module")
def sanitized_sim(tmp_path_factory) -> Path:
    cmake = _tool("cmake")
    compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cmake is None or compiler is None:
        pytest.skip("no cmake or C++ compiler to build the sanitized simulator")
    build = tmp_path_factory.mktemp("asan-build")
    configure = [cmake, "-S", str(ROOT), "-B", str(build), "-DALPHAFACTORY_SANITIZE=ON",
                 "-DALPHAFACTORY_FUZZ=ON", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]
    ninja = _tool("ninja")
    if ninja:
        configure += ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"]
    subprocess.run(configure, check=True, capture_output=True)
    proc = subprocess.run([cmake, "--build", str(build), "--target", "alphafactory-sim",
                           "engine_fuzz", "engine_fuzz_overflow", "-j2"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        if "sanitizer" in proc.stdout + proc.stderr and "cannot find" in proc.stdout + proc.stderr:
            pytest.skip("the toolchain lacks the sanitizer runtimes")
        raise AssertionError(f"sanitized build failed:\n{proc.stdout[-3000:]}{proc.stderr}")
    return build / "alphafactory-sim"


def _malformed_inputs(rng: np.random.Generator) -> dict[str, bytes]:
    good = HEADER + b"1,0,1,1,S,LIMIT,100.05,5\n2,0,2,2,B,LIMIT,100.10,3\n"
    lines = [
        b"1,0,3,1,B,LIMIT,99999999999999999999.99,5",
        b"1,0,4,1,B,LIMIT,9999999999999999.99,5",
        b"1,0,5,1,B,LIMIT,100.05,99999999999999999",
        b"1,0,6,1,B,LIMIT,100.05,999999999999999",
        b"-9223372036854775808,0,-9223372036854775807,-2147483648,S,MARKET,,1",
        b"1,2147483648,7,1,B,LIMIT,1,1",
        b"1,-5,8,1,B,IOC,0.01,1",
        b",,,,,,,",
        b"1,0,9,1,B,LIMIT,.,1",
        b"1,0,10,1,B,LIMIT,--1,1",
        b"1,0,11,1,B,LIMIT,1.2.3,1",
        b"1,0,12,1,B,MODIFY,0.000000000000000001,1",
        b"1,0,1,1,B,MODIFY,100.05,2",
        b"1,0,1,1,B,CANCEL,,",
        b"1,0,1,1,B,CANCEL,,,,,,,,,,",
        "1,0,13,1,B,LIMIT,1\u00e9,1".encode(),
        b"\xff\xfe\x00garbage",
    ]
    junk = rng.integers(0, 256, size=4000, dtype=np.uint8).tobytes()
    printable = bytes(rng.choice(list(b"0123456789,.-BSLIMTCAN\n"), size=20000))
    return {
        "empty": b"",
        "header_only": HEADER,
        "no_header": b"1,0,1,1,S,LIMIT,100.05,5\n",
        "truncated": good[:-7],
        "edge_values": HEADER + b"\n".join(lines) + b"\n",
        "binary_junk": HEADER + junk,
        "printable_junk": HEADER + printable,
        "crlf": good.replace(b"\n", b"\r\n"),
    }


def _run(sim: Path, orders: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=86",
               UBSAN_OPTIONS="print_stacktrace=1:exitcode=87")
    return subprocess.run([str(sim), "--orders", str(orders), "--trades", str(tmp / "t.csv"),
                           "--events", str(tmp / "e.csv"), "--force", *extra],
                          capture_output=True, env=env, timeout=120)


def _assert_clean(proc: subprocess.CompletedProcess, allowed: tuple[int, ...]) -> None:
    err = proc.stderr.decode(errors="replace")
    assert "Sanitizer" not in err and "runtime error" not in err, err[-4000:]
    assert proc.returncode in allowed, (proc.returncode, err[-2000:])


def test_sanitized_sim_random_streams_have_no_findings(sanitized_sim, tmp_path):
    for seed, stp in ((1, "none"), (2, "cancel_maker"), (3, "cancel_both")):
        orders = random_orders(30_000, seed, instruments=(0, 1, 2), width=40)
        path = tmp_path / f"orders{seed}.csv"
        write_orders_csv(orders, path)
        proc = _run(sanitized_sim, path, tmp_path, "--stp", stp)
        _assert_clean(proc, (0,))
        assert b"trades" in proc.stderr


def test_sanitized_sim_malformed_csvs_have_no_findings(sanitized_sim, tmp_path):
    rng = np.random.default_rng(7)
    for name, content in _malformed_inputs(rng).items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(content)
        # exit 2 is a reported bad header or empty-file error, never a crash
        _assert_clean(_run(sanitized_sim, path, tmp_path), (0, 2))
        _assert_clean(_run(sanitized_sim, path, tmp_path, "--strict"), (0, 1, 2))


@pytest.mark.parametrize("harness", ["engine_fuzz", "engine_fuzz_overflow"])
def test_sanitized_engine_batch_fuzz_has_no_findings(sanitized_sim, harness):
    """INT64_MIN/MAX prices, quantities and ids, zero, negative, unknown types, sides and
    instruments, cancels and modifies of unknown ids: no finding, every rejected message leaves
    the book unchanged, levels stay positive and ordered; in the overflow build an order that
    would take a level's total or a position past int64 is REJECTED with QTY_OVERFLOW."""
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=86",
               UBSAN_OPTIONS="print_stacktrace=1:exitcode=87")
    for seed in (1, 2):
        proc = subprocess.run([str(sanitized_sim.parent / harness), str(seed), "20000"],
                              capture_output=True, env=env, timeout=300)
        _assert_clean(proc, (0,))
        assert b"clean" in proc.stdout
