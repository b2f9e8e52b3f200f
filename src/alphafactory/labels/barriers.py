"""Triple-barrier labels and meta-labels (Lopez de Prado, *Advances in Financial ML*, ch. 3).

For the decision at ``t`` with entry price ``P0`` (close of ``t``, or open of ``t+1``) and
volatility ``sigma_t`` (std of one-bar log close returns over the ``vol_window`` bars ending at
``t``, past data only), the upper barrier is ``P0 exp(u sigma_t)`` and the lower
``P0 exp(-d sigma_t)``; for a long (or no) side ``u = pt, d = sl``, for a short side
``u = sl, d = pt``. Bars ``t+1 .. t+horizon`` are scanned with their high and low:

* a bar whose open is already beyond a barrier exits there at the open (a gap);
* a bar that touches both barriers is resolved against the position (stop first): the lower
  barrier for a long or no side, the upper for a short side;
* otherwise the first barrier touched exits at the barrier price; if none is touched the
  vertical barrier exits at the close of ``t+horizon`` (label 0).

The label uses bars ``t+1 .. t+horizon`` only. Where a bar needed before a touch is missing (the
end of the data, a delisted symbol) or ``sigma_t`` is undefined, the label is NaN. The loop runs
over the ``horizon`` offsets, each step vectorized over the whole ``T x N`` panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.wide import Panel, load_panel
from alphafactory.features.rolling import rolling_std, shift
from alphafactory.labels.forward import Entry, entry_exit_prices

__all__ = ["meta_labels", "triple_barrier"]


def _side_wide(side: pd.Series | None, panel: Panel) -> np.ndarray:
    shape = panel.shape
    if side is None:
        return np.ones(shape)
    wide = np.full(shape, np.nan)
    if isinstance(side.index, pd.MultiIndex):
        rows = panel.timestamps.get_indexer(side.index.get_level_values(0))
        cols = panel.symbols.get_indexer(side.index.get_level_values(1))
    else:
        rows = panel.timestamps.get_indexer(side.index)
        cols = np.zeros(len(rows), dtype=np.intp)
    ok = (rows >= 0) & (cols >= 0)
    wide[rows[ok], cols[ok]] = np.sign(side.to_numpy(dtype=np.float64, na_value=np.nan)[ok])
    return wide


def _scan(
    panel: Panel, *, pt: float, sl: float, horizon: int, vol_window: int, entry: Entry,
    side: np.ndarray,
) -> dict[str, np.ndarray]:
    f = panel.fields
    n_time, n_sym = panel.shape
    entry_px, _ = entry_exit_prices(panel, horizon, entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = rolling_std(np.log(f["close"] / shift(f["close"], 1)), vol_window)
    short = side < 0
    up_mult = np.where(short, sl, pt)
    dn_mult = np.where(short, pt, sl)
    upper = entry_px * np.exp(up_mult * sigma)
    lower = entry_px * np.exp(-dn_mult * sigma)
    label = np.full((n_time, n_sym), np.nan)
    exit_px = np.full((n_time, n_sym), np.nan)
    touch = np.full((n_time, n_sym), -1, dtype=np.int64)
    live = np.isfinite(upper) & np.isfinite(lower) & (side != 0) & np.isfinite(side)
    rows = np.arange(n_time)[:, None]
    for k in range(1, horizon + 1):
        o, h, lo = (shift(f[name], -k) for name in ("open", "high", "low"))
        missing = live & ~(np.isfinite(o) & np.isfinite(h) & np.isfinite(lo))
        live &= ~missing  # a hole before any touch: the label is unknown (stays NaN)
        gap_up = live & (o >= upper)
        gap_dn = live & (o <= lower)
        hit_up = live & ~gap_up & ~gap_dn & (h >= upper)
        hit_dn = live & ~gap_up & ~gap_dn & (lo <= lower)
        both = hit_up & hit_dn
        up = gap_up | (hit_up & ~(both & ~short))
        dn = gap_dn | (hit_dn & ~(both & short))
        label[up], label[dn] = 1.0, -1.0
        exit_px[gap_up | gap_dn] = o[gap_up | gap_dn]
        exit_px[up & ~gap_up] = upper[up & ~gap_up]
        exit_px[dn & ~gap_dn] = lower[dn & ~gap_dn]
        done = up | dn
        touch[done] = np.broadcast_to(rows + k, done.shape)[done]
        live &= ~done
    close_h = shift(f["close"], -horizon)
    vertical = live & np.isfinite(close_h)
    label[vertical] = 0.0
    exit_px[vertical] = close_h[vertical]
    touch[vertical] = np.broadcast_to(rows + horizon, vertical.shape)[vertical]
    with np.errstate(divide="ignore", invalid="ignore"):
        ret = exit_px / entry_px - 1.0
    return {"label": label, "ret": ret, "touch": touch, "upper": upper, "lower": lower}


def _check(pt: float, sl: float, horizon: int, vol_window: int) -> None:
    if not (pt > 0 and sl > 0):
        raise ValueError(f"pt and sl must be positive multiples of volatility; got {pt}, {sl}.")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of bars, got {horizon!r}.")
    if int(vol_window) != vol_window or vol_window < 2:
        raise ValueError(f"vol_window must be an integer >= 2, got {vol_window!r}.")


def triple_barrier(
    bars: pd.DataFrame,
    *,
    pt: float = 2.0,
    sl: float = 2.0,
    horizon: int = 10,
    vol_window: int = 20,
    entry: Entry = "close",
    side: pd.Series | None = None,
) -> pd.DataFrame:
    """Label each bar by which of three barriers its position meets first.

    Parameters
    ----------
    bars : DataFrame
        Bars, long ``(timestamp, symbol)`` or single-symbol.
    pt, sl : float
        Profit-taking and stop-loss widths in multiples of ``sigma_t``.
    horizon : int
        Vertical barrier, in bars after ``t``.
    vol_window : int
        Bars in the trailing volatility estimate.
    entry : {"close", "next_open"}
        Entry price: close of ``t`` or open of ``t+1``.
    side : Series, optional
        Position side per ``(timestamp, symbol)`` (sign used); NaN or 0 gives no label.

    Returns
    -------
    DataFrame
        Indexed like ``bars``: ``label`` (+1 upper barrier, -1 lower, 0 vertical, NaN unknown),
        ``touch_time`` (timestamp of the exit bar, NaT if unknown), ``ret`` (simple return from
        entry to exit price), ``upper`` and ``lower`` (barrier prices). ``.attrs`` holds
        ``horizon``, ``entry``, ``kind`` and ``uses`` (the future bars used), which the
        walk-forward's purge and label-timing check read (so do its columns, e.g. ``label``).
    """
    _check(pt, sl, horizon, vol_window)
    panel = load_panel(bars)
    res = _scan(panel, pt=pt, sl=sl, horizon=horizon, vol_window=vol_window, entry=entry,
                side=_side_wide(side, panel))
    touch = res.pop("touch")[panel.rows, panel.cols]
    out = panel.to_frame(res)
    stamps = panel.timestamps[np.clip(touch, 0, len(panel.timestamps) - 1)]
    out.insert(1, "touch_time", pd.Series(stamps, index=out.index).where(touch >= 0))
    out.attrs.update(horizon=int(horizon), entry=entry, kind="triple_barrier",
                     uses=f"open, high, low, close of t+1 .. t+{horizon}")
    return out


def meta_labels(
    primary_signal: pd.Series,
    bars: pd.DataFrame,
    *,
    pt: float = 2.0,
    sl: float = 2.0,
    horizon: int = 10,
    vol_window: int = 20,
    entry: Entry = "next_open",
) -> pd.Series:
    """Meta-label a primary model: 1 where trading its side would have made money, else 0.

    The side is ``sign(primary_signal)`` at each ``(timestamp, symbol)``; the trade is run
    through :func:`triple_barrier` with that side, and the meta-label is 1 when
    ``side * ret > 0``. NaN where the side is 0/NaN or the barrier outcome is unknown.
    Same future bars and ``.attrs["horizon"]`` as :func:`triple_barrier`.
    """
    tb = triple_barrier(bars, pt=pt, sl=sl, horizon=horizon, vol_window=vol_window, entry=entry,
                        side=primary_signal)
    side = np.sign(primary_signal.reindex(tb.index).to_numpy(dtype=np.float64, na_value=np.nan))
    pnl = side * tb["ret"].to_numpy()
    meta = np.where(np.isfinite(pnl) & tb["label"].notna().to_numpy(),
                    (pnl > 0).astype(np.float64), np.nan)
    out = pd.Series(meta, index=tb.index, name="meta_label")
    out.attrs.update(tb.attrs, kind="meta_label")
    return out
