"""Limits on the whole book: gross leverage, net exposure, ex-ante VaR."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from alphafactory.errors import ConfigError
from alphafactory.risk.limit import (
    Action,
    Breach,
    Reset,
    RiskContext,
    RiskLimit,
    check_common,
    check_positive,
    within,
)
from alphafactory.risk.measures import METHODS, proposal_var


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxGrossLeverage(RiskLimit):
    """``sum_i |w_i| <= max_gross``; a breach scales every weight by ``max_gross / gross``."""

    name: ClassVar[str] = "max_gross_leverage"
    max_gross: float = 1.0
    action: Action = "scale"
    reset: Reset = "next_session"

    def __post_init__(self) -> None:
        check_positive(self, "max_gross")
        check_common(self)

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        gross = float(np.abs(weights).sum())
        if within(gross, self.max_gross):
            return None
        return Breach(measure=gross, threshold=self.max_gross,
                      weights=weights * (self.max_gross / gross),
                      reason=f"gross leverage {gross:.4g} > {self.max_gross:.4g}")


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxNetExposure(RiskLimit):
    """``|sum_i w_i| <= max_net``; a breach scales every weight by ``max_net / |net|``."""

    name: ClassVar[str] = "max_net_exposure"
    max_net: float = 1.0
    action: Action = "scale"
    reset: Reset = "next_session"

    def __post_init__(self) -> None:
        check_positive(self, "max_net")
        check_common(self)

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        net = float(weights.sum())
        if within(abs(net), self.max_net):
            return None
        return Breach(measure=abs(net), threshold=self.max_net,
                      weights=weights * (self.max_net / abs(net)),
                      reason=f"|net exposure| {abs(net):.4g} > {self.max_net:.4g}")


@dataclass(frozen=True, kw_only=True, slots=True)
class VaRLimit(RiskLimit):
    """Ex-ante VaR of the proposal ``<= max_var``; a breach scales it by ``max_var / VaR``.

    The VaR is :func:`~alphafactory.risk.proposal_var` over the last ``window`` returns
    (scenarios ``R @ w``); every method is positively homogeneous, so the scaled proposal's VaR
    equals ``max_var``. With fewer than ``window`` bars of history the limit does not bind.

    Parameters
    ----------
    max_var : float
        Largest one-bar VaR, fraction of equity (0.02 = 2%).
    level : float
        VaR confidence level.
    method : str
        One of :data:`alphafactory.risk.METHODS`.
    window : int
        Trailing returns used, bars.
    lam : float
        EWMA decay for ``ewma`` and ``fhs``.
    """

    name: ClassVar[str] = "var_limit"
    max_var: float = 0.02
    level: float = 0.99
    method: str = "historical"
    window: int = 250
    lam: float = 0.94
    action: Action = "scale"
    reset: Reset = "next_session"

    def __post_init__(self) -> None:
        check_positive(self, "max_var")
        check_common(self)
        if self.method not in METHODS:
            raise ConfigError(f"VaRLimit method must be one of {list(METHODS)}, got "
                             f"{self.method!r}.")
        if not 0.5 < self.level < 1 or not 0 < self.lam < 1:
            raise ConfigError(f"VaRLimit needs 0.5 < level < 1 and 0 < lam < 1, got "
                             f"{self.level}, {self.lam}.")
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 2:
            raise ConfigError(f"VaRLimit window must be an int >= 2, got {self.window!r}.")

    def check(self, weights: np.ndarray, context: RiskContext) -> Breach | None:
        if len(context.returns) < self.window or not np.any(weights):
            return None
        var, _ = proposal_var(context.returns[-self.window:], weights, method=self.method,
                              level=self.level, lam=self.lam)  # type: ignore[arg-type]
        if not np.isfinite(var) or within(var, self.max_var):
            return None
        return Breach(measure=var, threshold=self.max_var, weights=weights * (self.max_var / var),
                      reason=f"{self.method} VaR{self.level:.0%} {var:.4g} > {self.max_var:.4g}")
