"""The one training loop for every torch model.

AdamW, a per-step learning-rate schedule, gradient clipping, early stopping on the validation
loss or IC with the best weights restored, bfloat16 autocast on CUDA, a tqdm progress bar and
checkpoints that carry every RNG state, so that training ``k`` epochs, saving, loading and
training on gives bit-identical weights to one straight run (on CPU).
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from alphafactory.features.windows import Windows
from alphafactory.models.batching import Batcher, forward, is_cross_sectional
from alphafactory.models.losses import dense_groups, get_loss, grouped_correlation
from alphafactory.models.train_config import TrainConfig


def resolve_device(device: str) -> torch.device:
    """Return cuda for ``"auto"`` when a GPU is present, else cpu; other names as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Trainer:
    """Fit a ``torch.nn.Module`` on :class:`~alphafactory.features.windows.Windows`.

    Parameters
    ----------
    config : TrainConfig, optional
        Optimisation settings; ``TrainConfig()`` by default.
    seed : int
        Seeds the shuffling generator (the module's initial weights are the caller's business:
        estimators seed before building the module).

    Attributes
    ----------
    history : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_ic``, ``lr``.
    best_epoch : int or None
        Epoch (1-based) whose weights were restored; None without validation data.
    val_predictions : ndarray or None
        The validation scores of the restored weights (float64, sample order), kept from that
        epoch's validation pass: what ``predict(module, val)`` returns after ``fit``, without a
        second pass over the validation set. None when no best weights were restored.
    """

    def __init__(self, config: TrainConfig | None = None, *, seed: int = 0) -> None:
        self.config = config or TrainConfig()
        self.seed = seed
        self.device = resolve_device(self.config.device)
        self.history: list[dict[str, float]] = []
        self.best_epoch: int | None = None
        self.val_predictions: np.ndarray | None = None
        self._loss = get_loss(self.config.loss)
        self._grouped_loss = self.config.loss in ("ic", "rank_ic")
        self._state: dict[str, Any] | None = None

    # ------------------------------------------------------------------ training
    def fit(
        self,
        module: torch.nn.Module,
        train: Windows,
        val: Windows | None = None,
        *,
        until_epoch: int | None = None,
    ) -> torch.nn.Module:
        """Train ``module`` in place and return it.

        Parameters
        ----------
        module : nn.Module
            Maps ``[b, lookback, F]`` to ``[b]`` (or a cross-sectional module, see
            :class:`~alphafactory.models.CrossSectionalTransformer`).
        train, val : Windows
            Training samples and labels; validation samples for early stopping (optional).
        until_epoch : int, optional
            Pause after this epoch (to checkpoint and resume); training is complete, and the
            best weights restored, only when ``config.epochs`` are done or early stopping fires.
        """
        if train.labels is None or len(train) == 0:
            raise ValueError("Trainer.fit needs labelled training windows (labels were missing).")
        cfg = self.config
        module.to(self.device)
        batcher = Batcher(
            train, cfg.batch_size, is_cross_sectional(module), needs_groups=self._grouped_loss
        )
        steps = batcher.n_batches()
        if cfg.max_batches_per_epoch is not None:
            steps = min(steps, cfg.max_batches_per_epoch)
        if self._state is None:
            self._init_state(module, steps)
        state = self._state
        assert state is not None
        stop_at = cfg.epochs if until_epoch is None else min(until_epoch, cfg.epochs)
        labels = torch.from_numpy(train.labels.astype(np.float32)).to(self.device)
        bar = tqdm(
            total=cfg.epochs,
            initial=state["epoch"],
            desc=type(module).__name__,
            disable=None if cfg.progress is None else not cfg.progress,
            leave=False,
        )
        try:
            while state["epoch"] < stop_at and not state["stopped"]:
                train_loss = self._train_epoch(module, batcher, labels, steps)
                record = {"epoch": state["epoch"] + 1, "train_loss": train_loss}
                val_metrics, val_pred = self._validate(module, val)
                record.update(val_metrics)
                record["lr"] = state["optimizer"].param_groups[0]["lr"]
                state["epoch"] += 1
                self.history.append(record)
                self._early_stopping(module, record, val_pred)
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k != "epoch"})
        finally:
            bar.close()
        if state["epoch"] >= cfg.epochs or state["stopped"]:
            self._finish(module)
        return module

    def _init_state(self, module: torch.nn.Module, steps: int) -> None:
        cfg = self.config
        optimizer = torch.optim.AdamW(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        total = max(1, cfg.epochs * steps)
        warmup = int(cfg.warmup_frac * total)

        def factor(step: int) -> float:
            if cfg.schedule == "constant":
                return 1.0
            if step < warmup:
                return (step + 1) / warmup
            progress = (step - warmup) / max(1, total - warmup)
            return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

        generator = torch.Generator().manual_seed(self.seed)
        self._state = {
            "optimizer": optimizer,
            "scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, factor),
            "generator": generator,
            "epoch": 0,
            "best_score": -math.inf,
            "best_weights": None,
            "best_val_pred": None,
            "bad_epochs": 0,
            "stopped": False,
        }

    def _train_epoch(
        self, module: torch.nn.Module, batcher: Batcher, labels: torch.Tensor, steps: int
    ) -> float:
        assert self._state is not None
        cfg, state = self.config, self._state
        module.train()
        order = torch.randperm(batcher.units, generator=state["generator"]).numpy()
        total, count = 0.0, 0
        for chunk in batcher.batches(order)[:steps]:
            batch = batcher.make(chunk, self.device)
            with self._autocast():
                pred = forward(module, batch)
            loss = self._loss(pred.float(), labels[batch.sample], batch.groups)
            state["optimizer"].zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip)
            state["optimizer"].step()
            state["scheduler"].step()
            total += float(loss.detach()) * len(batch.sample)
            count += len(batch.sample)
        return total / max(count, 1)

    def _validate(
        self, module: torch.nn.Module, val: Windows | None
    ) -> tuple[dict[str, float], np.ndarray | None]:
        """Return the validation metrics and the float64 scores they were computed from."""
        if val is None or len(val) == 0 or val.labels is None:
            return {}, None
        scores = self.predict(module, val)
        pred = torch.from_numpy(scores.astype(np.float32))
        y = torch.from_numpy(val.labels.astype(np.float32))
        groups = None
        if val.groups is not None:
            groups = dense_groups(torch.from_numpy(val.groups))
        metrics = {
            "val_loss": float(self._loss(pred, y, groups)),
            "val_ic": float(grouped_correlation(pred, y, groups)),
        }
        return metrics, scores

    def _early_stopping(
        self, module: torch.nn.Module, record: dict[str, float], val_pred: np.ndarray | None
    ) -> None:
        assert self._state is not None
        state = self._state
        if "val_loss" not in record:
            return
        score = record["val_ic"] if self.config.monitor == "ic" else -record["val_loss"]
        if not math.isfinite(score):
            score = -math.inf
        if score > state["best_score"] + self.config.min_delta:
            state["best_score"] = score
            state["best_weights"] = {k: v.detach().clone() for k, v in module.state_dict().items()}
            state["best_val_pred"] = val_pred  # the scores these weights give the val set
            state["best_epoch"] = int(record["epoch"])
            state["bad_epochs"] = 0
        else:
            state["bad_epochs"] += 1
            if state["bad_epochs"] >= self.config.patience:
                state["stopped"] = True

    def _finish(self, module: torch.nn.Module) -> None:
        assert self._state is not None
        if self._state["best_weights"] is not None:
            module.load_state_dict(self._state["best_weights"])
            self.best_epoch = self._state["best_epoch"]
            # None after a resumed checkpoint (not saved in it): predict the val set again.
            self.val_predictions = self._state.get("best_val_pred")

    def _autocast(self) -> Any:
        if self.device.type == "cuda" and self.config.amp:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return torch.autocast(device_type="cpu", enabled=False)

    # ---------------------------------------------------------------- inference
    @torch.inference_mode()  # no autograd bookkeeping at all (faster than no_grad)
    def predict(self, module: torch.nn.Module, windows: Windows) -> np.ndarray:
        """Return float64 scores ``[len(windows)]`` in sample order (module in eval mode)."""
        module.to(self.device)
        module.eval()
        batcher = Batcher(
            windows,
            max(self.config.batch_size, 1024),
            is_cross_sectional(module),
            needs_groups=False,
        )
        out = np.empty(len(windows), dtype=np.float64)
        for chunk in batcher.batches(np.arange(batcher.units)):
            batch = batcher.make(chunk, self.device)
            with self._autocast():
                out[batch.sample] = forward(module, batch).float().cpu().numpy()
        return out

    # -------------------------------------------------------------- checkpoints
    def save_checkpoint(self, path: str | Path, module: torch.nn.Module) -> None:
        """Write the module, optimiser, schedule, early-stopping state and every RNG state."""
        if self._state is None:
            raise RuntimeError("Nothing to checkpoint: call fit() first.")
        s = self._state
        np_state = np.random.get_state()  # noqa: NPY002
        torch.save(
            {
                "module": module.state_dict(),
                "optimizer": s["optimizer"].state_dict(),
                "scheduler": s["scheduler"].state_dict(),
                "generator": s["generator"].get_state(),
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                "numpy_rng": [np_state[0], np_state[1].tolist(), *np_state[2:]],
                "python_rng": random.getstate(),
                "progress": {k: s[k] for k in ("epoch", "best_score", "bad_epochs", "stopped")},
                "best_epoch": s.get("best_epoch"),
                "best_weights": s["best_weights"],
                "history": self.history,
                "config": asdict(self.config),
                "seed": self.seed,
            },
            path,
        )

    def load_checkpoint(self, path: str | Path, module: torch.nn.Module, train: Windows) -> None:
        """Restore a checkpoint into ``module`` and this trainer; ``fit`` then continues it.

        ``train`` must be the same training windows (it sizes the learning-rate schedule).
        """
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if ckpt["config"] != asdict(self.config) or ckpt["seed"] != self.seed:
            raise ValueError(
                "The checkpoint was written with another TrainConfig or seed; build the Trainer "
                f"with config={ckpt['config']} and seed={ckpt['seed']}."
            )
        module.load_state_dict(ckpt["module"])
        module.to(self.device)
        batcher = Batcher(train, self.config.batch_size, is_cross_sectional(module))
        steps = batcher.n_batches()
        if self.config.max_batches_per_epoch is not None:
            steps = min(steps, self.config.max_batches_per_epoch)
        self._init_state(module, steps)
        s = self._state
        assert s is not None
        s["optimizer"].load_state_dict(ckpt["optimizer"])
        s["scheduler"].load_state_dict(ckpt["scheduler"])
        s["generator"].set_state(ckpt["generator"])
        s.update(ckpt["progress"])
        s["best_weights"] = ckpt["best_weights"]
        s["best_epoch"] = ckpt["best_epoch"]
        torch.set_rng_state(ckpt["torch_rng"])
        if ckpt["cuda_rng"]:
            torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
        kind, keys, *rest = ckpt["numpy_rng"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), *rest))  # noqa: NPY002
        random.setstate(ckpt["python_rng"])
        self.history = list(ckpt["history"])
