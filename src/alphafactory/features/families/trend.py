"""Trend: distance of the close to moving averages (TA-Lib), regression slope, Ichimoku."""

from __future__ import annotations

import numpy as np

from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder, div, ratio_minus_one
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback
from alphafactory.features.rolling import shift

FAMILY = "trend"
WINDOWS: tuple[int, ...] = (5, 10, 20, 50, 100, 200)
SHORT_MAX = 50  # WMA, DEMA, TEMA, KAMA and slope use the windows up to this length

_MA_NAMES = {
    "SMA": "simple", "EMA": "exponential", "WMA": "weighted", "DEMA": "double exponential",
    "TEMA": "triple exponential", "KAMA": "Kaufman adaptive",
}


def _ma_ratio(ctx: FeatureContext, func: str, n: int) -> np.ndarray:
    return ratio_minus_one(ctx.fields["close"], ctx.talib(func, timeperiod=n)[0])


def _midpoint(ctx: FeatureContext, n: int) -> np.ndarray:
    """Ichimoku line: (highest high + lowest low) / 2 over ``n`` bars."""
    high = ctx.talib("MAX", ("high",), timeperiod=n)[0]
    low = ctx.talib("MIN", ("low",), timeperiod=n)[0]
    return (high + low) / 2.0


def _cloud(ctx: FeatureContext) -> tuple[np.ndarray, np.ndarray]:
    """Top and bottom of today's cloud: spans computed 26 bars ago (causal by construction)."""
    def compute() -> tuple[np.ndarray, np.ndarray]:
        span_a = shift((_midpoint(ctx, 9) + _midpoint(ctx, 26)) / 2.0, 26)
        span_b = shift(_midpoint(ctx, 52), 26)
        return np.maximum(span_a, span_b), np.minimum(span_a, span_b)

    return ctx.cached("ichimoku_cloud", compute)


def _cloud_dist(ctx: FeatureContext, side: int) -> np.ndarray:
    return ratio_minus_one(ctx.fields["close"], _cloud(ctx)[side])


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for func in ("SMA", "EMA"):
        for n in windows:
            b.add(f"{func.lower()}_ratio_{n}", talib_lookback(func, timeperiod=n),
                  f"C_t / {_MA_NAMES[func]} moving average({n}) - 1 (TA-Lib {func}).",
                  lambda ctx, func=func, n=n: _ma_ratio(ctx, func, n), n=n,
                  convergence=talib_convergence(func, timeperiod=n))
    short = [n for n in windows if 2 <= n <= SHORT_MAX]
    for func in ("WMA", "DEMA", "TEMA", "KAMA"):
        for n in short:
            b.add(f"{func.lower()}_ratio_{n}", talib_lookback(func, timeperiod=n),
                  f"C_t / {_MA_NAMES[func]} moving average({n}) - 1 (TA-Lib {func}).",
                  lambda ctx, func=func, n=n: _ma_ratio(ctx, func, n), n=n,
                  convergence=talib_convergence(func, timeperiod=n))
    for n in short:
        b.add(f"linreg_slope_{n}", talib_lookback("LINEARREG_SLOPE", timeperiod=n),
              f"Slope of the least-squares line through the last {n} closes, per bar, / C_t.",
              lambda ctx, n=n: div(ctx.talib("LINEARREG_SLOPE", timeperiod=n)[0],
                                   ctx.fields["close"]), n=n)
    b.add("ichi_tenkan_dist", 8, "Ichimoku: C_t / conversion line(9) - 1.",
          lambda ctx: ratio_minus_one(ctx.fields["close"], _midpoint(ctx, 9)), n=9)
    b.add("ichi_kijun_dist", 25, "Ichimoku: C_t / base line(26) - 1.",
          lambda ctx: ratio_minus_one(ctx.fields["close"], _midpoint(ctx, 26)), n=26)
    b.add("ichi_tk_spread", 25, "Ichimoku: conversion line(9) / base line(26) - 1.",
          lambda ctx: ratio_minus_one(_midpoint(ctx, 9), _midpoint(ctx, 26)), fast=9, slow=26)
    b.add("ichi_cloud_top_dist", 77,
          "Ichimoku: C_t / top of today's cloud (spans A, B computed at t-26) - 1.",
          lambda ctx: _cloud_dist(ctx, 0), fast=9, slow=26, span=52, displacement=26)
    b.add("ichi_cloud_bottom_dist", 77,
          "Ichimoku: C_t / bottom of today's cloud (spans A, B computed at t-26) - 1.",
          lambda ctx: _cloud_dist(ctx, 1), fast=9, slow=26, span=52, displacement=26)
    return b.defs
