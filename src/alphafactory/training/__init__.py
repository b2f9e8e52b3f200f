"""Training: the shared Trainer, losses, windows, walk-forward splits and robustness checks."""

from alphafactory.training.config import TrainConfig
from alphafactory.training.fold_data import ZScoreNormalizer
from alphafactory.training.losses import LOSSES, get_loss
from alphafactory.training.robustness import adversarial_noisy_eval
from alphafactory.training.seeding import seed_everything
from alphafactory.training.selftest import SelfTestResult, SelfTestSettings, run_selftest
from alphafactory.training.splits import WalkForward
from alphafactory.training.trainer import Trainer, resolve_device
from alphafactory.training.walk_forward import WalkForwardResult, walk_forward
from alphafactory.training.windows import ArrayWindows, PanelWindows, Windows, as_windows

__all__ = [
    "LOSSES",
    "ArrayWindows",
    "PanelWindows",
    "SelfTestResult",
    "SelfTestSettings",
    "TrainConfig",
    "Trainer",
    "WalkForward",
    "WalkForwardResult",
    "Windows",
    "ZScoreNormalizer",
    "adversarial_noisy_eval",
    "as_windows",
    "get_loss",
    "resolve_device",
    "run_selftest",
    "seed_everything",
    "walk_forward",
]
