"""Time vectorbt's target-percent backtest on the shared workload; write bench/reference/.

Run with a Python that has vectorbt (kept out of the project's dependencies), e.g.::

    python3 -m venv /tmp/vbt && /tmp/vbt/bin/pip install vectorbt vectorbt-rust
    /tmp/vbt/bin/python bench/reference_vectorbt.py

It writes ``vectorbt.json`` (timings, versions, settings) and ``vectorbt_equity.npy`` (the
equity curve) to the folder given as its argument (default ``bench/reference``, the committed
numbers), which bench_backtest.py compares with.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_workload import FEE_BPS, INITIAL_CASH, N_ASSETS, N_BARS, workload

REPEATS = 5


def main() -> int:
    import vectorbt as vbt

    close_values, weight_values = workload()
    index = pd.date_range("2010-01-04", periods=N_BARS, freq="B", tz="UTC")
    columns = [f"S{i:03d}" for i in range(N_ASSETS)]
    close = pd.DataFrame(close_values, index=index, columns=columns)
    weights = pd.DataFrame(weight_values, index=index, columns=columns)
    try:
        import vectorbt_rust  # noqa: F401

        engine = "rust"
    except ImportError:
        engine = "numba"

    def run():
        return vbt.Portfolio.from_orders(
            close,
            size=weights,
            size_type="targetpercent",
            fees=FEE_BPS * 1e-4,
            init_cash=INITIAL_CASH,
            cash_sharing=True,
            group_by=True,
            call_seq="auto",
            freq="1D",
            engine=engine,
        )

    run()  # warm-up: JIT compilation and caches
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        portfolio = run()
        timings.append(time.perf_counter() - started)
    equity = np.asarray(portfolio.value(), dtype=np.float64).reshape(-1)
    default = Path(__file__).resolve().parent / "reference"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectorbt_equity.npy", equity)
    record = {
        "tool": "vectorbt Portfolio.from_orders(size_type='targetpercent', cash_sharing=True)",
        "engine": engine,
        "vectorbt_version": vbt.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "bars": N_BARS,
        "assets": N_ASSETS,
        "fee_bps": FEE_BPS,
        "repeats": REPEATS,
        "seconds_best": min(timings),
        "seconds_median": float(np.median(timings)),
        "final_equity": float(equity[-1]),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "vectorbt.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
