"""Forward returns and direction labels, matched to how a decision at ``t`` is traded.

A label at bar ``t`` uses bars ``t+1 .. t+h`` only (and, for ``entry="close"``, the close of
``t``, which is known when the decision is taken). Horizons count rows of the wide panel (the
union of timestamps): a label whose entry or exit bar is missing is NaN, never filled.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from alphafactory.data.wide import Panel, load_panel
from alphafactory.features.rolling import rolling_std, shift

__all__ = ["direction", "entry_exit_prices", "forward_returns"]

Entry = Literal["close", "next_open"]
Kind = Literal["simple", "log"]


def _check(horizon: int, entry: str, kind: str | None = None) -> None:
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer number of bars, got {horizon!r}.")
    if entry not in ("close", "next_open"):
        raise ValueError(f"entry must be 'close' or 'next_open', got {entry!r}.")
    if kind is not None and kind not in ("simple", "log"):
        raise ValueError(f"kind must be 'simple' or 'log', got {kind!r}.")


def entry_exit_prices(panel: Panel, horizon: int, entry: Entry) -> tuple[np.ndarray, np.ndarray]:
    """Return wide ``[T, N]`` entry and exit prices of the label at each bar.

    Entry is the close of ``t`` (``entry="close"``) or the open of ``t+1`` (``"next_open"``);
    exit is the close of ``t+horizon``.
    """
    _check(horizon, entry)
    close = panel.fields["close"]
    entry_px = close if entry == "close" else shift(panel.fields["open"], -1)
    return entry_px, shift(close, -horizon)


def _attrs(series: pd.Series, horizon: int, entry: str, kind: str, uses: str) -> pd.Series:
    series.attrs.update(horizon=int(horizon), entry=entry, kind=kind, uses=uses)
    return series


def forward_returns(
    bars: pd.DataFrame,
    horizon: int = 1,
    *,
    kind: Kind = "simple",
    entry: Entry = "close",
    vol_scaled: bool = False,
    vol_window: int = 20,
    demean: bool = False,
) -> pd.Series:
    """Return from the entry price at ``t`` to the close of ``t + horizon``.

    Parameters
    ----------
    bars : DataFrame
        Bars, long ``(timestamp, symbol)`` or single-symbol indexed by ``timestamp``.
    horizon : int
        Holding period ``h`` in bars (>= 1).
    kind : {"simple", "log"}
        ``exit / entry - 1`` or ``log(exit / entry)``.
    entry : {"close", "next_open"}
        ``"close"``: enter at the close of ``t``; uses the closes of ``t`` and ``t+h``.
        ``"next_open"``: enter at the open of ``t+1`` (how a decision at ``t`` trades by default);
        uses the open of ``t+1`` and the close of ``t+h``.
    vol_scaled : bool
        Divide by ``sigma_t * sqrt(h)``, where ``sigma_t`` is the standard deviation of 1-bar
        log close returns over the ``vol_window`` bars ending at ``t`` (past data only).
    demean : bool
        Subtract the cross-sectional mean of the labels at each timestamp (needs >= 2 symbols).

    Returns
    -------
    Series
        Float64, indexed exactly like ``bars``, named ``fwd_ret_{h}``; NaN on the last bars
        without a full horizon and wherever the entry or exit bar is missing.
        ``.attrs`` holds ``horizon``, ``entry``, ``kind`` and ``uses`` (the future bars used),
        which the walk-forward purge reads.
    """
    _check(horizon, entry, kind)
    panel = load_panel(bars)
    if demean and panel.shape[1] < 2:
        raise ValueError("demean=True needs a cross-section of at least 2 symbols; got 1.")
    entry_px, exit_px = entry_exit_prices(panel, horizon, entry)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = exit_px / entry_px
        ratio = np.where((entry_px > 0) & (exit_px > 0), ratio, np.nan)
        out = np.log(ratio) if kind == "log" else ratio - 1.0
        if vol_scaled:
            logret = np.log(panel.fields["close"] / shift(panel.fields["close"], 1))
            sigma = rolling_std(logret, vol_window)
            out = np.where(sigma > 0, out / (sigma * np.sqrt(horizon)), np.nan)
    if demean:
        has = np.isfinite(out)
        count = has.sum(axis=1, keepdims=True)
        mean = np.where(has, out, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
        out = out - mean
    first = "t" if entry == "close" else "t+1"
    uses = f"{'close' if entry == 'close' else 'open'} of {first}, close of t+{horizon}"
    return _attrs(panel.to_series(out, f"fwd_ret_{horizon}"), horizon, entry, kind, uses)


def direction(
    bars: pd.DataFrame,
    horizon: int = 1,
    *,
    entry: Entry = "close",
    threshold: float = 0.0,
    vol_scaled: bool = False,
    vol_window: int = 20,
    kind: Kind = "simple",
    demean: bool = False,
) -> pd.Series:
    """Class of the forward return: 1 above ``threshold``, -1 below ``-threshold``, else 0.

    ``threshold`` is the dead zone: returns within ``[-threshold, threshold]`` are flat (0).
    It is in return units, or in units of ``sigma_t * sqrt(horizon)`` with ``vol_scaled``
    (``sigma_t`` the trailing ``vol_window``-bar volatility of one-bar log returns, past data
    only, as in :func:`forward_returns`). The return is :func:`forward_returns` with the same
    ``horizon``, ``entry``, ``kind`` and ``demean`` (a demeaned return gives the direction
    relative to the cross-section), so the label uses the same future bars; NaN where that
    return is NaN. ``.attrs["horizon"]`` holds the horizon.
    """
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}.")
    ret = forward_returns(bars, horizon, kind=kind, entry=entry, vol_scaled=vol_scaled,
                          vol_window=vol_window, demean=demean)  # fmt: skip
    values = ret.to_numpy()
    label = np.where(values > threshold, 1.0, np.where(values < -threshold, -1.0, 0.0))
    label = np.where(np.isfinite(values), label, np.nan)
    out = pd.Series(label, index=ret.index, name=f"direction_{horizon}")
    return _attrs(out, horizon, entry, "direction", ret.attrs["uses"])
