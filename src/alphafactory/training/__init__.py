"""Training: the shared Trainer, losses, windows, walk-forward splits, self-tests, robustness.

Names load on first access so that ``alphafactory train --help`` starts without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported eagerly: the function must shadow its submodule's name (torch-free at import).
from alphafactory.training.walk_forward import WalkForwardResult as WalkForwardResult
from alphafactory.training.walk_forward import walk_forward as walk_forward

_LAZY: dict[str, str] = {
    "LOSSES": "losses",
    "get_loss": "losses",
    "TrainConfig": "config",
    "Trainer": "trainer",
    "resolve_device": "trainer",
    "seed_everything": "seeding",
    "ArrayWindows": "windows",
    "PanelWindows": "windows",
    "Windows": "windows",
    "as_windows": "windows",
    "WalkForward": "splits",
    "adversarial_noisy_eval": "robustness",
    "SelfTestResult": "selftest",
    "SelfTestSettings": "selftest",
    "run_selftest": "selftest",
    "ExperimentConfig": "experiment",
    "run_experiment": "experiment",
}

__all__ = sorted([*_LAZY, "WalkForwardResult", "walk_forward"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
