"""Channels: Bollinger %b and width (TA-Lib BBANDS), Keltner and Donchian position and width."""

from __future__ import annotations

import numpy as np

from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder, div
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback

FAMILY = "bands"
WINDOWS: tuple[int, ...] = (10, 20, 50)
BB_K = 2.0
KC_K = 2.0


def _bb(ctx: FeatureContext, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return ctx.talib("BBANDS", timeperiod=n, nbdevup=BB_K, nbdevdn=BB_K, matype=0)


def _bb_pctb(ctx: FeatureContext, n: int) -> np.ndarray:
    upper, _, lower = _bb(ctx, n)
    return div(ctx.fields["close"] - lower, upper - lower)


def _bb_width(ctx: FeatureContext, n: int) -> np.ndarray:
    upper, middle, lower = _bb(ctx, n)
    return div(upper - lower, middle)


def _keltner(ctx: FeatureContext, n: int) -> tuple[np.ndarray, np.ndarray]:
    mid = ctx.talib("EMA", timeperiod=n)[0]
    atr = ctx.talib("ATR", ("high", "low", "close"), timeperiod=n)[0]
    return mid, atr


def _donchian(ctx: FeatureContext, n: int) -> tuple[np.ndarray, np.ndarray]:
    return (ctx.talib("MAX", ("high",), timeperiod=n)[0],
            ctx.talib("MIN", ("low",), timeperiod=n)[0])


def _dc_pos(ctx: FeatureContext, n: int) -> np.ndarray:
    high, low = _donchian(ctx, n)
    return div(ctx.fields["close"] - low, high - low) - 0.5


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in (w for w in windows if w >= 2):
        bb_warm = talib_lookback("BBANDS", timeperiod=n)
        kc_warm = max(talib_lookback("EMA", timeperiod=n), talib_lookback("ATR", timeperiod=n))
        kc_conv = max(talib_convergence(f, timeperiod=n) for f in ("EMA", "ATR"))
        b.add(f"bb_pctb_{n}", bb_warm,
              f"Bollinger %b: (C - lower) / (upper - lower), BBANDS({n}, {BB_K}).",
              lambda ctx, n=n: _bb_pctb(ctx, n), n=n, k=BB_K)
        b.add(f"bb_width_{n}", bb_warm, f"Bollinger width: (upper - lower) / middle ({n}).",
              lambda ctx, n=n: _bb_width(ctx, n), n=n, k=BB_K)
        b.add(f"kc_pos_{n}", kc_warm,
              f"Keltner position: (C - EMA({n})) / ({KC_K} ATR({n})); +-1 at the bands.",
              lambda ctx, n=n: div(ctx.fields["close"] - _keltner(ctx, n)[0],
                                   KC_K * _keltner(ctx, n)[1]), n=n, k=KC_K,
              convergence=kc_conv)
        b.add(f"kc_width_{n}", kc_warm, f"Keltner width: 2 {KC_K} ATR({n}) / EMA({n}).",
              lambda ctx, n=n: div(2 * KC_K * _keltner(ctx, n)[1], _keltner(ctx, n)[0]),
              n=n, k=KC_K, convergence=kc_conv)
        b.add(f"dc_pos_{n}", n - 1,
              f"Donchian position: (C - min low) / (max high - min low) - 0.5 over {n} bars.",
              lambda ctx, n=n: _dc_pos(ctx, n), n=n)
        b.add(f"dc_width_{n}", n - 1, f"Donchian width: (max high - min low) / C over {n} bars.",
              lambda ctx, n=n: div(_donchian(ctx, n)[0] - _donchian(ctx, n)[1],
                                   ctx.fields["close"]), n=n)
    return b.defs
