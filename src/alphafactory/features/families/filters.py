"""Trade filters: 1/0 masks a strategy multiplies its scores by (NaN during the warm-up).

``tech_filter`` is the technical filter of the minute-bar system alphafactory replaces: trade a
symbol at ``t`` only when ``C_t > SMA(5) > SMA(15)``, the 5-bar momentum ``C_t / C_{t-5} - 1`` is
positive and RSI(14) is above 45.
"""

from __future__ import annotations

import numpy as np

from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback
from alphafactory.features.rolling import shift

FAMILY = "filters"
WINDOWS: tuple[int, ...] = ()

FAST, SLOW, MOMENTUM, RSI_PERIOD, RSI_FLOOR = 5, 15, 5, 14, 45.0


def tech_filter(ctx: FeatureContext) -> np.ndarray:
    """``[T, N]`` 1.0 where the filter passes, 0.0 where it fails, NaN where an input is NaN."""
    close = ctx.fields["close"]
    fast = ctx.talib("SMA", timeperiod=FAST)[0]
    slow = ctx.talib("SMA", timeperiod=SLOW)[0]
    rsi = ctx.talib("RSI", timeperiod=RSI_PERIOD)[0]
    before = shift(close, MOMENTUM)
    inputs = (close, fast, slow, rsi, before)
    known = np.logical_and.reduce([np.isfinite(a) for a in inputs])
    with np.errstate(invalid="ignore"):
        passed = (close > fast) & (fast > slow) & (close > before) & (rsi > RSI_FLOOR)
    return np.where(known, passed.astype(np.float64), np.nan)


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    warmup = max(
        talib_lookback("SMA", timeperiod=SLOW),
        talib_lookback("RSI", timeperiod=RSI_PERIOD),
        MOMENTUM,
    )
    b.add(
        "tech_filter",
        warmup,
        f"1 when C > SMA({FAST}) > SMA({SLOW}), C_t > C_t-{MOMENTUM} and RSI({RSI_PERIOD}) > "
        f"{RSI_FLOOR:g}, else 0 (the minute-bar system's technical filter).",
        tech_filter,
        convergence=talib_convergence("RSI", timeperiod=RSI_PERIOD),
        fast=FAST,
        slow=SLOW,
        momentum=MOMENTUM,
        rsi=RSI_PERIOD,
        rsi_floor=RSI_FLOOR,
    )
    return b.defs
