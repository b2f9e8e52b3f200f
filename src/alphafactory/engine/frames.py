"""DataFrame <-> record array conversion for the engine (units <-> ticks and lots)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from alphafactory.engine._records import ORDER_DTYPE, EventType, OrderType, Reason
from alphafactory.engine.arguments import shown
from alphafactory.engine.convert import from_steps, to_steps
from alphafactory.errors import ExecutionError

__all__ = ["orders_from_frame", "trades_events_frames"]

_REQUIRED = ("ts", "order_id", "side", "type", "price", "qty")


def _codes(values: pd.Series, names: dict[str, int], what: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values):
        return _integers(values, what, np.int8).astype(np.int64)
    text = values.astype(str).str.upper().to_numpy()
    out = np.empty(len(text), dtype=np.int64)
    for i, name in enumerate(pd.unique(text)):
        if name not in names:
            row = int(np.flatnonzero(text == name)[0])
            raise ExecutionError(f"row {row}: unknown {what} {name!r}; expected one of "
                                 f"{list(names)}")
        out[text == name] = names[name]
        del i
    return out


def _integers(values: pd.Series, what: str, dtype: type) -> np.ndarray:
    """A column as integers, or an ExecutionError naming the column and its first bad row (a
    NaN, a fraction, text or a value beyond ``dtype``; numpy would truncate or wrap them)."""
    info = np.iinfo(dtype)
    numbers = pd.to_numeric(values, errors="coerce")
    as_float = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(as_float) | (as_float != np.round(as_float))
    if pd.api.types.is_integer_dtype(numbers):
        ints = numbers.to_numpy()
        bad = (ints < info.min) | (ints > info.max)
    else:
        bad |= (as_float < info.min) | (as_float > info.max)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ExecutionError(f"row {row}: {what} must be an integer ({np.dtype(dtype).name}), "
                             f"got {shown(values.iloc[row])}")
    return numbers.to_numpy().astype(dtype)


def orders_from_frame(
    frame: pd.DataFrame,
    tick_size: Callable[[int], float],
    lot_size: Callable[[int], float],
) -> np.ndarray:
    """Convert an orders DataFrame (units) to an ORDER_DTYPE array (ticks, lots).

    Raises ExecutionError for a missing column, a non-integer id, ts, account or instrument, an
    unknown side or type name, or a NaN, off-tick or out-of-range price or quantity, naming the
    row (its position in ``frame``).
    """
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ExecutionError(f"orders frame lacks columns {missing}; has {list(frame.columns)}")
    n = len(frame)
    out = np.zeros(n, dtype=ORDER_DTYPE)
    out["ts"] = _integers(frame["ts"], "ts", np.int64)
    out["order_id"] = _integers(frame["order_id"], "order_id", np.int64)
    out["account"] = _integers(frame["account"], "account", np.int32) if "account" in frame else 0
    instr = (_integers(frame["instrument"], "instrument", np.int32) if "instrument" in frame
             else np.zeros(n, dtype=np.int32))
    out["instrument"] = instr
    out["side"] = _codes(frame["side"], {"B": 1, "BUY": 1, "S": -1, "SELL": -1}, "side")
    out["type"] = _codes(frame["type"], {t.name: int(t) for t in OrderType}, "type")
    price = _floats(frame["price"], "price")
    qty = _floats(frame["qty"], "qty")
    priced = ~np.isin(out["type"], [OrderType.MARKET, OrderType.CANCEL])
    sized = out["type"] != OrderType.CANCEL
    for inst in np.unique(instr):
        rows = instr == inst
        try:
            tick, lot = tick_size(int(inst)), lot_size(int(inst))
        except ValueError:
            continue  # unknown instrument: the engine rejects these rows
        idx = np.flatnonzero(rows)
        for field, values, step, mask, what in (
            ("price", price, tick, priced, "price"),
            ("qty", qty, lot, sized, "qty"),
        ):
            try:
                out[field][idx] = to_steps(values[idx], step, what=what, mask=mask[idx])
            except ValueError as exc:
                local, _, rest = str(exc).partition(":")
                row = idx[int(local.split()[1])]
                raise ExecutionError(f"row {row}:{rest}") from None
    return out


def _floats(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.notna().to_numpy() & np.isnan(numbers)
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise ExecutionError(f"row {row}: {what} must be a number, got {shown(values.iloc[row])}")
    return numbers


def trades_events_frames(
    trades: np.ndarray,
    events: np.ndarray,
    tick_size: Callable[[int], float],
    lot_size: Callable[[int], float],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trades and events as DataFrames with prices and quantities in units, enums by name."""
    tr = pd.DataFrame({name: trades[name] for name in trades.dtype.names})
    ev = pd.DataFrame({name: events[name] for name in events.dtype.names})
    tr["price"] = tr["price"].astype(np.float64)
    tr["qty"] = tr["qty"].astype(np.float64)
    ev["remaining_qty"] = ev["remaining_qty"].astype(np.float64)
    for inst in np.unique(tr["instrument"]):
        rows = (tr["instrument"] == inst).to_numpy()
        tr.loc[rows, "price"] = from_steps(trades["price"][rows], tick_size(int(inst)))
        tr.loc[rows, "qty"] = from_steps(trades["qty"][rows], lot_size(int(inst)))
    for inst in np.unique(ev["instrument"]):
        rows = (ev["instrument"] == inst).to_numpy()
        try:
            lot = lot_size(int(inst))
        except ValueError:
            continue
        ev.loc[rows, "remaining_qty"] = from_steps(events["remaining_qty"][rows], lot)
    ev["event"] = [EventType(v).name for v in events["event"]]
    ev["reason"] = [Reason(v).name for v in events["reason"]]
    tr["aggressor_side"] = np.where(trades["aggressor_side"] > 0, "B", "S")
    return tr, ev
