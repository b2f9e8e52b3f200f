"""Volume: OBV and A/D (TA-Lib) as z-scores over a window and their slopes, Chaikin oscillator,
MFI, distance to rolling VWAP, log-volume z-score and relative volume, force index,
price-volume correlation.

OBV and A/D are running sums from a symbol's first bar, so their level depends on where the
history starts; only shift-invariant forms are features (a change over ``n`` bars, a z-score
against the line's own last ``n`` values), which depend on the last ``n`` bars alone."""

from __future__ import annotations

import numpy as np

from alphafactory.features.convergence import ema_convergence, talib_convergence
from alphafactory.features.families._common import Builder, div, log, ratio_minus_one
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback
from alphafactory.features.rolling import (
    rolling_corr,
    rolling_mean,
    rolling_std,
    rolling_sum,
    shift,
)
from alphafactory.features.talib_panel import apply_talib

FAMILY = "volume"
WINDOWS: tuple[int, ...] = (5, 10, 20, 60)
HLCV = ("high", "low", "close", "volume")
LINE_Z_WINDOW = 20  # bars of the OBV and A/D z-scores


def _logv(ctx: FeatureContext) -> np.ndarray:
    return ctx.cached("log_volume", lambda: log(ctx.fields["volume"]))


def _vwap_dist(ctx: FeatureContext, n: int) -> np.ndarray:
    f = ctx.fields
    typical = (f["high"] + f["low"] + f["close"]) / 3.0
    vwap = div(rolling_sum(typical * f["volume"], n), rolling_sum(f["volume"], n))
    return ratio_minus_one(f["close"], vwap)


def _volume_z(ctx: FeatureContext, n: int) -> np.ndarray:
    lv = _logv(ctx)
    return div(lv - rolling_mean(lv, n), rolling_std(lv, n))


def _flow_slope(ctx: FeatureContext, func: str, inputs: tuple[str, ...], n: int) -> np.ndarray:
    line = ctx.talib(func, inputs)[0]
    return div(line - shift(line, n), rolling_sum(ctx.fields["volume"], n))


def _line_z(ctx: FeatureContext, func: str, inputs: tuple[str, ...], n: int) -> np.ndarray:
    """z-score of a cumulative flow line against its own last ``n`` values (shift-invariant)."""
    line = ctx.talib(func, inputs)[0]
    return div(line - rolling_mean(line, n), rolling_std(line, n))


def _force(ctx: FeatureContext, n: int) -> np.ndarray:
    c, v = ctx.fields["close"], ctx.fields["volume"]
    raw = (c - shift(c, 1)) * v
    return div(apply_talib("EMA", raw, timeperiod=n)[0],
               apply_talib("EMA", shift(c, 1) * v, timeperiod=n)[0])


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in (w for w in windows if w >= 2):
        b.add(f"vwap_dist_{n}", n - 1, f"C_t / rolling VWAP of typical price over {n} bars - 1.",
              lambda ctx, n=n: _vwap_dist(ctx, n), n=n)
        b.add(f"volume_z_{n}", n - 1, f"z-score of log volume against its last {n} bars.",
              lambda ctx, n=n: _volume_z(ctx, n), n=n)
        b.add(f"rel_volume_{n}", n - 1, f"ln(V_t / mean volume of the last {n} bars).",
              lambda ctx, n=n: log(div(ctx.fields["volume"],
                                       rolling_mean(ctx.fields["volume"], n))), n=n)
        b.add(f"mfi_{n}", talib_lookback("MFI", timeperiod=n),
              f"Money flow index({n}) / 100 - 0.5 (TA-Lib MFI).",
              lambda ctx, n=n: ctx.talib("MFI", HLCV, timeperiod=n)[0] / 100.0 - 0.5, n=n)
        b.add(f"obv_slope_{n}", n, f"Change of OBV over {n} bars / volume over {n} bars.",
              lambda ctx, n=n: _flow_slope(ctx, "OBV", ("close", "volume"), n), n=n)
        b.add(f"ad_slope_{n}", n, f"Change of the A/D line over {n} bars / volume over {n} bars.",
              lambda ctx, n=n: _flow_slope(ctx, "AD", HLCV, n), n=n)
        b.add(f"pv_corr_{n}", n, f"Correlation of log return and log volume over {n} bars.",
              lambda ctx, n=n: rolling_corr(ctx.logret, _logv(ctx), n), n=n)
    z = LINE_Z_WINDOW
    b.add("obv", z - 1,
          f"On-balance volume (TA-Lib OBV) as a z-score against its last {z} values.",
          lambda ctx: _line_z(ctx, "OBV", ("close", "volume"), z), n=z)
    b.add("ad", z - 1,
          f"Chaikin A/D line (TA-Lib AD) as a z-score against its last {z} values.",
          lambda ctx: _line_z(ctx, "AD", HLCV, z), n=z)
    adosc = {"fastperiod": 3, "slowperiod": 10}
    b.add("adosc_3_10", max(talib_lookback("ADOSC", **adosc), 9),
          "Chaikin oscillator ADOSC(3, 10) / mean volume of 10 bars.",
          lambda ctx: div(ctx.talib("ADOSC", HLCV, **adosc)[0],
                          rolling_mean(ctx.fields["volume"], 10)),
          convergence=talib_convergence("ADOSC", **adosc), **adosc)
    for n in (2, 13):
        b.add(f"force_index_{n}", n,
              f"Force index: EMA({n}) of (C_t - C_t-1) V_t / EMA({n}) of C_t-1 V_t.",
              lambda ctx, n=n: _force(ctx, n), n=n,
              convergence=ema_convergence(2.0 / (n + 1.0)))
    b.add("dollar_volume_20", 19, "ln(mean of C_t V_t over 20 bars).",
          lambda ctx: log(rolling_mean(ctx.fields["close"] * ctx.fields["volume"], 20)), n=20)
    return b.defs
