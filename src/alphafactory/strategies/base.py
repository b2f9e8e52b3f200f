"""The :class:`SignalSource` contract and the wide-array helpers every source shares.

A signal source is a rule-based strategy that speaks the signal file's language: ``fit`` learns
whatever it needs (parameters, pairs) from a training slice of bars only, and ``scores`` returns
a frame indexed ``(timestamp, symbol)`` with a ``score`` column and, for a source that sizes its
own positions, a ``target_weight`` column. The score at ``t`` uses bars ``<= t`` only, so the
frame backtests, executes and enters ensembles exactly like a model's out-of-sample scores.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data.panel import is_panel
from alphafactory.data.wide import Panel, load_panel
from alphafactory.errors import ConfigError, DataError
from alphafactory.features.normalize import NotFittedError

__all__ = ["Mask", "NotFittedError", "SignalSource", "band_positions", "scores_frame"]

# A causal ``mask(bars) -> Series`` of 1/0 (or bool) indexed ``(timestamp, symbol)``: where it
# is 0 or NaN a source's score and target weight are set to 0 (a regime or technical filter).
Mask = Callable[[pd.DataFrame], pd.Series]


class SignalSource:
    """Base class of rule-based signal sources (scikit-learn style).

    Subclasses store their arguments in ``__init__`` (keyword-only, nothing else), learn state
    ending in ``_`` in :meth:`_fit` and compute wide ``[T, N]`` results in :meth:`_scores`.

    Parameters (common to every source)
    ----------
    mask : callable, optional
        ``mask(bars)`` -> 1/0 Series on the bars' rows; scores and target weights are zeroed
        where it is not 1 (e.g. ``feature_mask("tech_filter")`` or a regime filter). It must be
        causal itself.
    regimes : mapping, optional
        Trade only in chosen market regimes: ``{"states": [0], "min_prob": 0.5, ...}`` where the
        other keys are :class:`~alphafactory.features.regimes.RegimeModel` arguments
        (``n_states``, ``features``, ``vol_window``, ``seed``). ``fit`` fits the Gaussian HMM on
        the training bars' market series only; ``scores`` zeroes every row whose timestamp's
        forward-filtered (causal) probability of the chosen states is below ``min_prob``
        (extra ``strategies``).
    """

    name: str = "source"
    mask: Mask | None = None
    regimes: Mapping[str, Any] | None = None

    def fit(self, bars: pd.DataFrame) -> SignalSource:
        """Learn the source's state from ``bars`` (the training slice only); return self."""
        self._fit(_checked(bars, self.name))
        if self.regimes is not None:
            self.regime_mask_ = _fit_regime_mask(self.regimes, bars, self.name)
        self.fitted_ = True
        return self

    def scores(self, bars: pd.DataFrame) -> pd.DataFrame:
        """Scores of ``bars``: indexed ``(timestamp, symbol)``, ``score`` [, ``target_weight``].

        Rows during a source's warm-up (NaN score) are left out. Raises NotFittedError before
        :meth:`fit`.
        """
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(bars) first.")
        panel = load_panel(_checked(bars, self.name))
        columns = self._scores(panel)
        frame = scores_frame(panel, columns)
        for mask in (self.mask, getattr(self, "regime_mask_", None)):
            if mask is not None:
                keep = mask(bars).reindex(frame.index).to_numpy(dtype=np.float64) == 1.0
                frame.loc[~keep] = 0.0
        return frame

    def _fit(self, bars: pd.DataFrame) -> None:
        """Learn state from training bars; nothing by default."""

    def _scores(self, panel: Panel) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments (what :meth:`clone` rebuilds the source from)."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def clone(self) -> SignalSource:
        """An unfitted copy with the same arguments."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def _fit_regime_mask(spec: Mapping[str, Any], bars: pd.DataFrame, name: str) -> Mask:
    """Fit the regime model of ``spec`` on ``bars`` (training only); return its causal mask."""
    from alphafactory.features.regimes import RegimeModel, market_returns, regime_filter

    if not isinstance(spec, Mapping):
        raise ConfigError(f"signal source {name!r}: regimes must be a table, got {spec!r}")
    model_args = dict(spec)
    states = model_args.pop("states", [0])
    min_prob = model_args.pop("min_prob", 0.5)
    try:
        model = RegimeModel(**model_args)
    except TypeError as exc:
        raise ConfigError(f"signal source {name!r}: regimes: {exc}") from None
    return regime_filter(model.fit(market_returns(bars)), states, min_prob)


def _checked(bars: pd.DataFrame, name: str) -> pd.DataFrame:
    if not is_panel(bars):
        raise DataError(f"signal source {name!r}: bars must be indexed (timestamp, symbol)")
    return bars


def scores_frame(panel: Panel, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Gather wide ``score`` (and ``target_weight``) arrays onto the bars' rows; drop NaN scores."""
    frame = panel.to_frame(columns)
    frame.index = frame.index.set_names(["timestamp", "symbol"])
    frame = frame[np.isfinite(frame["score"].to_numpy())]
    if "target_weight" in frame.columns:
        frame["target_weight"] = frame["target_weight"].fillna(0.0)
    return frame


def band_positions(
    enter_long: np.ndarray,
    enter_short: np.ndarray,
    exit_long: np.ndarray,
    exit_short: np.ndarray,
    stop: np.ndarray | None = None,
    reset: np.ndarray | None = None,
) -> np.ndarray:
    """Run the entry/exit state machine over time, each column on its own.

    Every argument is a boolean ``[T, N]`` array (NaN inputs give False). A flat symbol goes
    long on ``enter_long``, short on ``enter_short``; a long exits on ``exit_long``, a short on
    ``exit_short`` (an exit bar enters nothing). ``stop`` flattens either side and blocks new
    entries until a bar where ``reset`` holds (default: the next bar). Returns float
    ``[T, N]`` positions in {-1, 0, 1} held at the close of each bar.
    """
    n_time, n_sym = enter_long.shape
    out = np.zeros((n_time, n_sym))
    state = np.zeros(n_sym)
    blocked = np.zeros(n_sym, dtype=bool)
    for t in range(n_time):
        stopped = np.zeros(n_sym, dtype=bool) if stop is None else stop[t]
        if reset is None:
            blocked = stopped
        else:
            blocked = (blocked & ~reset[t]) | stopped
        flat = state == 0
        can_enter = flat & ~blocked
        state = np.where(can_enter & enter_long[t], 1.0, state)
        state = np.where(can_enter & enter_short[t] & ~enter_long[t], -1.0, state)
        state = np.where((state > 0) & ~flat & exit_long[t], 0.0, state)
        state = np.where((state < 0) & ~flat & exit_short[t], 0.0, state)
        state = np.where(stopped, 0.0, state)
        out[t] = state
    return out


def equal_weights(positions: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Positions scaled so a timestamp's gross weight is at most 1: ``pos / symbols priced``."""
    count = known.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(known, positions / np.where(count > 0, count, 1), np.nan)
