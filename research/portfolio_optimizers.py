"""Portfolio optimizers side by side: time per rebalance, turnover and net Sharpe.

Reproduce the README table (a few minutes on 2 CPU cores)::

    .venv/bin/python research/portfolio_optimizers.py            # 100 assets, 10 years, monthly
    .venv/bin/python research/portfolio_optimizers.py --symbols 30 --years 4   # a quick look

A synthetic daily panel (``alphafactory.data.synthetic_market``, planted cross-sectional IC of
``--ic`` between the score at t and the return of t+1) is rebalanced on the first bar of every
month. The scores are the planted signal itself: a model that found all of it. Each rule decides
through :func:`alphafactory.portfolio.weights_from_scores` with closes up to the decision only;
the optimizers solve on a trailing ``--window`` of daily returns (Ledoit-Wolf covariance). Every
book is backtested with :func:`alphafactory.backtest.backtest`, trading at the next open with
square-root impact costs (``SquareRootImpact()`` defaults), and the script writes
``research/results/portfolio_optimizers.md`` (and ``.csv``):

- ``ms / rebalance``: wall time of the rule over the panel divided by the number of decisions;
- ``turnover``: traded notional / equity per rebalance in the backtest (drift trades included),
  after the book is first built;
- ``Sharpe (net)``: annualized Sharpe of the daily net returns, after the first decision;
- ``fallbacks``: rebalances where the solver failed and the fallback rule decided;
- ``inaccurate``: solves the solver called inaccurate whose weights were feasible (kept).

The score rule is long-only top quintile (``quantile`` with ``long_only = true``); equal weight
holds every name. Scores predict one day ahead and a book is held a month, so the score rules
keep only a day's worth of the edge each month: the table compares risk models and turnover
more than alpha capture.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.backtest import SquareRootImpact, backtest
from alphafactory.data import synthetic_market, to_wide
from alphafactory.portfolio import weights_from_scores

HERE = Path(__file__).resolve().parent
RULES: dict[str, dict] = {
    "equal_weight": {},
    "quantile": {"quantiles": 5, "long_only": True},
    "inverse_volatility": {"window": 60},
    "risk_parity": {"window": 252},
    "mean_variance": {"ic": 0.05, "risk_aversion": 1.0, "max_weight": 0.1},
    "min_variance": {"max_weight": 0.1},
    "min_cvar": {"max_weight": 0.1},
    "max_diversification": {"max_weight": 0.1},
    "hrp": {"max_weight": 0.1},
    "black_litterman": {"ic": 0.05, "max_weight": 0.1},
}


class _Count(logging.Handler):
    """Counts the optimizers' fallbacks and the solver warnings of solutions kept."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.failed = self.warned = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.failed += "solve failed" in message
        self.warned += "solver warning" in message


def run(symbols: int, years: int, ic: float, window: int, seed: int) -> pd.DataFrame:
    """Return one row per rule: ms per rebalance, turnover, net Sharpe, fallbacks."""
    market = synthetic_market(n_symbols=symbols, n_bars=252 * years, seed=seed, alpha_ic=ic)
    close = to_wide(market.bars, "close")
    scores = market.truth.unstack("symbol").reindex(index=close.index, columns=close.columns)
    scores.iloc[:window] = np.nan  # the first decision has a full trailing window behind it
    counter = _Count()
    logging.getLogger("alphafactory.portfolio").addHandler(counter)
    rows = []
    for rule, params in RULES.items():
        if "window" not in params and rule not in ("equal_weight", "quantile"):
            params = {**params, "window": window}
        counter.failed = counter.warned = 0
        start = time.perf_counter()
        weights = weights_from_scores(scores, rule, rebalance="M", prices=close, **params)
        elapsed = time.perf_counter() - start
        decided = weights.dropna(how="all")
        result = backtest(market.bars, weights, cost=SquareRootImpact(), execution="next_open")
        traded = result.turnover.to_numpy()
        traded = traded[np.flatnonzero(traded)[0] + 1 :]  # after the book is first built
        rows.append({
            "rule": rule,
            "ms / rebalance": 1e3 * elapsed / len(decided),
            "turnover": float(traded.sum() / (len(decided) - 1)),
            "Sharpe (net)": float(result.summary()["sharpe"]),
            "fallbacks": counter.failed,
            "inaccurate": counter.warned,
            "rebalances": len(decided),
        })
        print(f"{rule:>20}: {rows[-1]['ms / rebalance']:8.1f} ms/rebalance, "
              f"turnover {rows[-1]['turnover']:.3f}, Sharpe {rows[-1]['Sharpe (net)']:.2f}",
              flush=True)  # fmt: skip
    logging.getLogger("alphafactory.portfolio").removeHandler(counter)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A GitHub table of ``table``, floats with 3 decimals."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in table.itertuples(index=False)]  # fmt: skip
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--ic", type=float, default=0.05)
    parser.add_argument("--window", type=int, default=252, help="trailing bars per solve")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "portfolio_optimizers")
    args = parser.parse_args()
    table = run(args.symbols, args.years, args.ic, args.window, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    header = (f"{args.symbols} assets, {args.years} years of daily bars, monthly rebalance, "
              f"planted IC {args.ic}, trailing window {args.window}, seed {args.seed}")  # fmt: skip
    args.out.with_suffix(".md").write_text(f"{header}\n\n{markdown(table)}\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
