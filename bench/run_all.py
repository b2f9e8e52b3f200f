"""Run every ``bench/bench_*.py`` in turn (``make bench``) and end with the targets' summary.

Each benchmark is a standalone script that prints its own table with ratios against a reference
measured in the same run, and one line per target of issue-level figures::

    TARGET <name>: <measured> <unit> vs target <op> <target> <unit> -> PASS|SHORT

Those lines are collected and printed again at the end, so one run gives the whole scorecard. A
SHORT target does not fail the run (the figure and what bounds it are reported); a benchmark that
exits non-zero (a correctness check, such as equity agreement, failed) is reported, the others
still run, and the exit status is non-zero.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

TARGET_LINE = re.compile(r"^TARGET (?P<name>[\w.\-]+): (?P<body>.*) -> (?P<verdict>PASS|SHORT)\s*$")


def run_script(script: Path, cwd: Path) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output as it comes; return its status and TARGET lines."""
    targets: list[str] = []
    with subprocess.Popen([sys.executable, str(script)], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if TARGET_LINE.match(line.strip()):
                targets.append(line.strip())
    return proc.returncode, targets


def summary(targets: list[tuple[str, str]]) -> str:
    rows = []
    for script, line in targets:
        match = TARGET_LINE.match(line)
        assert match is not None
        rows.append((match["verdict"], match["name"], match["body"], script))
    width = max((len(name) for _, name, _, _ in rows), default=10)
    passed = sum(verdict == "PASS" for verdict, *_ in rows)
    lines = [f"\n=== targets: {passed} PASS, {len(rows) - passed} SHORT ==="]
    lines += [f"{verdict:<6}{name:<{width + 2}}{body}" for verdict, name, body, _ in rows]
    return "\n".join(lines)


def main() -> int:
    bench_dir = Path(__file__).resolve().parent
    scripts = sorted(bench_dir.glob("bench_*.py"))
    only = set(sys.argv[1:])
    failed: list[str] = []
    targets: list[tuple[str, str]] = []
    for script in scripts:
        if only and script.stem not in only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        status, lines = run_script(script, bench_dir.parent)
        seconds = time.perf_counter() - started
        print(f"--- {script.name}: exit {status} in {seconds:.1f} s", flush=True)
        targets += [(script.name, line) for line in lines]
        if status != 0:
            failed.append(script.name)
    if targets:
        print(summary(targets))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
