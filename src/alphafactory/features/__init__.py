"""Features: TA-Lib indicators and own numpy kernels on panels, registry, causality, windows.

``make_windows`` and ``WindowDataset`` import torch, so they are loaded on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "make_windows": "alphafactory.features.windows",
    "WindowDataset": "alphafactory.features.windows",
}

__all__ = ["WindowDataset", "make_windows"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'alphafactory.features' has no attribute {name!r}")
