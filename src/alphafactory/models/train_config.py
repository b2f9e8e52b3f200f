"""Training configuration shared by every torch model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from alphafactory.models.losses import LOSSES, LossName


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainConfig:
    """How the :class:`~alphafactory.models.Trainer` fits a torch model.

    Parameters
    ----------
    epochs : int
        Maximum passes over the training samples.
    batch_size : int
        Samples per optimisation step (for the cross-sectional ranker, about this many samples:
        whole timestamps are batched together).
    lr : float
        Peak AdamW learning rate.
    weight_decay : float
        AdamW decoupled weight decay.
    schedule : {"cosine", "constant"}
        Learning rate per step: linear warm-up over ``warmup_frac`` of all steps, then cosine
        decay to zero, or constant.
    warmup_frac : float
        Share of all steps spent warming up (cosine schedule only).
    grad_clip : float
        Maximum global gradient norm; 0 turns clipping off.
    loss : {"mse", "huber", "ic", "rank_ic", "bce"}
        Training loss (see :mod:`alphafactory.models.losses`).
    monitor : {"loss", "ic"}
        Early stopping watches the validation loss (lower is better) or the validation IC
        (higher is better); the best epoch's weights are restored at the end.
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        Smallest change that counts as an improvement.
    max_batches_per_epoch : int or None
        Cap on steps per epoch (a fresh random subset each epoch); None uses every sample.
    device : str
        ``"auto"`` (cuda when present, else cpu), ``"cpu"`` or ``"cuda[:i]"``.
    amp : bool
        bfloat16 autocast on CUDA; ignored on CPU, where training stays float32 and exact.
    progress : bool or None
        Show a tqdm progress bar; None shows it only when stderr is a terminal.
    """

    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: Literal["cosine", "constant"] = "cosine"
    warmup_frac: float = 0.05
    grad_clip: float = 1.0
    loss: LossName = "mse"
    monitor: Literal["loss", "ic"] = "loss"
    patience: int = 5
    min_delta: float = 0.0
    max_batches_per_epoch: int | None = None
    device: str = "auto"
    amp: bool = True
    progress: bool | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(
                f"epochs and batch_size must be >= 1; got {self.epochs} and {self.batch_size}."
            )
        if self.loss not in LOSSES:
            raise ValueError(f"Unknown loss {self.loss!r}; expected one of {sorted(LOSSES)}.")
        if self.schedule not in ("cosine", "constant"):
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {self.schedule!r}.")
        if self.monitor not in ("loss", "ic"):
            raise ValueError(f"monitor must be 'loss' or 'ic', got {self.monitor!r}.")
        if not 0.0 <= self.warmup_frac < 1.0:
            raise ValueError(f"warmup_frac must be in [0, 1), got {self.warmup_frac}.")
        if self.patience < 1:
            raise ValueError(f"patience must be >= 1, got {self.patience}.")
        if self.max_batches_per_epoch is not None and self.max_batches_per_epoch < 1:
            raise ValueError(
                f"max_batches_per_epoch must be >= 1 or None, got {self.max_batches_per_epoch}."
            )
