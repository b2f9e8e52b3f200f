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

Other kinds (:class:`alphafactory.data.alpha_spec.AlphaSpec`) are built from these z-scored
components at bar ``t`` (``r`` one-bar log returns, ``RV_t = V_t / mean(V_{t-19..t})``)::

    reversal   = -(log C_t - log C_{t-5})
    momentum   = log C_{t-20} - log C_{t-60}
    volume     = log RV_t
    volatility = std(r_{t-19}, ..., r_t)
    distance   = log C_t - mean(log C_{t-19}, ..., log C_t)

    mix         truth_t = z(sum_k w_k z(component_k))
    interaction truth_t = z(z(reversal) * g),  g = 1 where the condition (volume or volatility)
                          is above its cross-sectional median, else ``elsewhere``
    decay       s_t = a s_{t-1} + (1 - a) sum_k w_k z(component_k),  a = 2^(-1/half_life),
                truth_t = z(s_t)  (s starts at the first complete bar)

They are NaN for the first 60 bars (interaction: 20). :class:`AlphaStepper` computes them bar by
bar (the decay kind carries its EWMA state), vectorized over symbols.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from alphafactory.data.alpha_spec import MIX_COMPONENTS, AlphaSpec
from alphafactory.data.panel import to_wide

REVERSAL_WINDOW = 5
MOMENTUM_WINDOW = 20
MIX_WINDOW = 20  # volume, volatility and moving-average windows of the other kinds
MIX_MOMENTUM = (20, 60)  # the mix's momentum: from bar t-60 to bar t-20


def planted_alpha(
    bars: pd.DataFrame,
    *,
    alpha: AlphaSpec | None = None,
    momentum_weight: float = 0.0,
    reversal_window: int = REVERSAL_WINDOW,
    momentum_window: int = MOMENTUM_WINDOW,
) -> pd.Series:
    """Compute the planted-alpha score from bars (the formula in the module docstring).

    Parameters
    ----------
    bars : DataFrame
        Long Bars frame indexed by ``(timestamp, symbol)`` with ``close`` and ``volume``.
    alpha : AlphaSpec, optional
        The planted signal (``SyntheticMarket.alpha``: mix and decay need their ``weights``,
        see :meth:`AlphaSpec.resolve`); None is the reversal with ``momentum_weight``.
    momentum_weight : float
        Weight ``w`` in ``[0, 1]`` of the volume-scaled momentum term (without ``alpha``).
    reversal_window, momentum_window : int
        Look-backs in bars.

    Returns
    -------
    Series
        Named ``"truth"``, indexed like ``bars``; cross-sectionally standardized per timestamp.
    """
    _check_weight(momentum_weight)
    if alpha is not None and alpha.kind == "reversal":
        if momentum_weight != 0.0:
            raise ValueError("planted_alpha: give momentum_weight in alpha, not both.")
        momentum_weight, alpha = alpha.momentum_weight, None
    close = to_wide(bars, "close")
    volume = to_wide(bars, "volume").reindex(columns=close.columns)
    log_close = np.log(close.to_numpy(dtype=np.float64))
    if alpha is None:
        rel_volume = relative_volume(volume.to_numpy(dtype=np.float64), momentum_window)
        scores = signal_rows(
            log_close,
            rel_volume,
            momentum_weight=momentum_weight,
            reversal_window=reversal_window,
            momentum_window=momentum_window,
        )
    else:
        scores = AlphaStepper(alpha, volume.to_numpy(dtype=np.float64)).run(log_close)
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


