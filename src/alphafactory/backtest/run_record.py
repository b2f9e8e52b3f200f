"""Write a backtest's results into a run directory (the ``runs`` contract's tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from alphafactory.backtest.result import BacktestResult
    from alphafactory.runs import Run


def record_backtest(
    run: Run, result: BacktestResult, *, name: str = "strategy", extra: dict[str, Any] | None = None
) -> None:
    """Write ``equity``, ``trades``, ``metrics.json`` and the tearsheet of ``result`` into ``run``.

    Parameters
    ----------
    run : Run
        An open run directory.
    result : BacktestResult
        What :func:`alphafactory.backtest.backtest` returned.
    name : str
        The strategy's key in ``metrics.json["models"]`` and the ``model`` column of ``trades``.
    extra : dict, optional
        Further top-level entries of ``metrics.json``.
    """
    equity = (result.equity / result.initial_cash).to_frame(name=name)
    run.write_table("equity", equity)
    trades = result.trades
    run.write_table("trades", pd.DataFrame({
        "timestamp": trades["timestamp"], "symbol": trades["symbol"], "model": name,
        "qty": trades["shares"], "price": trades["price"], "notional": trades["notional"],
        "cost": trades["spread"] + trades["impact"] + trades["commission"],
    }))
    summary = result.summary()
    run.write_metrics({"models": {name: {k: float(v) for k, v in summary.items()}},
                       **(extra or {})})
    result.to_html(run.figures_dir / "tearsheet.html")
