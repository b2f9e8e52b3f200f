"""One seed for Python, numpy and torch, and deterministic torch kernels."""

from __future__ import annotations

import os
import random
import sys
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
    _use_deterministic_algorithms()


def _use_deterministic_algorithms() -> None:
    """``torch.use_deterministic_algorithms(True, warn_only=True)``, without its import cost.

    The public call also sets ``torch._inductor.config.deterministic``, and importing that module
    loads the whole compiler stack (seconds per process, half a minute on a loaded machine, paid
    by every walk-forward worker) though nothing here compiles. So the kernel flag is set
    directly and the compiler's flag through its environment default, which it reads when a
    later ``torch.compile`` imports it; once it is loaded, the public call sets both.
    """
    set_flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if "torch._inductor.config" in sys.modules or set_flag is None:
        torch.use_deterministic_algorithms(True, warn_only=True)
        return
    os.environ.setdefault("TORCHINDUCTOR_DETERMINISTIC", "1")
    set_flag(True, warn_only=True)


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
