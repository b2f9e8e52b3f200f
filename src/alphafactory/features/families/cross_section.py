"""Cross-sectional ranks and z-scores per timestamp, beta, correlation and residuals against the
equal-weight market of the panel (own kernels). With one symbol, ranks are 0 and z-scores NaN."""

from __future__ import annotations

import numpy as np

from alphafactory.features import cross_section as xs
from alphafactory.features.convergence import talib_convergence
from alphafactory.features.families._common import Builder, div, log
from alphafactory.features.microstructure import amihud
from alphafactory.features.registry import FeatureContext, FeatureDef
from alphafactory.features.rolling import (
    rolling_corr,
    rolling_mean,
    rolling_std,
    rolling_sum,
    shift,
)
from alphafactory.features.volatility import close_to_close

FAMILY = "cross_section"
WINDOWS: tuple[int, ...] = (5, 20, 60)
BETA_WINDOW = 60


def _ret(ctx: FeatureContext, n: int) -> np.ndarray:
    # elementwise only, so column-major on the whole panel too (cs_zscore sums its rows)
    def ret(block: FeatureContext) -> np.ndarray:
        c = block.fields["close"]
        return log(div(c, shift(c, n)))

    return ctx.cached(("ret", n), lambda: ctx.by_columns(ret))


def _market(ctx: FeatureContext) -> np.ndarray:
    return ctx.across("market", lambda whole: xs.market_return(whole.logret))


def _beta(ctx: FeatureContext, n: int) -> np.ndarray:
    return ctx.cached(("beta", n), lambda: xs.rolling_beta(ctx.logret, _market(ctx), n))


def _idio_vol(ctx: FeatureContext, n: int) -> np.ndarray:
    corr = rolling_corr(ctx.logret, _market(ctx), n)
    return rolling_std(ctx.logret, n) * np.sqrt(np.maximum(1.0 - corr * corr, 0.0))


def _resid_ret(ctx: FeatureContext, n: int) -> np.ndarray:
    mkt = np.broadcast_to(_market(ctx)[:, None], ctx.shape)
    return rolling_sum(ctx.logret, n) - _beta(ctx, BETA_WINDOW) * rolling_sum(mkt, n)


def _cc_vol(ctx: FeatureContext) -> np.ndarray:
    # Row-major, as this whole-panel result always was: cs_zscore's row sums add in memory
    # order, so its rounding depends on it.
    return ctx.cached("cc_vol_20", lambda: np.ascontiguousarray(ctx.by_columns(
        lambda block: close_to_close(block.fields["close"], 20))))


def _volume_z(ctx: FeatureContext) -> np.ndarray:
    lv = log(ctx.fields["volume"])
    return div(lv - rolling_mean(lv, 20), rolling_std(lv, 20))


def _amihud(ctx: FeatureContext) -> np.ndarray:
    return amihud(ctx.fields["close"], ctx.fields["volume"], 20)


def _rsi(ctx: FeatureContext) -> np.ndarray:
    return ctx.talib("RSI", timeperiod=14)[0]


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    # Ranks and z-scores compare symbols, so they run on the whole panel (cross_sectional);
    # their per-symbol inputs are assembled block by block (by_columns).
    for n in sorted({1, *windows}):
        b.add(f"cs_rank_ret_{n}", n, f"Cross-sectional rank of the {n}-bar log return.",
              lambda ctx, n=n: xs.cs_rank(_ret(ctx, n)), n=n, cross_sectional=True)
        b.add(f"cs_z_ret_{n}", n, f"Cross-sectional z-score of the {n}-bar log return.",
              lambda ctx, n=n: xs.cs_zscore(_ret(ctx, n)), n=n, cross_sectional=True)
    for n in (w for w in windows if w >= 2):
        b.add(f"beta_{n}", n, f"Beta of log returns to the equal-weight market over {n} bars.",
              lambda ctx, n=n: _beta(ctx, n), n=n)
        b.add(f"corr_mkt_{n}", n, f"Correlation with the equal-weight market over {n} bars.",
              lambda ctx, n=n: rolling_corr(ctx.logret, _market(ctx), n), n=n)
    b.add("cs_rank_vol_20", 20, "Cross-sectional rank of cc_vol_20.",
          lambda ctx: xs.cs_rank(_cc_vol(ctx)), n=20, cross_sectional=True)
    b.add("cs_z_vol_20", 20, "Cross-sectional z-score of cc_vol_20.",
          lambda ctx: xs.cs_zscore(_cc_vol(ctx)), n=20, cross_sectional=True)
    b.add("cs_rank_volume_z_20", 19, "Cross-sectional rank of the 20-bar log-volume z-score.",
          lambda ctx: xs.cs_rank(ctx.by_columns(_volume_z)), n=20, cross_sectional=True)
    b.add("cs_rank_amihud_20", 20, "Cross-sectional rank of 20-bar Amihud illiquidity.",
          lambda ctx: xs.cs_rank(ctx.by_columns(_amihud)), n=20, cross_sectional=True)
    b.add("cs_rank_rsi_14", 14, "Cross-sectional rank of RSI(14).",
          lambda ctx: xs.cs_rank(ctx.by_columns(_rsi)), n=14,
          convergence=talib_convergence("RSI", timeperiod=14), cross_sectional=True)
    b.add("idio_vol_60", 60, "Residual volatility after the market over 60 bars.",
          lambda ctx: _idio_vol(ctx, 60), n=60)
    b.add("resid_ret_20", BETA_WINDOW, "20-bar log return minus beta_60 times the market's.",
          lambda ctx: _resid_ret(ctx, 20), n=20, beta_window=BETA_WINDOW)
    return b.defs
