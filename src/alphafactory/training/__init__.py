"""Training: walk-forward splits and runs, the final refit, experiments, self-tests, robustness.

The shared Trainer, losses and windows are re-exported from :mod:`alphafactory.models` and
:mod:`alphafactory.features.windows`.

Names load on first access so that ``alphafactory train --help`` starts without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported eagerly: the function must shadow its submodule's name (torch-free at import).
from alphafactory.training.walk_forward import WalkForwardResult as WalkForwardResult
from alphafactory.training.walk_forward import walk_forward as walk_forward

# Name -> module. The training loop and the windows live below this package (models and
# features), so that models never import training; they are re-exported here.
_LAZY: dict[str, str] = {
    "LOSSES": "alphafactory.models.losses",
    "get_loss": "alphafactory.models.losses",
    "TrainConfig": "alphafactory.models.train_config",
    "Trainer": "alphafactory.models.trainer",
    "resolve_device": "alphafactory.models.trainer",
    "seed_everything": "alphafactory.models.seeding",
    "ArrayWindows": "alphafactory.features.windows",
    "PanelWindows": "alphafactory.features.windows",
    "Windows": "alphafactory.features.windows",
    "as_windows": "alphafactory.features.windows",
    "WalkForward": "alphafactory.training.splits",
    "adversarial_noisy_eval": "alphafactory.training.robustness",
    "SelfTestResult": "alphafactory.training.selftest",
    "SelfTestSettings": "alphafactory.training.selftest",
    "run_selftest": "alphafactory.training.selftest",
    "ExperimentConfig": "alphafactory.training.experiment",
    "run_experiment": "alphafactory.training.experiment",
    "fit_final": "alphafactory.training.final",
    "NonFiniteInputWarning": "alphafactory.training.sample_audit",
}

__all__ = sorted([*_LAZY, "WalkForwardResult", "walk_forward"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
