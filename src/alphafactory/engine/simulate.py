"""``simulate_csv``: the CSV simulator from Python (the same C++ code as ``alphafactory-sim``).

Both read the orders CSV (``ts,instrument,order_id,account,side,type,price,qty``) and write the
trades CSV (``ts,instrument,trade_id,price,qty,aggressor_side,maker_order_id,taker_order_id,
maker_account,taker_account``) and events CSV (``ts,instrument,order_id,event,reason,
remaining_qty``) byte for byte the same. Prices are parsed as exact decimals and printed from
integer ticks with the decimals the tick size implies; ``ts`` is an integer; qty integer lots.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np

from alphafactory import _engine
from alphafactory.engine._records import ORDER_DTYPE, OrderType, StpMode
from alphafactory.engine.convert import decimals_of

__all__ = ["SimulationSummary", "simulate_csv", "write_orders_csv"]

ORDERS_HEADER = "ts,instrument,order_id,account,side,type,price,qty"


@dataclass(frozen=True, kw_only=True, slots=True)
class SimulationSummary:
    """What a simulation did: rows read, rows processed, outputs written, bad rows skipped."""

    rows: int
    orders: int
    trades: int
    events: int
    bad_rows: tuple[str, ...]


def simulate_csv(
    orders: str | PathLike[str],
    trades: str | PathLike[str],
    events: str | PathLike[str],
    *,
    tick_size: float | str = "0.01",
    strict: bool = False,
    stp: str = "none",
    accepted_events: bool = True,
) -> SimulationSummary:
    """Run the matching engine over an orders CSV and write trades and events CSVs.

    Parameters
    ----------
    orders, trades, events : path
        Input orders CSV and output trades and events CSVs.
    tick_size : float or str
        Tick size of every instrument; a float is written with ``repr`` (0.01 -> "0.01").
    strict : bool
        Raise ValueError at the first bad row (nothing is written) instead of skipping it.
    stp : {"none", "cancel_taker", "cancel_maker", "cancel_both"}
        Self-trade prevention mode.
    accepted_events : bool
        Whether ACCEPTED events are written.

    Returns
    -------
    SimulationSummary
        ``bad_rows`` holds one ``path:line: message`` per skipped row.

    Raises
    ------
    ValueError
        A bad row under ``strict``, a bad header or tick size, an unknown ``stp``.
    OSError
        An unreadable or unwritable file.
    """
    names = {m.name.lower(): int(m) for m in StpMode}
    if stp not in names:
        raise ValueError(f"stp must be one of {sorted(names)}, got {stp!r}")
    tick = tick_size if isinstance(tick_size, str) else repr(float(tick_size))
    try:
        result = _engine.simulate_csv(str(orders), str(trades), str(events), tick, strict,
                                      names[stp], accepted_events)
    except RuntimeError as exc:
        message = str(exc)
        if message.startswith("cannot "):
            raise OSError(message) from None
        raise ValueError(message) from None
    if result["aborted"]:
        raise ValueError(f"bad row (strict mode, nothing written): {result['errors'][-1]}")
    return SimulationSummary(rows=result["rows"], orders=result["orders"],
                             trades=result["trades"], events=result["events"],
                             bad_rows=tuple(result["errors"]))


def write_orders_csv(orders: np.ndarray, path: str | PathLike[str], *, tick_size: float = 0.01
                     ) -> None:
    """Write ORDER_DTYPE records (ticks, lots) as an orders CSV for ``simulate_csv``.

    Prices are printed from ticks with the decimals of ``tick_size``; sides other than +1/-1
    print as ``X`` and unknown type codes as ``UNKNOWN`` (so the CSV keeps the bad rows).
    """
    if orders.dtype.names != ORDER_DTYPE.names:
        raise TypeError(f"orders must have ORDER_DTYPE, got {orders.dtype}")
    decimals = decimals_of(tick_size)
    scaled = orders["price"].astype(object) * round(tick_size * 10**decimals)
    sign = np.where(orders["price"] < 0, "-", "")
    mag = np.abs(scaled).astype(np.int64)
    if decimals:
        whole = (mag // 10**decimals).astype(str)
        frac = np.char.zfill((mag % 10**decimals).astype(str), decimals)
        price = np.char.add(np.char.add(np.char.add(sign, whole), "."), frac)
    else:
        price = np.char.add(sign, mag.astype(str))
    side = np.where(orders["side"] == 1, "B", np.where(orders["side"] == -1, "S", "X"))
    names = np.array(["UNKNOWN"] * 128, dtype=object)
    for t in OrderType:
        names[int(t)] = t.name
    type_names = names[np.clip(orders["type"].astype(np.int64), 0, 127)].astype(str)
    columns = [orders["ts"].astype(str), orders["instrument"].astype(str),
               orders["order_id"].astype(str), orders["account"].astype(str), side,
               type_names, price, orders["qty"].astype(str)]
    lines = columns[0]
    for col in columns[1:]:
        lines = np.char.add(np.char.add(lines, ","), col)
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        fh.write(ORDERS_HEADER + "\n")
        if len(lines):
            fh.write("\n".join(lines.tolist()) + "\n")
