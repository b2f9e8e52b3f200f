"""Run every ``bench/bench_*.py`` in turn (``make bench``).

Each benchmark is a standalone script that prints its own table with ratios against a reference
measured in the same run. A benchmark that fails is reported and the others still run; the exit
status is non-zero when any failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    bench_dir = Path(__file__).resolve().parent
    scripts = sorted(bench_dir.glob("bench_*.py"))
    only = set(sys.argv[1:])
    failed: list[str] = []
    for script in scripts:
        if only and script.stem not in only and script.stem.removeprefix("bench_") not in only:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        status = subprocess.call([sys.executable, str(script)], cwd=bench_dir.parent)
        seconds = time.perf_counter() - started
        print(f"--- {script.name}: exit {status} in {seconds:.1f} s", flush=True)
        if status != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
