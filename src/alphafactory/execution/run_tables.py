"""Book-execution results as the run-directory tables under ``execution/``.

See :mod:`alphafactory.runs` for the columns; the dashboard's Execution page reads them.
"""

from __future__ import annotations

import pandas as pd

from alphafactory.execution.book import NS, BookConfig
from alphafactory.execution.executor import ParentOrder, execute_parent
from alphafactory.execution.simulated_venue import SimulatedVenue

_COMPONENTS = ("gross_pnl", "spread", "impact", "opportunity", "fees", "net_pnl")


def shortfall_table(parents: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """``execution/shortfall`` rows from the ``parents`` table of a LOB backtest.

    Quantities are shares; the average price is the arrival price moved by the shortfall.
    """
    shares = parents["shares"].to_numpy()
    side = pd.Series(shares).gt(0).map({True: 1.0, False: -1.0}).to_numpy()
    arrival = parents["notional"].to_numpy() / abs(shares)
    table = pd.DataFrame({
        "parent_id": range(len(parents)), "timestamp": parents["timestamp"].to_numpy(),
        "symbol": parents["symbol"].to_numpy(), "side": ["B" if q > 0 else "S" for q in shares],
        "qty": abs(shares), "filled_qty": abs(shares) * parents["fill_ratio"].to_numpy(),
        "arrival_price": arrival,
        "avg_price": arrival * (1 + side * parents["shortfall_bps"].to_numpy() * 1e-4),
        "shortfall_bps": parents["shortfall_bps"].to_numpy(),
        "notional": parents["notional"].to_numpy(),
    })  # fmt: skip
    return table.assign(model=model) if model is not None else table


def cost_attribution_table(attribution: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """``execution/cost_attribution`` rows (book execution; costs negative) from a LOB backtest.

    ``gross_pnl`` is the book's gross (the bars' PnL less timing), so the rows add up to
    ``net_pnl``.
    """
    book = attribution["book"]
    values = [book["gross_pnl"], -book["spread_cost"], -book["impact_cost"],
              -book["opportunity_cost"], -book["fees"], book["net_pnl"]]  # fmt: skip
    table = pd.DataFrame({"component": list(_COMPONENTS), "value": values})
    return table.assign(model=model) if model is not None else table


def replay_parent(
    parents: pd.DataFrame, row: int, parent: ParentOrder, *, levels: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-run one parent of a LOB backtest exactly and return its fills and arrival book.

    Parameters
    ----------
    parents : DataFrame
        The ``parents`` table of :func:`alphafactory.execution.lob_backtest` (it records each
        parent's seed and simulated book).
    row : int
        Position of the parent in that table.
    parent : ParentOrder
        The parent as executed (its symbol, side and shares as in the table).

    Returns
    -------
    fills, book : DataFrame
        ``execution/fills`` (timestamp, symbol, parent_id, side, price, qty, mid) and
        ``execution/book`` (timestamp, symbol, side, level, price, qty) in shares and currency;
        timestamps are the bar's plus the simulated clock.
    """
    record = parents.iloc[row]
    book = BookConfig(
        initial_price=float(record["initial_price"]), tick_size=float(record["tick_size"]),
        shares_per_lot=float(record["shares_per_lot"]),
    )  # fmt: skip
    seed = int(record["seed"])
    stamp = pd.Timestamp(record["timestamp"])
    arrival = stamp + pd.Timedelta(int(book.warmup_seconds * NS), unit="ns")
    venue = SimulatedVenue({parent.symbol: book}, seed=seed, start=arrival)
    report = execute_parent(parent, venue)
    fills = pd.DataFrame({
        "timestamp": pd.DatetimeIndex(report.fills["ts"]),
        "symbol": record["symbol"], "parent_id": row, "side": "B" if parent.side > 0 else "S",
        "price": report.fills["price"].to_numpy(), "qty": report.fills["quantity"].to_numpy(),
        "mid": report.fills["mid_at_send"].to_numpy(),
    })  # fmt: skip
    engine, _ = book.open(seed)
    depth = engine.depth(levels=levels)
    depth = depth.assign(timestamp=arrival, symbol=record["symbol"],
                         qty=depth["qty"] * book.shares_per_lot)  # fmt: skip
    return fills, depth[["timestamp", "symbol", "side", "level", "price", "qty"]]