def plant(
    x: np.ndarray,
    gap: np.ndarray,
    log_p0: np.ndarray,
    signal_at: Callable[[np.ndarray, int], np.ndarray | None],
    rho: float | np.ndarray,
    *,
    exact: bool,
    sign: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each next bar's cross-section towards the signal; return log open and log close.

    ``signal_at(log_close, t)`` is the z-scored signal of bar ``t`` (None in the warm-up), called
    for every bar in order when anything is planted; ``rho`` is one IC or one per signal bar;
    ``sign`` (+1/-1 per signal bar) negates the signal.
    """
    step = gap[:, None] + x
    step[0] = x[0]
    rhos = np.broadcast_to(np.asarray(rho, dtype=np.float64), (x.shape[0],))
    if not rhos.any():
        log_close = log_p0 + np.cumsum(step, axis=0)
        return log_close - x, log_close
    x = x.copy()
    log_close = np.empty_like(x)
    log_close[0] = log_p0 + x[0]
    for t in range(x.shape[0] - 1):
        signal = signal_at(log_close, t)
        nxt = x[t + 1]
        if signal is not None and np.all(np.isfinite(signal)):
            if sign is not None and sign[t] < 0.0:
                signal = -signal
            rho = rhos[t]
            keep = np.sqrt(1.0 - rho * rho)
            mean = nxt.mean()
            dev = nxt - mean
            sd = np.sqrt((dev * dev).mean())
            if exact:
                dev = dev - (dev @ signal / signal.size) * signal
            dev_sd = np.sqrt((dev * dev).mean())
            if sd > 0.0 and dev_sd > 0.0:
                nxt = mean + sd * (rho * signal + keep * dev / dev_sd)
                x[t + 1] = nxt
        log_close[t + 1] = log_close[t] + gap[t + 1] + nxt
    signal_at(log_close, x.shape[0] - 1)  # the last bar's signal plants nothing
    return log_close - x, log_close


class AlphaStepper:
    """The mix, interaction and decay kinds bar by bar, vectorized over the symbols.

    Call :meth:`at` for ``t = 0, 1, 2, ...`` in order (the decay kind carries state), with the
    log closes filled up to ``t``; ``truth`` collects every score returned.

    Parameters
    ----------
    alpha : AlphaSpec
        A kind other than ``"reversal"``; mix and decay need ``weights`` (resolved).
    volume : ndarray
        ``[T, N]`` volumes (exogenous: known for every bar up front; row ``t`` is used at ``t``).
    """

    def __init__(self, alpha: AlphaSpec, volume: np.ndarray) -> None:
        if alpha.kind == "reversal":
            raise ValueError("AlphaStepper: the reversal kind has signal_at / signal_rows.")
        if alpha.kind in ("mix", "decay") and alpha.weights is None:
            raise ValueError(
                f"alpha kind {alpha.kind!r} needs weights: pass SyntheticMarket.alpha or "
                "AlphaSpec.resolve(seed)."
            )
        self.alpha = alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            self._log_rv = np.log(relative_volume(volume, MIX_WINDOW))
            median = np.median(self._log_rv, axis=1, keepdims=True)
        self._high_volume = self._log_rv > median
        self._weights = np.asarray(alpha.weights if alpha.weights is not None else ())
        self._keep = 2.0 ** (-1.0 / alpha.half_life)
        self._state: np.ndarray | None = None
        self.warm_up = MIX_WINDOW if alpha.kind == "interaction" else MIX_MOMENTUM[1]
        self.next_bar = 0
        self.truth = np.full(volume.shape, np.nan)

    def at(self, log_close: np.ndarray, t: int) -> np.ndarray | None:
        """The score at bar ``t`` (shape ``[N]``), or None during the warm-up."""
        if t != self.next_bar:
            raise ValueError(f"AlphaStepper.at: bars must come in order; expected {self.next_bar}.")
        self.next_bar += 1
        if t < self.warm_up:
            return None
        if self.alpha.kind == "interaction":
            if self.alpha.condition == "volume":
                high = self._high_volume[t]
            else:
                vol = _volatility(log_close[t - MIX_WINDOW : t + 1])
                high = vol > np.median(vol)
            reversal = _centred(log_close[t - REVERSAL_WINDOW] - log_close[t])
            reversal = reversal / np.sqrt(np.add.reduce(reversal * reversal) / reversal.size)
            score = _scaled(_centred(np.where(high, reversal, self.alpha.elsewhere * reversal)))
        else:
            base = self._mix(log_close, t)
            if self.alpha.kind == "decay":
                if self._state is None:
                    self._state = base
                else:
                    smooth = self._keep * self._state + (1.0 - self._keep) * base
                    self._state = np.where(np.isfinite(base), smooth, self._state)
                base = _centred(self._state)
            score = _scaled(base)
        self.truth[t] = score
        return score

    def run(self, log_close: np.ndarray) -> np.ndarray:
        """Scores for every bar of ``[T, N]`` log closes (a fresh stepper: from bar 0)."""
        for t in range(log_close.shape[0]):
            self.at(log_close, t)
        return self.truth

    def _mix(self, log_close: np.ndarray, t: int) -> np.ndarray:
        """``sum_k w_k z(component_k)`` at bar ``t`` (centred; a constant component adds 0)."""
        window = log_close[t - MIX_WINDOW : t + 1]
        last = window[-1]
        comps = np.empty((len(MIX_COMPONENTS), last.size))
        comps[0] = window[-1 - REVERSAL_WINDOW] - last
        comps[1] = log_close[t - MIX_MOMENTUM[0]] - log_close[t - MIX_MOMENTUM[1]]
        comps[2] = self._log_rv[t]
        comps[3] = _volatility(window)
        comps[4] = last - np.add.reduce(window[1:], axis=0) / MIX_WINDOW
        dev = comps - (np.add.reduce(comps, axis=1) / last.size)[:, None]
        sd = np.sqrt(np.add.reduce(dev * dev, axis=1) / last.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = np.where(sd > 0.0, self._weights / sd, 0.0)
        return coef @ dev


def _volatility(window: np.ndarray) -> np.ndarray:
    """Population std over the rows of the one-bar differences of ``window`` (``[W + 1, N]``)."""
    r = window[1:] - window[:-1]
    mean = np.add.reduce(r, axis=0) / r.shape[0]
    return np.sqrt(np.maximum(np.add.reduce(r * r, axis=0) / r.shape[0] - mean * mean, 0.0))


def _centred(x: np.ndarray) -> np.ndarray:
    return x - np.add.reduce(x) / x.size


def _scaled(dev: np.ndarray) -> np.ndarray:
    """A centred row divided by its population std (NaN when the std is 0 or not finite)."""
    sd = np.sqrt(np.add.reduce(dev * dev) / dev.size)
    if not sd > 0.0:
        return np.full(dev.shape, np.nan)
    return dev / sd


def _check_weight(weight: float) -> None:
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"momentum_weight must lie in [0, 1]; got {weight!r}.")
