"""Z-score mean reversion: fade a price (or return) that strays from its rolling mean."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError
from alphafactory.strategies.base import Mask, SignalSource, band_positions, equal_weights
from alphafactory.strategies.trend import _log


def rolling_zscore(values: np.ndarray, window: int) -> np.ndarray:
    """``(x_t - mean) / std`` over the ``window`` bars ending at ``t`` (sample std), ``[T, N]``.

    NaN until ``window`` values are known and where the standard deviation is 0.
    """
    frame = pd.DataFrame(values)
    rolling = frame.rolling(window, min_periods=window)
    mean, std = rolling.mean().to_numpy(), rolling.std().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, (values - mean) / np.where(std > 0, std, 1.0), np.nan)


def threshold_positions(z: np.ndarray, entry: float, exit: float, stop: float | None) -> np.ndarray:
    """Mean-reversion positions in {-1, 0, +1} from a z-score ``[T, N]``.

    Flat: long when ``z < -entry``, short when ``z > entry``. A long exits once ``z >= -exit``
    (a short once ``z <= exit``): back inside the exit band or through it. ``|z| > stop``
    flattens either side, and no new entry is taken until ``|z| < exit`` again (a spread that
    broke away is not re-entered on its way back out).
    """
    with np.errstate(invalid="ignore"):
        stopped = None if stop is None else np.abs(z) > stop
        reset = np.abs(z) < exit
        return band_positions(z < -entry, z > entry, z >= -exit, z <= exit, stopped, reset)


def check_bands(where: str, entry: float, exit: float, stop: float | None) -> None:
    """Raise unless ``0 <= exit < entry < stop``."""
    if not (0 <= exit < entry and (stop is None or stop > entry)):
        raise ConfigError(f"{where}: need 0 <= exit < entry < stop, got exit={exit}, "
                          f"entry={entry}, stop={stop}")  # fmt: skip


class MeanReversion(SignalSource):
    """Rolling z-score mean reversion with entry, exit and stop thresholds.

    ``on = "price"`` z-scores the log close over ``window`` bars; ``on = "return"`` the
    ``horizon``-bar log return. Positions follow :func:`threshold_positions`; the score is the
    position (-1, 0, +1) and, with ``target_weights``, each position is sized
    ``1 / symbols priced``. Nothing is fitted.

    Parameters
    ----------
    window : int
        Bars in the rolling mean and standard deviation (default 20).
    on : {"price", "return"}
    horizon : int
        Bars of the return when ``on = "return"`` (default 1).
    entry, exit : float
        Entry at ``|z| > entry`` (default 2), exit at ``|z| < exit`` (default 0.5).
    stop : float or None
        Stop-out at ``|z| > stop`` (default 4; None: no stop).
    target_weights : bool
    mask : callable, optional
        See :class:`SignalSource`.
    regimes : mapping, optional
        Trade only in chosen market regimes (see :class:`SignalSource`).
    """

    name = "mean_reversion"

    def __init__(
        self,
        *,
        window: int = 20,
        on: str = "price",
        horizon: int = 1,
        entry: float = 2.0,
        exit: float = 0.5,
        stop: float | None = 4.0,
        target_weights: bool = True,
        mask: Mask | None = None,
        regimes: Mapping[str, Any] | None = None,
    ) -> None:
        self.window = window
        self.on = on
        self.horizon = horizon
        self.entry = entry
        self.exit = exit
        self.stop = stop
        self.target_weights = target_weights
        self.mask = mask
        self.regimes = regimes

    def _fit(self, bars: pd.DataFrame) -> None:
        if self.on not in ("price", "return"):
            raise ConfigError(f"mean_reversion: on must be 'price' or 'return', got {self.on!r}")
        if self.window < 2 or self.horizon < 1:
            raise ConfigError(f"mean_reversion: need window >= 2 and horizon >= 1, got "
                              f"{self.window} and {self.horizon}")  # fmt: skip
        check_bands("mean_reversion", self.entry, self.exit, self.stop)

    def _scores(self, panel: Panel) -> dict[str, np.ndarray]:
        log_close = _log(panel.close)
        if self.on == "return":
            log_close = log_close - pd.DataFrame(log_close).shift(self.horizon).to_numpy()
        z = rolling_zscore(log_close, self.window)
        positions = threshold_positions(z, self.entry, self.exit, self.stop)
        known = np.isfinite(z)
        out = {"score": np.where(known, positions, np.nan)}
        if self.target_weights:
            out["target_weight"] = equal_weights(positions, known)
        return out
