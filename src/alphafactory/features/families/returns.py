"""Returns over many horizons, momentum with a skipped month, distance to 52-week extremes."""

from __future__ import annotations

import numpy as np

from alphafactory.features.families._common import Builder, div, log, ratio_minus_one
from alphafactory.features.registry import FeatureContext, FeatureDef
from alphafactory.features.rolling import shift
from alphafactory.features.talib_panel import apply_talib

FAMILY = "returns"
WINDOWS: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 40, 60, 120, 250)


def _logret(ctx: FeatureContext, n: int) -> np.ndarray:
    c = ctx.fields["close"]
    return log(div(c, shift(c, n)))


def _momentum(ctx: FeatureContext, long: int, skip: int) -> np.ndarray:
    c = ctx.fields["close"]
    return log(div(shift(c, skip), shift(c, long)))


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in windows:
        b.add(f"ret_{n}", n, f"Log close return over {n} bars, ln(C_t / C_t-{n}).",
              lambda ctx, n=n: _logret(ctx, n), n=n)
    b.add("mom_12_1", 252, "Momentum 12-1: ln(C_t-21 / C_t-252), skipping the last month.",
          lambda ctx: _momentum(ctx, 252, 21), long=252, skip=21)
    b.add("mom_6_1", 126, "Momentum 6-1: ln(C_t-21 / C_t-126).",
          lambda ctx: _momentum(ctx, 126, 21), long=126, skip=21)
    b.add("max_ret_20", 20, "Largest one-bar log return of the last 20 bars.",
          lambda ctx: apply_talib("MAX", ctx.logret, timeperiod=20)[0], n=20)
    b.add("min_ret_20", 20, "Smallest one-bar log return of the last 20 bars.",
          lambda ctx: apply_talib("MIN", ctx.logret, timeperiod=20)[0], n=20)
    b.add("dist_high_252", 251, "C_t / max(high over 252 bars) - 1 (<= 0).",
          lambda ctx: ratio_minus_one(
              ctx.fields["close"], ctx.talib("MAX", ("high",), timeperiod=252)[0]), n=252)
    b.add("dist_low_252", 251, "C_t / min(low over 252 bars) - 1 (>= 0).",
          lambda ctx: ratio_minus_one(
              ctx.fields["close"], ctx.talib("MIN", ("low",), timeperiod=252)[0]), n=252)
    return b.defs
