"""alphafactory: from OHLCV bars to features, walk-forward models, signals and book-level backtests.

Subpackages are imported on first use (``af.data``, ``af.features``, ...) so that
``import alphafactory`` and the CLI start fast without loading torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBPACKAGES = (
    "backtest",
    "data",
    "engine",
    "evaluation",
    "execution",
    "features",
    "labels",
    "models",
    "runs",
    "signals",
    "training",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'alphafactory' has no attribute {name!r}")
