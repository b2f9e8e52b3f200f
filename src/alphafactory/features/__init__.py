"""Features: TA-Lib indicators and own numpy kernels on panels, registry, causality, windows.

Own kernels (volatility estimators, microstructure proxies, rolling regressions,
cross-sectional transforms) are vectorized numpy on wide ``T x N`` arrays; TA-Lib computes
everything it has, per symbol column, through the compiled driver of
:mod:`alphafactory.features.talib_panel`. ``make_windows`` and the windows classes import torch,
so they load on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

from alphafactory.features.build import build_features
from alphafactory.features.causality import (
    CausalityFailure,
    CausalityReport,
    NotCausalError,
    check_causal,
)
from alphafactory.features.cross_section import (
    cs_demean,
    cs_rank,
    cs_zscore,
    market_return,
    rolling_beta,
)
from alphafactory.features.indicators import (
    adx,
    atr,
    bbands,
    cci,
    ema,
    macd,
    mfi,
    natr,
    obv,
    rsi,
    sma,
    stoch,
    willr,
)
from alphafactory.features.microstructure import (
    amihud,
    corwin_schultz,
    kyle_lambda,
    order_flow_imbalance,
    roll_spread,
    vpin,
)
from alphafactory.features.registry import FeatureContext, FeatureDef, FeatureSpec, list_features
from alphafactory.features.rolling import rolling_corr, rolling_cov, rolling_mean, rolling_std
from alphafactory.features.talib_panel import apply_talib
from alphafactory.features.volatility import (
    close_to_close,
    garman_klass,
    parkinson,
    rogers_satchell,
    yang_zhang,
)

_LAZY = {
    "make_windows": "alphafactory.features.window_frames",
    "WindowDataset": "alphafactory.features.windows",
    "PanelWindows": "alphafactory.features.windows",
    "ArrayWindows": "alphafactory.features.windows",
    "Windows": "alphafactory.features.windows",
    "as_windows": "alphafactory.features.windows",
    "RollingZScore": "alphafactory.features.normalize",
    "CrossSectionalRank": "alphafactory.features.normalize",
    "Standardizer": "alphafactory.features.normalize",
    "NotFittedError": "alphafactory.features.normalize",
    "RegimeModel": "alphafactory.features.regimes",
    "RegimeFeatures": "alphafactory.features.regime_features",
    "regime_filter": "alphafactory.features.regimes",
    "regime_mask": "alphafactory.features.regimes",
}

__all__ = [
    "ArrayWindows",
    "CausalityFailure",
    "CausalityReport",
    "CrossSectionalRank",
    "FeatureContext",
    "FeatureDef",
    "FeatureSpec",
    "NotCausalError",
    "NotFittedError",
    "PanelWindows",
    "RegimeFeatures",
    "RegimeModel",
    "RollingZScore",
    "Standardizer",
    "WindowDataset",
    "Windows",
    "adx",
    "amihud",
    "apply_talib",
    "as_windows",
    "atr",
    "bbands",
    "build_features",
    "cci",
    "check_causal",
    "close_to_close",
    "corwin_schultz",
    "cs_demean",
    "cs_rank",
    "cs_zscore",
    "ema",
    "garman_klass",
    "kyle_lambda",
    "list_features",
    "macd",
    "make_windows",
    "market_return",
    "mfi",
    "natr",
    "obv",
    "order_flow_imbalance",
    "parkinson",
    "regime_filter",
    "regime_mask",
    "rogers_satchell",
    "roll_spread",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "rolling_mean",
    "rolling_std",
    "rsi",
    "sma",
    "stoch",
    "vpin",
    "willr",
    "yang_zhang",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'alphafactory.features' has no attribute {name!r}")
