"""``simulate_csv``: the CSV simulator from Python (the same C++ code as ``alphafactory-sim``).

Both read the orders CSV (``ts,instrument,order_id,account,side,type,price,qty``) and write the
trades CSV (``ts,instrument,trade_id,price,qty,aggressor_side,maker_order_id,taker_order_id,
maker_account,taker_account``) and events CSV (``ts,instrument,order_id,event,reason,
remaining_qty``) byte for byte the same. Prices are parsed as exact decimals and printed from
integer ticks with the decimals the tick size implies; ``ts`` is an integer; qty integer lots.

Bad input is one line: a missing, empty (0-byte) or directory orders file, a file without the
header, a bad tick size or ``stp``, or an unsafe output path (an output that is the orders file
or the other output, or that exists without ``overwrite``) raises an
:class:`~alphafactory.errors.AlphaFactoryError` before anything is written. A header-only orders
file is a valid empty run: header-only outputs. Outputs are written under temporary names and
renamed when the run succeeds, so an error never leaves a partial file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from pathlib import Path

import numpy as np

from alphafactory import _engine
from alphafactory.engine._records import ORDER_DTYPE, OrderType, StpMode
from alphafactory.engine.convert import decimals_of
from alphafactory.errors import ConfigError, DataError, SourceNotFoundError
from alphafactory.runs.output_paths import check_output_paths

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
    overwrite: bool = False,
) -> SimulationSummary:
    """Run the matching engine over an orders CSV and write trades and events CSVs.

    Parameters
    ----------
    orders, trades, events : path
        Input orders CSV and output trades and events CSVs (three different files).
    tick_size : float or str
        Tick size of every instrument: a positive decimal ("0.01"); a float is written exactly
        from its ``repr`` (1e-05 -> "0.00001").
    strict : bool
        Raise DataError at the first bad row (nothing is written) instead of skipping it.
    stp : {"none", "cancel_taker", "cancel_maker", "cancel_both"}
        Self-trade prevention mode.
    accepted_events : bool
        Whether ACCEPTED events are written.
    overwrite : bool
        Replace existing ``trades`` and ``events`` files (``--force`` in the CLI).

    Returns
    -------
    SimulationSummary
        ``bad_rows`` holds one ``path:line: message`` per skipped row.

    Raises
    ------
    ConfigError
        A bad tick size or ``stp``; an output that is a directory, the orders file or the other
        output; an existing output without ``overwrite``; an unwritable output.
    SourceNotFoundError
        The orders file does not exist.
    DataError
        The orders file is a directory, empty, unreadable or has no header; a bad row under
        ``strict``.
    """
    names = {m.name.lower(): int(m) for m in StpMode}
    if stp not in names:
        raise ConfigError(f"stp: must be one of {sorted(names)}, got {stp!r}")
    tick = _tick_text(tick_size)
    if not Path(orders).exists():
        raise SourceNotFoundError(f"orders {orders}: no such file")
    check_output_paths({"trades": trades, "events": events}, inputs={"orders": orders},
                       overwrite=overwrite)
    try:
        result = _engine.simulate_csv(str(orders), str(trades), str(events), tick, strict,
                                      names[stp], accepted_events, overwrite)
    except ValueError as exc:  # std::invalid_argument: a setting or an output path
        raise ConfigError(str(exc)) from None
    except RuntimeError as exc:  # std::runtime_error: the orders file itself
        raise DataError(str(exc)) from None
    if result["aborted"]:
        raise DataError(f"bad row (strict mode, nothing written): {result['errors'][-1]}")
    return SimulationSummary(rows=result["rows"], orders=result["orders"],
                             trades=result["trades"], events=result["events"],
                             bad_rows=tuple(result["errors"]))


def _tick_text(tick_size: float | str) -> str:
    """The tick size as the decimal text the C++ parser reads exactly."""
    if isinstance(tick_size, str):
        return tick_size  # checked by the C++ parser, which names the text it got
    if isinstance(tick_size, bool) or not isinstance(tick_size, (int, float, np.number)):
        raise ConfigError(f"tick_size: must be a positive decimal, got {tick_size!r}")
    value = float(tick_size)
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"tick_size: must be a finite number > 0, got {tick_size!r}")
    return format(Decimal(repr(value)), "f")


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
