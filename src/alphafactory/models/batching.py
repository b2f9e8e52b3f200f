"""Turn sample indices into model inputs: flat windows, or whole timestamps for the ranker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from alphafactory.features.windows import Windows


@dataclass(frozen=True, slots=True)
class Batch:
    """One step's inputs.

    ``x`` is ``[b, lookback, F]`` (per-sample models) or ``[G, N, lookback, F]`` with ``mask``
    ``[G, N]`` (cross-sectional models); ``sample`` ``[b]`` are the samples in output order
    (``out[mask]`` for cross-sectional models), ``groups`` ``[b]`` dense ids ``0..G-1`` or None.
    """

    x: torch.Tensor
    mask: torch.Tensor | None
    symbol_ids: torch.Tensor | None
    sample: np.ndarray
    groups: torch.Tensor | None


def is_cross_sectional(module: torch.nn.Module) -> bool:
    """Return True for modules that score ``[timestamps, symbols, ...]`` at once."""
    return bool(getattr(module, "cross_sectional", False))


class Batcher:
    """Build batches of ``windows`` for ``module``.

    Per-sample modules get ``batch_size`` samples at a time. Cross-sectional modules get whole
    timestamps, ``max(1, batch_size // largest timestamp)`` of them per batch, padded with a mask.
    ``needs_groups=False`` skips the per-batch timestamp ids of per-sample batches (losses that
    do not group, like MSE).
    """

    def __init__(
        self,
        windows: Windows,
        batch_size: int,
        cross_sectional: bool,
        *,
        needs_groups: bool = True,
    ) -> None:
        self.windows = windows
        self.needs_groups = needs_groups
        self.batch_size = batch_size
        self.cross_sectional = cross_sectional
        groups = windows.groups
        if cross_sectional:
            if groups is None:
                raise ValueError(
                    "A cross-sectional model needs samples grouped by timestamp (Windows.groups)."
                )
            self._order = np.argsort(groups, kind="stable")
            _, self._starts, self._counts = np.unique(
                groups[self._order], return_index=True, return_counts=True
            )
            per_batch = max(1, batch_size // int(self._counts.max(initial=1)))
            self.units = len(self._counts)
            self.unit_size = per_batch
        else:
            self.units = len(windows)
            self.unit_size = batch_size

    def n_batches(self) -> int:
        return -(-self.units // self.unit_size)

    def batches(self, order: np.ndarray) -> list[np.ndarray]:
        """Split a permutation of the units (samples or timestamps) into batch chunks."""
        return [order[i : i + self.unit_size] for i in range(0, len(order), self.unit_size)]

    def make(self, chunk: np.ndarray, device: torch.device) -> Batch:
        """Gather the inputs of one chunk of units onto ``device``."""
        if not self.cross_sectional:
            x = torch.from_numpy(self.windows.gather(chunk)).to(device)
            groups = None
            if self.needs_groups and self.windows.groups is not None:
                _, dense = np.unique(self.windows.groups[chunk], return_inverse=True)
                groups = torch.from_numpy(dense.astype(np.int64)).to(device)
            return Batch(x, None, None, chunk, groups)
        counts = self._counts[chunk]
        row = np.repeat(np.arange(len(chunk)), counts)
        col = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        sample = self._order[np.repeat(self._starts[chunk], counts) + col]
        w = self.windows
        x = np.zeros((len(chunk), int(counts.max()), w.lookback, w.n_features), dtype=np.float32)
        x[row, col] = w.gather(sample)
        mask = np.zeros(x.shape[:2], dtype=bool)
        mask[row, col] = True
        symbol_ids = None
        if w.symbols is not None:
            ids = np.zeros(x.shape[:2], dtype=np.int64)
            ids[row, col] = w.symbols[sample]
            symbol_ids = torch.from_numpy(ids).to(device)
        return Batch(
            torch.from_numpy(x).to(device),
            torch.from_numpy(mask).to(device),
            symbol_ids,
            sample,
            torch.from_numpy(row.astype(np.int64)).to(device),
        )


def forward(module: torch.nn.Module, batch: Batch) -> torch.Tensor:
    """Run ``module`` on ``batch`` and return flat scores ``[b]`` in ``batch.sample`` order."""
    if batch.mask is None:
        return module(batch.x)
    ids = batch.symbol_ids if getattr(module, "symbol_embedding", None) is not None else None
    return module(batch.x, batch.mask, ids)[batch.mask]
