"""Square-root impact: half spread + ``eta * sigma * sqrt(q / ADV)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.backtest.costs import CostModel, CostParameters
from alphafactory.backtest.market import trailing_volatility
from alphafactory.backtest.spread_impact import (
    adv_or_raise,
    check_cost_fields,
    half_spread_fraction,
)
from alphafactory.data.wide import Panel


@dataclass(frozen=True, kw_only=True, slots=True)
class SquareRootImpact(CostModel):
    """Half spread plus the square-root law of market impact.

    Cost fraction of notional for ``q`` shares at bar t:
    ``half_spread + eta * sigma * sqrt(|q| / ADV)``, with ``sigma`` the std of bar returns and ADV
    the mean bar volume, both over trailing windows that end before t. ``eta`` of order one is what
    empirical studies of the square-root law report (e.g. Toth et al. 2011);
    ``alphafactory.execution.calibrate_square_root(...).cost_model()`` fits it to simulated book
    executions instead (this module never imports the execution layer).

    Parameters
    ----------
    eta : float
        Impact coefficient (dimensionless).
    half_spread_bps : float, DataFrame or None
        Half spread in bps (constant or wide frame), or None for the Corwin-Schultz estimate.
    vol_window, adv_window, spread_window : int
        Trailing windows in bars.
    calibration : dict
        How ``eta`` was obtained when it came from a fit (empty otherwise).
    """

    eta: float = 1.0
    half_spread_bps: float | pd.DataFrame | None = 0.0
    vol_window: int = 20
    adv_window: int = 20
    spread_window: int = 20
    calibration: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_cost_fields(self, "SquareRootImpact", rates=("eta", "half_spread_bps"),
                          windows=("vol_window", "adv_window", "spread_window"))

    def parameters(self, market: Panel) -> CostParameters:
        half = half_spread_fraction(
            market, self.half_spread_bps, self.spread_window, "SquareRootImpact"
        )
        sigma = trailing_volatility(market.close, self.vol_window)
        adv = adv_or_raise(market, self.adv_window, "SquareRootImpact")
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = self.eta * sigma / np.sqrt(adv)
        return CostParameters(
            half_spread=half,
            impact_coef=np.ascontiguousarray(np.nan_to_num(coef, nan=0.0, posinf=0.0)),
            impact_exponent=0.5,
        )
