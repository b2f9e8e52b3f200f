"""Time vectorbt's target-percent backtest on the shared workload; write bench/reference/.

Run with a Python that has vectorbt (kept out of the project's dependencies), e.g.::

    python3 -m venv /tmp/vbt && /tmp/vbt/bin/pip install vectorbt vectorbt-rust
    /tmp/vbt/bin/python bench/reference_vectorbt.py

It times the workload at 95% gross and at 100% gross (``full_gross``: vectorbt shrinks the last
buys of every rebalance to the cash left) and writes ``vectorbt.json`` (timings, versions,
settings), ``vectorbt_equity.npy`` and ``vectorbt_equity_full.npy`` (the equity curves) to the
folder given as its argument (default ``bench/reference``, the committed
numbers), which bench_backtest.py compares with.

``python bench/reference_vectorbt.py parity [FILE]`` instead records small cases (inputs,
equity and positions) to ``tests/backtest/data/vectorbt_reference.json``, which the tests
compare ``alphafactory.backtest.backtest`` with, without vectorbt: 100% gross long-only with
fees (vectorbt shrinks the last buys of a rebalance to the cash left, sells first), the same
with rebalances every few bars, and a levered long-short book.
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
from backtest_workload import FEE_BPS, FULL_GROSS, GROSS, INITIAL_CASH, N_ASSETS, N_BARS, workload

REPEATS = 5
PARITY_FILE = Path(__file__).resolve().parents[1] / "tests/backtest/data/vectorbt_reference.json"


def _parity_case(
    name: str, *, n_bars: int, n_assets: int, long: float, short: float, every: int, seed: int
) -> dict:
    """Random closes and target weights: `long` on the long book, `short` on the short book."""
    rng = np.random.default_rng(seed)
    close = 40.0 * np.exp(np.cumsum(rng.normal(0.0005, 0.02, (n_bars, n_assets)), axis=0))
    raw = rng.random((n_bars, n_assets))
    weights = np.full((n_bars, n_assets), np.nan)
    if short == 0.0:
        weights[:] = raw / raw.sum(axis=1, keepdims=True) * long
    else:
        side = rng.random((n_bars, n_assets)) < 0.5
        side[:, 0], side[:, 1] = True, False  # both books non-empty
        longs = np.where(side, raw, 0.0)
        shorts = np.where(side, 0.0, raw)
        weights[:] = longs / longs.sum(axis=1, keepdims=True) * long
        weights -= shorts / shorts.sum(axis=1, keepdims=True) * short
    weights[np.arange(n_bars) % every != 0] = np.nan  # no decision: hold
    return {"name": name, "close": close, "weights": weights}


def parity(path: Path) -> int:
    """Record vectorbt's equity and positions on small cases (see the module docstring)."""
    import vectorbt as vbt

    fee_bps, init_cash = 10.0, 1e5
    cases = [
        _parity_case("full_gross_long", n_bars=40, n_assets=5, long=1.0, short=0.0, every=1,
                     seed=1),
        _parity_case("full_gross_long_every_3", n_bars=40, n_assets=6, long=1.0, short=0.0,
                     every=3, seed=2),
        _parity_case("long_short_80_80", n_bars=40, n_assets=6, long=0.8, short=0.8, every=2,
                     seed=3),
    ]
    out = []
    for case in cases:
        index = pd.date_range("2020-01-01", periods=len(case["close"]), freq="D", tz="UTC")
        columns = [f"S{i}" for i in range(case["close"].shape[1])]
        portfolio = vbt.Portfolio.from_orders(
            pd.DataFrame(case["close"], index=index, columns=columns),
            size=pd.DataFrame(case["weights"], index=index, columns=columns),
            size_type="targetpercent",
            fees=fee_bps * 1e-4,
            init_cash=init_cash,
            cash_sharing=True,
            group_by=True,
            call_seq="auto",
            freq="1D",
        )
        out.append({
            "name": case["name"],
            "close": case["close"].tolist(),
            "weights": [[None if np.isnan(w) else w for w in row] for row in case["weights"]],
            "equity": np.asarray(portfolio.value(), dtype=np.float64).reshape(-1).tolist(),
            "positions": np.asarray(portfolio.assets(), dtype=np.float64).tolist(),
            "cash": np.asarray(portfolio.cash(), dtype=np.float64).reshape(-1).tolist(),
        })
    record = {
        "tool": "vectorbt Portfolio.from_orders(size_type='targetpercent', cash_sharing=True, "
                "group_by=True, call_seq='auto'), price = close",
        "vectorbt_version": vbt.__version__,
        "recorded_by": "bench/reference_vectorbt.py parity",
        "fee_bps": fee_bps,
        "init_cash": init_cash,
        "cases": out,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes): " + ", ".join(
        f"{c['name']} final equity {c['equity'][-1]:.6f}" for c in out))
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "parity":
        return parity(Path(sys.argv[2]) if len(sys.argv) > 2 else PARITY_FILE)
    import vectorbt as vbt

    index = pd.date_range("2010-01-04", periods=N_BARS, freq="B", tz="UTC")
    columns = [f"S{i:03d}" for i in range(N_ASSETS)]
    try:
        import vectorbt_rust  # noqa: F401

        engine = "rust"
    except ImportError:
        engine = "numba"

    def measure(gross: float) -> tuple[list[float], np.ndarray]:
        close_values, weight_values = workload(gross=gross)
        close = pd.DataFrame(close_values, index=index, columns=columns)
        weights = pd.DataFrame(weight_values, index=index, columns=columns)

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
        return timings, np.asarray(portfolio.value(), dtype=np.float64).reshape(-1)

    timings, equity = measure(GROSS)
    full_timings, full_equity = measure(FULL_GROSS)
    default = Path(__file__).resolve().parent / "reference"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectorbt_equity.npy", equity)
    np.save(out / "vectorbt_equity_full.npy", full_equity)
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
        "gross": GROSS,
        "repeats": REPEATS,
        "seconds_best": min(timings),
        "seconds_median": float(np.median(timings)),
        "final_equity": float(equity[-1]),
        "full_gross": {
            "gross": FULL_GROSS,
            "seconds_best": min(full_timings),
            "seconds_median": float(np.median(full_timings)),
            "final_equity": float(full_equity[-1]),
        },
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "vectorbt.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
