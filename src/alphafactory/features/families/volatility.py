"""Volatility: close-to-close, Parkinson, Garman-Klass, Rogers-Satchell, Yang-Zhang (own
kernels), ATR/NATR/TRANGE (TA-Lib), ranges, gaps, volatility ratios, higher moments."""

from __future__ import annotations

import numpy as np

from alphafactory.features import volatility as vol
from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder, div, log
from alphafactory.features.registry import FeatureContext, FeatureDef, talib_lookback
from alphafactory.features.rolling import rolling_mean, rolling_moments, rolling_var, shift
from alphafactory.features.volatility import log_ratio

FAMILY = "volatility"
WINDOWS: tuple[int, ...] = (5, 10, 20, 60, 120)
OHLC = ("open", "high", "low", "close")


def _cc(ctx: FeatureContext, n: int) -> np.ndarray:
    # close_to_close(close, n), from the one-bar log returns the family shares
    return ctx.cached(("cc_vol", n), lambda: np.sqrt(rolling_var(ctx.logret, n)))


def _ohlc(ctx: FeatureContext) -> list[np.ndarray]:
    return [ctx.fields[k] for k in OHLC]


def _moments(ctx: FeatureContext, n: int) -> tuple[np.ndarray, np.ndarray]:
    return ctx.cached(("moments", n), lambda: rolling_moments(ctx.logret, n))


def _term(ctx: FeatureContext, name: str) -> np.ndarray:
    """A per-bar term shared by the windows of this family (its logarithms taken once)."""
    o, h, lo, c = _ohlc(ctx)
    make = {
        "parkinson": lambda: vol.parkinson_term(h, lo),
        "garman_klass": lambda: vol.garman_klass_term(o, h, lo, c),
        "rs": lambda: vol.rs_term(o, h, lo, c),
        "overnight": lambda: log_ratio(o, shift(c, 1)),
        "intraday": lambda: log_ratio(c, o),
    }[name]
    return ctx.cached(("vol_term", name), make)


def _yang_zhang(ctx: FeatureContext, n: int) -> np.ndarray:
    return vol.yang_zhang_from_terms(
        _term(ctx, "overnight"), _term(ctx, "intraday"), _term(ctx, "rs"), n)


def _semi(ctx: FeatureContext, n: int, sign: float) -> np.ndarray:
    r = ctx.logret
    part = np.where(np.isnan(r), np.nan, np.maximum(sign * r, 0.0))
    return np.sqrt(rolling_mean(part * part, n))


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in (w for w in windows if w >= 2):
        b.add(f"cc_vol_{n}", n, f"Std of one-bar log close returns over {n} bars.",
              lambda ctx, n=n: _cc(ctx, n), n=n)
        b.add(f"parkinson_{n}", n - 1, f"Parkinson range volatility over {n} bars.",
              lambda ctx, n=n: vol.parkinson_from_term(_term(ctx, "parkinson"), n), n=n)
        b.add(f"garman_klass_{n}", n - 1, f"Garman-Klass volatility over {n} bars.",
              lambda ctx, n=n: vol.mean_vol_from_term(_term(ctx, "garman_klass"), n), n=n)
        b.add(f"rogers_satchell_{n}", n - 1, f"Rogers-Satchell volatility over {n} bars.",
              lambda ctx, n=n: vol.mean_vol_from_term(_term(ctx, "rs"), n), n=n)
        b.add(f"yang_zhang_{n}", n, f"Yang-Zhang volatility over {n} bars.",
              lambda ctx, n=n: _yang_zhang(ctx, n), n=n)
        b.add(f"natr_{n}", talib_lookback("NATR", timeperiod=n),
              f"Normalized ATR({n}) / 100 = ATR / C (TA-Lib NATR).",
              lambda ctx, n=n: ctx.talib("NATR", OHLC[1:], timeperiod=n)[0] / 100.0, n=n,
              convergence=talib_convergence("NATR", timeperiod=n))
    b.add("atr_14", talib_lookback("ATR", timeperiod=14), "Average true range(14), price units.",
          lambda ctx: ctx.talib("ATR", OHLC[1:], timeperiod=14)[0], n=14,
          convergence=talib_convergence("ATR", timeperiod=14))
    b.add("trange_rel", 1, "True range / C_t (TA-Lib TRANGE).",
          lambda ctx: div(ctx.talib("TRANGE", OHLC[1:])[0], ctx.fields["close"]))
    b.add("hl_range", 0, "ln(H_t / L_t).",
          lambda ctx: log(div(ctx.fields["high"], ctx.fields["low"])))
    b.add("gap", 1, "Overnight gap ln(O_t / C_t-1).",
          lambda ctx: log(div(ctx.fields["open"], shift(ctx.fields["close"], 1))))
    b.add("intraday_ret", 0, "Open-to-close log return ln(C_t / O_t).",
          lambda ctx: log(div(ctx.fields["close"], ctx.fields["open"])))
    for fast, slow in ((5, 60), (20, 120)):
        b.add(f"vol_ratio_{fast}_{slow}", slow, f"cc_vol_{fast} / cc_vol_{slow}.",
              lambda ctx, f=fast, s=slow: div(_cc(ctx, f), _cc(ctx, s)), fast=fast, slow=slow)
    for n in (20, 60):
        b.add(f"skew_{n}", n, f"Skewness of one-bar log returns over {n} bars.",
              lambda ctx, n=n: _moments(ctx, n)[0], n=n)
        b.add(f"kurt_{n}", n, f"Excess kurtosis of one-bar log returns over {n} bars.",
              lambda ctx, n=n: _moments(ctx, n)[1], n=n)
    b.add("downside_vol_20", 20, "sqrt(mean(min(r, 0)^2)) of log returns over 20 bars.",
          lambda ctx: _semi(ctx, 20, -1.0), n=20)
    b.add("upside_vol_20", 20, "sqrt(mean(max(r, 0)^2)) of log returns over 20 bars.",
          lambda ctx: _semi(ctx, 20, 1.0), n=20)
    return b.defs
