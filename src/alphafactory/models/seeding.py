"""One seed for Python, numpy and torch, and deterministic torch kernels."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed ``random``, numpy's legacy global generator and torch (CPU and CUDA).

    Also asks torch for deterministic algorithms (``warn_only`` so that an op without a
    deterministic kernel on GPU warns instead of failing). Called by ``fit``, never by a
    constructor.
    """
    # cuBLAS needs this before CUDA starts to be deterministic; harmless on CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (seeds user code that uses the legacy API)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` (unchanged when ``n`` is None)."""
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
