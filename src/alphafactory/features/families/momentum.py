"""Momentum oscillators from TA-Lib: RSI, Williams %R, CCI, CMO, ADX/DI, Aroon, ROC, MACD, PPO,
TRIX, ultimate oscillator, balance of power, stochastics, parabolic SAR. Bounded oscillators are
rescaled (``/ 100``, centred) and price-unit ones divided by the close so symbols compare."""

from __future__ import annotations

from typing import Any

import numpy as np

from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder, div, ratio_minus_one
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback

FAMILY = "momentum"
WINDOWS: tuple[int, ...] = (6, 14, 28)

HLC = ("high", "low", "close")
HL = ("high", "low")
OHLC = ("open", "high", "low", "close")

# name, TA-Lib function, inputs, output index, scale, offset, description
_WINDOWED: tuple[tuple[str, str, tuple[str, ...], int, float, float, str], ...] = (
    ("rsi", "RSI", ("close",), 0, 0.01, -0.5, "RSI / 100 - 0.5"),
    ("willr", "WILLR", HLC, 0, 0.01, 0.5, "Williams %R / 100 + 0.5"),
    ("cci", "CCI", HLC, 0, 0.01, 0.0, "Commodity channel index / 100"),
    ("cmo", "CMO", ("close",), 0, 0.01, 0.0, "Chande momentum oscillator / 100"),
    ("adx", "ADX", HLC, 0, 0.01, 0.0, "Average directional index / 100"),
    ("plus_di", "PLUS_DI", HLC, 0, 0.01, 0.0, "+DI / 100"),
    ("minus_di", "MINUS_DI", HLC, 0, 0.01, 0.0, "-DI / 100"),
    ("aroon_down", "AROON", HL, 0, 0.01, 0.0, "Aroon down / 100"),
    ("aroon_up", "AROON", HL, 1, 0.01, 0.0, "Aroon up / 100"),
    ("aroonosc", "AROONOSC", HL, 0, 0.01, 0.0, "Aroon oscillator / 100"),
    ("roc", "ROCP", ("close",), 0, 1.0, 0.0, "Rate of change (C_t - C_t-n) / C_t-n"),
)


def _scaled(
    ctx: FeatureContext, func: str, inputs: tuple[str, ...], out: int, scale: float,
    offset: float, params: dict[str, Any],
) -> np.ndarray:
    return ctx.talib(func, inputs, **params)[out] * scale + offset


def _per_close(ctx: FeatureContext, func: str, out: int, params: dict[str, Any]) -> np.ndarray:
    return div(ctx.talib(func, **params)[out], ctx.fields["close"])


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in (w for w in windows if w >= 2):
        for name, func, inputs, out, scale, offset, desc in _WINDOWED:
            params = {"timeperiod": n}
            b.add(f"{name}_{n}", talib_lookback(func, **params), f"{desc} (TA-Lib {func}, {n}).",
                  lambda ctx, f=func, i=inputs, o=out, s=scale, c=offset, p=params:
                  _scaled(ctx, f, i, o, s, c, p), n=n,
                  convergence=talib_convergence(func, **params))
    for tag, (fast, slow, sig) in (("", (12, 26, 9)), ("_fast", (5, 35, 5))):
        params = {"fastperiod": fast, "slowperiod": slow, "signalperiod": sig}
        warm = talib_lookback("MACD", **params)
        for out, part in enumerate(("macd", "signal", "hist")):
            b.add(f"macd{tag}_{part}", warm,
                  f"MACD({fast}, {slow}, {sig}) {part} line / C_t (TA-Lib MACD).",
                  lambda ctx, o=out, p=params: _per_close(ctx, "MACD", o, p),
                  convergence=talib_convergence("MACD", **params), **params)
    singles: tuple[tuple[str, str, tuple[str, ...], int, float, float, dict, str], ...] = (
        ("ppo_12_26", "PPO", ("close",), 0, 0.01, 0.0,
         {"fastperiod": 12, "slowperiod": 26, "matype": 1}, "Percentage price oscillator / 100"),
        ("trix_15", "TRIX", ("close",), 0, 0.01, 0.0, {"timeperiod": 15},
         "TRIX: 1-bar rate of change of a triple EMA(15), / 100"),
        ("ultosc", "ULTOSC", HLC, 0, 0.01, -0.5,
         {"timeperiod1": 7, "timeperiod2": 14, "timeperiod3": 28}, "Ultimate oscillator/100-0.5"),
        ("bop", "BOP", OHLC, 0, 1.0, 0.0, {}, "Balance of power (C - O) / (H - L)"),
        ("adxr_14", "ADXR", HLC, 0, 0.01, 0.0, {"timeperiod": 14}, "ADX rating / 100"),
        ("stoch_k", "STOCH", HLC, 0, 0.01, -0.5,
         {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}, "Slow stochastic %K"),
        ("stoch_d", "STOCH", HLC, 1, 0.01, -0.5,
         {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3}, "Slow stochastic %D"),
        ("stochf_k", "STOCHF", HLC, 0, 0.01, -0.5, {"fastk_period": 5, "fastd_period": 3},
         "Fast stochastic %K"),
        ("stochf_d", "STOCHF", HLC, 1, 0.01, -0.5, {"fastk_period": 5, "fastd_period": 3},
         "Fast stochastic %D"),
        ("stochrsi_k", "STOCHRSI", ("close",), 0, 0.01, -0.5,
         {"timeperiod": 14, "fastk_period": 5, "fastd_period": 3}, "Stochastic RSI %K"),
        ("stochrsi_d", "STOCHRSI", ("close",), 1, 0.01, -0.5,
         {"timeperiod": 14, "fastk_period": 5, "fastd_period": 3}, "Stochastic RSI %D"),
    )
    for name, func, inputs, out, scale, offset, params, desc in singles:
        b.add(name, talib_lookback(func, **params), f"{desc} (TA-Lib {func}).",
              lambda ctx, f=func, i=inputs, o=out, s=scale, c=offset, p=params:
              _scaled(ctx, f, i, o, s, c, p),
              convergence=talib_convergence(func, **params), **params)
    sar = {"acceleration": 0.02, "maximum": 0.2}
    b.add("sar_dist", talib_lookback("SAR", **sar), "C_t / parabolic SAR(0.02, 0.2) - 1.",
          lambda ctx: ratio_minus_one(ctx.fields["close"], ctx.talib("SAR", HL, **sar)[0]),
          convergence=talib_convergence("SAR", **sar), **sar)
    return b.defs
