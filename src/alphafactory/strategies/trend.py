"""Trend sources: multi-timeframe momentum and the Donchian channel breakout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data.wide import Panel
from alphafactory.errors import ConfigError
from alphafactory.strategies.base import Mask, SignalSource, band_positions, equal_weights


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


class Momentum(SignalSource):
    """Multi-timeframe momentum: a weighted sum of past returns over several windows.

    The return over window ``w`` skipping the last ``skip`` bars is
    ``r_w = ln(C_{t-skip} / C_{t-skip-w})``; each is scaled by ``1 / sqrt(w)`` so windows compare.
    ``mode = "weighted"`` scores ``sum_w weight_w * r_w / sqrt(w)`` (weights default equal and
    sum to 1); ``mode = "agreement"`` scores the weighted mean of ``sign(r_w)`` in [-1, 1].
    Nothing is fitted. No target weights: the workflow's portfolio rule sizes the scores.

    Parameters
    ----------
    windows : sequence of int
        Lookbacks in bars (default 20, 60, 120).
    skip : int
        Most recent bars left out (default 1, the short-term reversal bar).
    weights : sequence of float, optional
        One per window; normalised to sum to 1.
    mode : {"weighted", "agreement"}
    mask : callable, optional
        See :class:`SignalSource`.
    regimes : mapping, optional
        Trade only in chosen market regimes (see :class:`SignalSource`).
    """

    name = "momentum"

    def __init__(
        self,
        *,
        windows: Sequence[int] = (20, 60, 120),
        skip: int = 1,
        weights: Sequence[float] | None = None,
        mode: str = "weighted",
        mask: Mask | None = None,
        regimes: Mapping[str, Any] | None = None,
    ) -> None:
        self.windows = windows
        self.skip = skip
        self.weights = weights
        self.mode = mode
        self.mask = mask
        self.regimes = regimes

    def _fit(self, bars: pd.DataFrame) -> None:
        windows = tuple(int(w) for w in self.windows)
        if not windows or min(windows) < 1 or self.skip < 0:
            raise ConfigError(f"momentum: windows must be >= 1 and skip >= 0, got "
                              f"{list(self.windows)} and {self.skip}")  # fmt: skip
        if self.mode not in ("weighted", "agreement"):
            raise ConfigError(f"momentum: mode must be 'weighted' or 'agreement', "
                              f"got {self.mode!r}")  # fmt: skip
        weights = np.ones(len(windows)) if self.weights is None else np.asarray(self.weights, float)
        if weights.shape != (len(windows),) or not weights.sum() > 0:
            raise ConfigError(f"momentum: weights must be one positive number per window, got "
                              f"{self.weights}")  # fmt: skip
        self.weights_ = weights / weights.sum()

    def _scores(self, panel: Panel) -> dict[str, np.ndarray]:
        log_close = pd.DataFrame(_log(panel.close))
        total = np.zeros(panel.shape)
        for w, weight in zip(self.windows, self.weights_, strict=True):
            ret = (log_close.shift(self.skip) - log_close.shift(self.skip + int(w))).to_numpy()
            part = np.sign(ret) if self.mode == "agreement" else ret / np.sqrt(w)
            total = total + weight * part
        return {"score": total}


class Breakout(SignalSource):
    """Donchian channel breakout with an exit band.

    Long when the close breaks above the highest high of the previous ``window`` bars, short
    when it breaks below their lowest low; a long exits when the close falls below the lowest
    low of the previous ``exit_window`` bars (a short, above their highest high). The score is
    the position (-1, 0, +1); with ``target_weights`` each position is sized ``1 / symbols
    priced`` so the gross weight is at most 1.

    Parameters
    ----------
    window : int
        Entry channel in bars (default 20).
    exit_window : int
        Exit channel in bars, at most ``window`` (default 10).
    short : bool
        Take the short side too (default True).
    target_weights : bool
        Emit ``target_weight`` (default True).
    mask : callable, optional
    regimes : mapping, optional
        Trade only in chosen market regimes (see :class:`SignalSource`).
    """

    name = "breakout"

    def __init__(
        self,
        *,
        window: int = 20,
        exit_window: int = 10,
        short: bool = True,
        target_weights: bool = True,
        mask: Mask | None = None,
        regimes: Mapping[str, Any] | None = None,
    ) -> None:
        self.window = window
        self.exit_window = exit_window
        self.short = short
        self.target_weights = target_weights
        self.mask = mask
        self.regimes = regimes

    def _fit(self, bars: pd.DataFrame) -> None:
        if not 1 <= self.exit_window <= self.window:
            raise ConfigError(f"breakout: need 1 <= exit_window <= window, got exit_window="
                              f"{self.exit_window}, window={self.window}")  # fmt: skip

    def _scores(self, panel: Panel) -> dict[str, np.ndarray]:
        close = panel.close
        high = pd.DataFrame(panel.require("high", "the breakout source"))
        low = pd.DataFrame(panel.require("low", "the breakout source"))

        def prior(frame: pd.DataFrame, n: int, how: str) -> np.ndarray:
            return getattr(frame.rolling(n, min_periods=n), how)().shift(1).to_numpy()

        upper, lower = prior(high, self.window, "max"), prior(low, self.window, "min")
        exit_low, exit_high = (
            prior(low, self.exit_window, "min"),
            prior(high, self.exit_window, "max"),
        )
        with np.errstate(invalid="ignore"):
            positions = band_positions(
                close > upper, (close < lower) & self.short, close < exit_low, close > exit_high
            )
        known = np.isfinite(close) & np.isfinite(upper) & np.isfinite(lower)
        out = {"score": np.where(known, positions, np.nan)}
        if self.target_weights:
            out["target_weight"] = equal_weights(positions, known)
        return out
