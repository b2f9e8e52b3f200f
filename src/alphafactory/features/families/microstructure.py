"""Microstructure proxies from bars: Amihud, Roll, Corwin-Schultz, Kyle's lambda, bulk-volume
VPIN, order-flow imbalance and close location value (own kernels)."""

from __future__ import annotations

import numpy as np

from alphafactory.features import microstructure as ms
from alphafactory.features.families._common import Builder, div, log
from alphafactory.features.registry import FeatureContext, FeatureDef
from alphafactory.features.rolling import rolling_mean

FAMILY = "microstructure"
WINDOWS: tuple[int, ...] = (5, 20, 60)
VPIN_MIN_SIGMA = 20  # bars behind the volatility that standardizes price changes in VPIN


def _fields(ctx: FeatureContext, *names: str) -> list[np.ndarray]:
    return [ctx.fields[k] for k in names]


# Per-bar terms shared by the family's windows (amihud(c, v, n) and corwin_schultz(h, l, n)
# are the window means of these).
def _amihud_term(ctx: FeatureContext) -> np.ndarray:
    return ctx.cached("amihud_term", lambda: ms.amihud_term(*_fields(ctx, "close", "volume")))


def _cs_spread(ctx: FeatureContext) -> np.ndarray:
    return ctx.cached("cs_spread", lambda: ms.corwin_schultz_spread(*_fields(ctx, "high", "low")))


def _clv(ctx: FeatureContext) -> np.ndarray:
    h, lo, c = _fields(ctx, "high", "low", "close")
    rng = h - lo
    return np.where(rng > 0, div((c - lo) - (h - c), rng), np.where(np.isnan(rng), np.nan, 0.0))


def _signed_dollar_volume(ctx: FeatureContext) -> np.ndarray:
    """Tick-rule signed traded value in millions: sign(C_t - C_t-1) C_t V_t / 1e6."""
    c, v = _fields(ctx, "close", "volume")
    return np.sign(ctx.logret) * c * v / 1e6


def definitions(windows: tuple[int, ...]) -> list[FeatureDef]:
    b = Builder(FAMILY)
    for n in (w for w in windows if w >= 2):
        b.add(f"amihud_{n}", n, f"ln Amihud illiquidity: mean |r| / (C V) over {n} bars.",
              lambda ctx, n=n: log(rolling_mean(_amihud_term(ctx), n)), n=n)
        b.add(f"roll_spread_{n}", n + 1,
              f"Roll's relative spread from log-price autocovariance over {n} bars.",
              lambda ctx, n=n: ms.roll_spread(log(ctx.fields["close"]), n), n=n)
        b.add(f"cs_spread_{n}", n, f"Corwin-Schultz high-low spread, mean over {n} bars.",
              lambda ctx, n=n: rolling_mean(_cs_spread(ctx), n), n=n)
        b.add(f"kyle_lambda_{n}", n,
              f"Kyle's lambda: slope of log return on signed $ volume (millions), {n} bars.",
              lambda ctx, n=n: ms.kyle_lambda(ctx.logret, _signed_dollar_volume(ctx), n), n=n)
        sigma = max(n, VPIN_MIN_SIGMA)
        b.add(f"vpin_{n}", sigma + n - 1,
              f"Bulk-volume VPIN over {n} bars (sigma over {sigma} bars).",
              lambda ctx, n=n, s=sigma: ms.vpin(*_fields(ctx, "close", "volume"), n, s),
              n=n, sigma_window=sigma)
        b.add(f"ofi_{n}", n - 1, f"Order-flow imbalance proxy over {n} bars, in [-1, 1].",
              lambda ctx, n=n: ms.order_flow_imbalance(
                  *_fields(ctx, "open", "high", "low", "close", "volume"), n), n=n)
        b.add(f"clv_mean_{n}", n - 1, f"Mean close location value over {n} bars.",
              lambda ctx, n=n: rolling_mean(_clv(ctx), n), n=n)
    b.add("clv", 0, "Close location value ((C - L) - (H - C)) / (H - L), in [-1, 1].", _clv)
    return b.defs
