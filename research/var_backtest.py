"""VaR backtest: every method's one-day VaR on the bundled sample and on known volatility.

Reproduce the README table (a few seconds)::

    .venv/bin/python research/var_backtest.py

For each VaR method of :mod:`alphafactory.risk` (historical, Gaussian, Cornish-Fisher, EWMA,
filtered historical simulation) at 95% and 99% over a 250-day trailing window, it backtests
the one-day-ahead forecasts (Kupiec's proportion of failures, Christoffersen's independence, at
5%) on

- ``sample``: the equal-weight daily portfolio of the bundled ``us-equities-daily`` sample
  (close-to-close returns, rebalanced daily over the symbols with a price) and each symbol;
- ``gaussian``: 3250 iid Gaussian returns with sigma = 1% (seed 7), where every method should
  pass;
- ``garch``: 3250 GARCH(1,1) returns (omega 2e-6, alpha 0.06, beta 0.92, seed 11), where the
  volatility clusters.

On the two synthetic series a ``true_sigma`` row applies the same tests to the VaR computed from
the known volatility, on the same bars: what a perfect forecast scores on that draw.

It writes ``research/results/var_backtest.md`` and ``.csv`` and prints the portfolio table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from alphafactory.data import load_sample
from alphafactory.risk import christoffersen_independence, kupiec_pof, var_backtest

HERE = Path(__file__).resolve().parent
WINDOW = 250
COLUMNS = ["n_obs", "exceptions", "exception_rate", "kupiec_p", "kupiec_pass",
           "christoffersen_p", "christoffersen_pass"]


def sample_returns() -> pd.DataFrame:
    """Close-to-close returns of the bundled sample, ``T x N`` (NaN before a listing)."""
    close = load_sample("us-equities-daily")["close"].unstack("symbol")
    return close.pct_change(fill_method=None).iloc[1:]


def equal_weight(returns: pd.DataFrame) -> pd.Series:
    """Daily-rebalanced equal weight over the symbols with a return that day."""
    return returns.mean(axis=1, skipna=True).rename("equal_weight")


def gaussian(n: int = 3250, seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2000-01-03", periods=n, freq="B", tz="UTC")
    return pd.Series(0.01 * rng.standard_normal(n), index=index, name="gaussian")


def garch(n: int = 3250, seed: int = 11) -> tuple[pd.Series, np.ndarray]:
    """GARCH(1,1) returns and their true conditional volatility."""
    rng = np.random.default_rng(seed)
    omega, alpha, beta = 2e-6, 0.06, 0.92
    v, out, sigma = omega / (1 - alpha - beta), np.empty(n), np.empty(n)
    for t in range(n):
        sigma[t] = math.sqrt(v)
        out[t] = sigma[t] * rng.standard_normal()
        v = omega + alpha * out[t] ** 2 + beta * v
    index = pd.date_range("2000-01-03", periods=n, freq="B", tz="UTC")
    return pd.Series(out, index=index, name="garch"), sigma


def oracle(returns: pd.Series, sigma: np.ndarray) -> pd.DataFrame:
    """The same tests on the true VaR (``-sigma_t z_a``, known volatility), same bars."""
    rows = []
    for level in (0.95, 0.99):
        hits = (returns.to_numpy() < norm.ppf(1 - level) * sigma)[WINDOW:]
        pof = kupiec_pof(int(hits.sum()), hits.size, level)
        ind = christoffersen_independence(hits)
        rows.append({"method": "true_sigma", "level": level, "n_obs": hits.size,
                     "exceptions": int(hits.sum()), "exception_rate": hits.mean(),
                     "kupiec_p": pof.p_value, "kupiec_pass": pof.passed,
                     "christoffersen_p": ind.p_value, "christoffersen_pass": ind.passed})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A pipe table: the index levels, then the columns (floats to 4 significant digits)."""
    flat = table.reset_index()

    def cell(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    rows = [" | ".join(flat.columns), " | ".join("---" for _ in flat.columns)]
    rows += [" | ".join(cell(v) for v in row) for row in flat.itertuples(index=False)]
    return "\n".join(f"| {row} |" for row in rows)


def main() -> None:
    returns = sample_returns()
    series = {"sample:equal_weight": equal_weight(returns)}
    series.update({f"sample:{s}": returns[s].dropna() for s in returns.columns
                   if returns[s].notna().sum() >= WINDOW + 20})  # FB: too short
    series["gaussian"] = gaussian()
    series["garch"], garch_sigma = garch()
    truth = {"gaussian": np.full(len(series["gaussian"]), 0.01), "garch": garch_sigma}
    tables = []
    for name, r in series.items():
        table = var_backtest(r, window=WINDOW).reset_index()
        if name in truth:
            table = pd.concat([table, oracle(r, truth[name])], ignore_index=True)
        table.insert(0, "series", name)
        tables.append(table)
    full = pd.concat(tables, ignore_index=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    full.to_csv(out / "var_backtest.csv", index=False, float_format="%.6g")
    lines = ["# VaR backtest (one day ahead, 250-day window, tests at 5%)", ""]
    for name, part in full.groupby("series", sort=False):
        shown = part.set_index(["method", "level"])[COLUMNS]
        lines += [f"## {name}", "", markdown(shown), ""]
    passing = full[full["kupiec_pass"] & full["christoffersen_pass"]]
    lines += ["## Pass both tests", ""]
    for name, part in passing.groupby("series", sort=False):
        lines.append(f"- {name}: " + ", ".join(
            f"{m} {lvl:.0%}" for m, lvl in zip(part["method"], part["level"], strict=True)))
    (out / "var_backtest.md").write_text("\n".join(lines) + "\n")
    portfolio = full[full["series"] == "sample:equal_weight"].set_index(["method", "level"])
    with pd.option_context("display.width", 140):
        print(portfolio[COLUMNS].to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"\nwritten: {out / 'var_backtest.md'}")


if __name__ == "__main__":
    main()
