"""The bars a trading bot keeps: the recent timestamps its next decisions read, numbered from
the first bar it was given.

At bar ``b`` a decision reads the scorer's warm-up tail of long bars, trailing closes (the
rule's prices, the risk manager's returns), each symbol's last known close (positions are
valued at it), the next open (replay sizing) and the cost parameters of the execution bar.
:class:`BarWindow` answers all of them from the timestamps it keeps; :meth:`BarWindow.trim`
drops older ones, so a bot fed bar after bar holds a bounded window instead of every bar it
ever saw. Bar numbers never change (a decision stores its number): the window knows its
``offset``, the number of its oldest kept timestamp. Each symbol's last close before the window
is carried, so the last known close is that of the whole history.

Cost parameters (``CostModel.parameters`` over a panel) may depend on the traded bars around a
bar (trailing volatility, ADV, a Corwin-Schultz spread):

* bars the bot was given when built (a replay): the parameters of the traded bars (from
  ``start``) computed once, the numbers the vectorized backtest uses, exactly;
* a bar appended later (a live feed), or every bar when the model cannot cost the bars given
  (one traded bar has no trailing ADV): computed when first needed over the ``cost_window``
  bars ending at it, history included. That is causal: a live bot cannot know later bars (the
  backtest back-fills a trailing estimate's warm-up from later bars, and starts its windows at
  the first traded bar), and past the first ``cost_window`` traded bars it is the backtest's
  number up to the rounding of rolling sums. Only the symbols a decision may trade are costed
  (cost models are per symbol); those without a positive volume in the window are costed 0
  (they have no price to trade at; an ADV estimate would refuse them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CompositeCost, CostModel, CostParameters
from alphafactory.backtest.market import market_from
from alphafactory.data.panel import OHLCV_COLUMNS
from alphafactory.data.wide import Panel
from alphafactory.live.sizing import RowCosts

__all__ = ["BarWindow", "cost_lookback"]

#: Appended pieces merged into one frame: a frame per bar would cost more than its bars.
_BLOCK = 64


def cost_lookback(model: CostModel) -> int:
    """Bars before a bar that ``model``'s parameters of that bar read (its longest
    ``*_window`` field plus the close before it; 0 for a model without windows)."""
    if isinstance(model, CompositeCost):
        return max((cost_lookback(m) for m in model.models), default=0)
    try:
        named = fields(model)  # type: ignore[arg-type]
    except TypeError:
        return 0
    windows = [getattr(model, f.name) for f in named if f.name.endswith("window")]
    windows = [w for w in windows if isinstance(w, int) and not isinstance(w, bool)]
    return max(windows) + 1 if windows else 0


class _Rows:
    """Rows appended at the end and dropped from the front, each amortized O(1); the buffer
    holds at most about twice the rows kept."""

    def __init__(self, values: np.ndarray) -> None:
        self._buf = np.array(values, copy=True)
        self._lo, self._hi = 0, len(values)

    def __len__(self) -> int:
        return self._hi - self._lo

    @property
    def values(self) -> np.ndarray:
        return self._buf[self._lo:self._hi]

    def append(self, rows: np.ndarray) -> None:
        n = len(rows)
        if self._hi + n > len(self._buf):
            kept = self.values
            grown = np.empty((max(2 * (len(kept) + n), 16), *self._buf.shape[1:]),
                             dtype=self._buf.dtype)
            grown[: len(kept)] = kept
            self._buf, self._lo, self._hi = grown, 0, len(kept)
        self._buf[self._hi:self._hi + n] = rows
        self._hi += n

    def drop(self, n: int) -> None:
        self._lo += n

    @property
    def nbytes(self) -> int:
        return int(self._buf.nbytes)


@dataclass(frozen=True, slots=True)
class _Segment:
    """Long bars of timestamps ``first..last`` (bar numbers) and their level-0 nanoseconds."""

    frame: pd.DataFrame
    level: np.ndarray
    first: int
    last: int


class BarWindow:
    """The kept bars of a bot (see the module).

    Parameters
    ----------
    bars : DataFrame
        ``(timestamp, symbol)`` OHLCV bars given at the start (history, and a replay's session).
    start : Timestamp
        The first traded bar.
    cost : CostModel
    cost_window : int
        Bars (the bar itself included) an appended bar's cost parameters are computed
        over.
    """

    def __init__(self, bars: pd.DataFrame, *, start: pd.Timestamp, cost: CostModel,
                 cost_window: int) -> None:
        bars = bars.sort_index()
        market = market_from(bars)
        self.symbols = [str(s) for s in market.symbols]
        self._columns = pd.Index(self.symbols, name="symbol")
        stamps = pd.DatetimeIndex(market.timestamps).as_unit("ns")
        self._tz = stamps.tz
        self._stamps = _Rows(stamps.asi8)
        self._fields = {f: _Rows(market.fields[f]) for f in OHLCV_COLUMNS}
        level = pd.DatetimeIndex(bars.index.get_level_values(0)).as_unit("ns").asi8
        self._segments = deque([_Segment(bars, level, 0, len(stamps) - 1)])
        self._loose = 0  # appended pieces not merged into a block yet
        self.offset = 0
        self._carried = np.full(len(self.symbols), np.nan)
        self._index: pd.DatetimeIndex | None = stamps
        self.first = int(stamps.searchsorted(pd.Timestamp(start)))
        self.cost, self.cost_window = cost, max(int(cost_window), 1)
        traded = bars.iloc[int(np.searchsorted(level, pd.Timestamp(start).as_unit("ns").value)):]
        self._table: tuple[CostParameters, np.ndarray] | None = None
        if len(traded):
            given = market_from(traded)
            try:
                self._table = (cost.parameters(given),
                               self._columns.isin(given.symbols.astype(str)))
            except ValueError:  # e.g. one traded bar has no trailing ADV: costed as appended
                self._table = None
        self._table_end = len(stamps)

    # ---- what is kept -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._stamps)

    @property
    def last(self) -> int:
        """The number of the newest timestamp."""
        return self.offset + len(self._stamps) - 1

    @property
    def timestamps(self) -> pd.DatetimeIndex:
        """The kept timestamps (bar ``offset`` first)."""
        if self._index is None:
            index = pd.DatetimeIndex(self._stamps.values.view("M8[ns]"))
            self._index = index if self._tz is None else index.tz_localize("UTC").tz_convert(
                self._tz)
        return self._index

    @property
    def bars(self) -> pd.DataFrame:
        """The long bars of every kept timestamp (a copy when they span several pieces)."""
        return self.frame(self.offset, self.last)

    @property
    def nbytes(self) -> int:
        """Bytes held for the kept bars: the wide buffers and the long frames' values and index
        codes (not the index levels, which a feed's pieces share with the feed's own frame)."""
        buffers = sum(b.nbytes for b in (self._stamps, *self._fields.values()))
        frames = sum(int(s.frame.memory_usage(index=False).sum()) + s.level.nbytes
                     + sum(c.nbytes for c in s.frame.index.codes) for s in self._segments)
        return buffers + frames

    def position(self, ts: pd.Timestamp) -> int | None:
        """The bar number of ``ts``, or None when it is not kept."""
        value = _ns(ts)
        stamps = self._stamps.values
        i = int(np.searchsorted(stamps, value))
        return self.offset + i if i < len(stamps) and stamps[i] == value else None

    def loc(self, ts: pd.Timestamp) -> int:
        """The bar number of ``ts``; KeyError when it is not kept."""
        b = self.position(ts)
        if b is None:
            raise KeyError(pd.Timestamp(ts))
        return b

    def stamp(self, b: int) -> pd.Timestamp:
        """The timestamp of bar ``b``."""
        return self.timestamps[self._at(b)]

    # ---- reads of one decision --------------------------------------------------------------
    def frame(self, lo: int, hi: int) -> pd.DataFrame:
        """The long bars of timestamps ``lo..hi`` (bar numbers, both included)."""
        stamps = self._stamps.values
        lo_ns, hi_ns = stamps[self._at(lo)], stamps[self._at(hi)]
        pieces = []
        for segment in reversed(self._segments):
            if segment.last < lo:
                break
            if segment.first > hi:
                continue
            a = int(np.searchsorted(segment.level, lo_ns))
            z = int(np.searchsorted(segment.level, hi_ns, side="right"))
            pieces.append(segment.frame.iloc[a:z])
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces[::-1])

    def closes(self, lo: int, hi: int) -> pd.DataFrame:
        """Wide closes of bars ``lo..hi``."""
        a, z = self._at(lo), self._at(hi) + 1
        return pd.DataFrame(self._fields["close"].values[a:z], index=self.timestamps[a:z],
                            columns=self.symbols)

    def returns(self, b: int, n: int) -> np.ndarray:
        """Close-to-close returns of the ``n`` bars ending at ``b`` (``[<= n, N]``; 0 at the
        first bar and where either close is missing)."""
        lo = max(0, b - n + 1)
        if n <= 0 or lo > b:
            return np.zeros((0, len(self.symbols)))
        close = self._fields["close"].values[self._at(max(lo - 1, 0)): self._at(b) + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = close[1:] / close[:-1] - 1.0
        if lo == 0:
            out = np.vstack([np.zeros((1, close.shape[1])), out])
        return np.where(np.isfinite(out), out, 0.0)

    def last_close(self, b: int) -> np.ndarray:
        """Each symbol's last known close at bar ``b`` (NaN: never priced)."""
        close = self._fields["close"].values[: self._at(b) + 1]
        out = close[-1].copy()
        missing = np.flatnonzero(np.isnan(out))
        if missing.size:
            out[missing] = _last_finite(close[:, missing], self._carried[missing])
        return out

    def field(self, name: str, b: int) -> np.ndarray | None:
        """Row ``b`` of an OHLCV field (None when bar ``b`` is not known yet)."""
        if b > self.last:
            return None
        return self._fields[name].values[self._at(b)]

    def costs(self, row: int, symbols: np.ndarray | None = None) -> RowCosts:
        """The cost parameters of bar ``row`` (see the module); an appended bar's only for the
        ``symbols`` (a mask) that may trade, 0 for the others: cost models are per symbol, and
        their rolling estimates cost time in proportion to the symbols."""
        if self._table is not None and row < self._table_end:
            params, present = self._table
            return _widened(RowCosts.of(params, max(row - self.first, 0)), present)
        lo = max(row - self.cost_window + 1, self.offset)
        a, z = self._at(lo), self._at(row) + 1
        priced = (self._fields["volume"].values[a:z] > 0).any(axis=0)
        present = priced if symbols is None else priced & symbols
        if not present.any():  # nothing to cost: every symbol, for the model to judge
            present = priced if priced.any() else np.ones(len(self.symbols), dtype=bool)
        arrays = {f: v.values[a:z][:, present] for f, v in self._fields.items()}
        panel = Panel.from_arrays(self.timestamps[a:z], self._columns[present], **arrays)
        return _widened(RowCosts.of(self.cost.parameters(panel), z - a - 1), present)

    # ---- growing and trimming ---------------------------------------------------------------
    def extend(self, bars: pd.DataFrame) -> int:
        """Append the rows of ``bars`` after the newest timestamp, of the kept symbols; the
        number of new timestamps."""
        level = pd.DatetimeIndex(bars.index.get_level_values(0)).as_unit("ns")
        symbols = bars.index.get_level_values(1).astype(str)
        keep = (level.asi8 > self._stamps.values[-1]) & symbols.isin(self.symbols)
        if not keep.any():
            return 0
        new = bars[keep].sort_index()
        ns = pd.DatetimeIndex(new.index.get_level_values(0)).as_unit("ns").asi8
        stamps = np.unique(ns)
        rows = np.searchsorted(stamps, ns)
        cols = self._columns.get_indexer(new.index.get_level_values(1).astype(str))
        for name, buffer in self._fields.items():
            block = np.full((len(stamps), len(self.symbols)), np.nan)
            block[rows, cols] = new[name].to_numpy(dtype=np.float64)
            buffer.append(block)
        first = self.last + 1
        self._stamps.append(stamps)
        self._segments.append(_Segment(new, ns, first, first + len(stamps) - 1))
        self._loose += 1
        if self._loose == _BLOCK:  # one frame per block of bars, not one per bar
            merged = [self._segments.pop() for _ in range(_BLOCK)][::-1]
            frame = pd.concat([s.frame for s in merged])
            self._segments.append(_Segment(frame, np.concatenate([s.level for s in merged]),
                                           merged[0].first, merged[-1].last))
            self._loose = 0
        self._index = None
        return len(stamps)

    def trim(self, before: int) -> int:
        """Drop the timestamps numbered below ``before`` (the newest one is always kept); the
        number dropped."""
        cut = min(before, self.last) - self.offset
        if cut <= 0:
            return 0
        close = self._fields["close"].values[:cut]
        self._carried = _last_finite(close, self._carried)
        for buffer in (self._stamps, *self._fields.values()):
            buffer.drop(cut)
        self.offset += cut
        while self._segments[0].last < self.offset:
            self._segments.popleft()
        self._loose = min(self._loose, len(self._segments))
        if self._table is not None and self._table_end <= self.offset:
            self._table = None  # every bar it costs is gone
        self._index = None
        return cut

    def renumber(self, first: int) -> None:
        """Number the kept bars from ``first`` (a restarted bot continues its stored numbers)."""
        shift = first - self.offset
        self.offset, self.first, self._table_end = first, self.first + shift, \
            self._table_end + shift
        self._segments = deque(_Segment(s.frame, s.level, s.first + shift, s.last + shift)
                               for s in self._segments)

    def _at(self, b: int) -> int:
        """Row of bar ``b`` in the kept arrays."""
        i = b - self.offset
        if not 0 <= i < len(self._stamps):
            raise KeyError(f"bar {b} is not kept (bars {self.offset}..{self.last}).")
        return i


def _ns(ts: Any) -> int:
    return int(pd.Timestamp(ts).as_unit("ns").value)


def _last_finite(rows: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Per column the last non-NaN value of ``rows`` (``[T, n]``), else ``before``."""
    seen = ~np.isnan(rows)
    last = len(rows) - 1 - np.argmax(seen[::-1], axis=0)
    found = rows[last, np.arange(rows.shape[1])]
    return np.where(seen.any(axis=0), found, before)


def _widened(costs: RowCosts, present: np.ndarray) -> RowCosts:
    """Per-symbol parameters of the ``present`` symbols spread over every symbol (0 elsewhere)."""
    if present.all():
        return costs

    def wide(value: np.ndarray | float) -> np.ndarray | float:
        if np.ndim(value) == 0:
            return value
        out = np.zeros(len(present))
        out[present] = value
        return out

    return RowCosts(half_spread=wide(costs.half_spread), impact_coef=wide(costs.impact_coef),
                    impact_exponent=costs.impact_exponent,
                    commission_per_share=costs.commission_per_share,
                    commission_bps=costs.commission_bps, commission_min=costs.commission_min)
