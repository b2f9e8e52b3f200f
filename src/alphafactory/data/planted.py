"""The alpha that ``synthetic_market`` plants: a documented function of past bars.

For symbol ``i`` at bar ``t`` (closes ``C``, volumes ``V``; logs are natural)::

    reversal_t = -(log C_t - log C_{t-5})
    momentum_t = (log C_t - log C_{t-20}) * V_t / mean(V_{t-19}, ..., V_t)
    raw_t      = z(reversal_t)                                   if momentum_weight == 0
               = (1 - w) * z(reversal_t) + w * z(momentum_t)     otherwise
    truth_t    = z(raw_t)

where ``z`` is the cross-sectional z-score at bar ``t`` (mean 0, population std 1 over the
symbols). ``truth_t`` uses bars ``<= t`` only and is NaN where a window is incomplete (the first
``reversal_window`` bars, or ``momentum_window`` bars when the momentum term is on). Windows count
bars, not calendar days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.panel import to_wide

REVERSAL_WINDOW = 5
MOMENTUM_WINDOW = 20


def planted_alpha(
    bars: pd.DataFrame,
    *,
    momentum_weight: float = 0.0,
    reversal_window: int = REVERSAL_WINDOW,
    momentum_window: int = MOMENTUM_WINDOW,
) -> pd.Series:
    """Compute the planted-alpha score from bars (the formula in the module docstring).

    Parameters
    ----------
    bars : DataFrame
        Long Bars frame indexed by ``(timestamp, symbol)`` with ``close`` and ``volume``.
    momentum_weight : float
        Weight ``w`` in ``[0, 1]`` of the volume-scaled momentum term.
    reversal_window, momentum_window : int
        Look-backs in bars.

    Returns
    -------
    Series
        Named ``"truth"``, indexed like ``bars``; cross-sectionally standardized per timestamp.
    """
    _check_weight(momentum_weight)
    close = to_wide(bars, "close")
    volume = to_wide(bars, "volume").reindex(columns=close.columns)
    log_close = np.log(close.to_numpy(dtype=np.float64))
    rel_volume = relative_volume(volume.to_numpy(dtype=np.float64), momentum_window)
    scores = signal_rows(
        log_close,
        rel_volume,
        momentum_weight=momentum_weight,
        reversal_window=reversal_window,
        momentum_window=momentum_window,
    )
    wide = pd.DataFrame(scores, index=close.index, columns=close.columns)
    stacked = wide.stack(future_stack=True)
    stacked.index = stacked.index.set_names(["timestamp", "symbol"])
    return stacked.reindex(bars.index).rename("truth")


def signal_rows(
    log_close: np.ndarray,
    rel_volume: np.ndarray,
    *,
    momentum_weight: float,
    reversal_window: int = REVERSAL_WINDOW,
    momentum_window: int = MOMENTUM_WINDOW,
) -> np.ndarray:
    """Vectorized planted alpha over a ``[T, N]`` array of log closes; NaN during warm-up."""
    n_bars = log_close.shape[0]
    out = np.full(log_close.shape, np.nan)
    if n_bars <= reversal_window:
        return out
    reversal = np.full(log_close.shape, np.nan)
    reversal[reversal_window:] = -(log_close[reversal_window:] - log_close[:-reversal_window])
    momentum = None
    if momentum_weight > 0.0:
        momentum = np.full(log_close.shape, np.nan)
        if n_bars > momentum_window:
            momentum[momentum_window:] = (
                log_close[momentum_window:] - log_close[:-momentum_window]
            ) * rel_volume[momentum_window:]
    return combine(reversal, momentum, momentum_weight)


def signal_at(
    log_close: np.ndarray,
    rel_volume: np.ndarray,
    t: int,
    *,
    momentum_weight: float,
    reversal_window: int = REVERSAL_WINDOW,
    momentum_window: int = MOMENTUM_WINDOW,
) -> np.ndarray | None:
    """The planted alpha at bar ``t`` only (shape ``[N]``), or None during warm-up."""
    warm_up = momentum_window if momentum_weight > 0.0 else reversal_window
    if t < warm_up:
        return None
    reversal = -(log_close[t] - log_close[t - reversal_window])
    momentum = None
    if momentum_weight > 0.0:
        momentum = (log_close[t] - log_close[t - momentum_window]) * rel_volume[t]
    return combine(reversal, momentum, momentum_weight)


def combine(
    reversal: np.ndarray, momentum: np.ndarray | None, momentum_weight: float
) -> np.ndarray:
    """``z((1 - w) z(reversal) + w z(momentum))`` along the last axis (the symbols)."""
    raw = zscore(reversal)
    if momentum is not None:
        raw = (1.0 - momentum_weight) * raw + momentum_weight * zscore(momentum)
    return zscore(raw)


def zscore(x: np.ndarray) -> np.ndarray:
    """Cross-sectional z-score along the last axis (population std); NaN where std is 0."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    std = np.sqrt((centred * centred).mean(axis=-1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0.0, centred / np.where(std > 0.0, std, 1.0), np.nan)


def relative_volume(volume: np.ndarray, window: int) -> np.ndarray:
    """``V_t / mean(V_{t-window+1..t})`` for a ``[T, N]`` array; NaN for the first bars."""
    out = np.full(volume.shape, np.nan)
    if volume.shape[0] < window:
        return out
    csum = np.cumsum(np.vstack([np.zeros((1, volume.shape[1])), volume]), axis=0)
    mean = (csum[window:] - csum[:-window]) / window
    with np.errstate(invalid="ignore", divide="ignore"):
        out[window - 1 :] = volume[window - 1 :] / mean
    return out


def _check_weight(weight: float) -> None:
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"momentum_weight must lie in [0, 1]; got {weight!r}.")
