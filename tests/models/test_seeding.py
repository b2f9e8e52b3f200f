from __future__ import annotations

import os
import sys

import torch

from alphafactory.models.seeding import seed_everything


def test_seed_everything_turns_on_deterministic_algorithms_in_warn_only_mode():
    seed_everything(0)
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()


def test_seed_everything_does_not_load_the_compiler_but_makes_it_deterministic(monkeypatch):
    # Unloaded here (restored after): seeding must not import it, and a later import of the
    # compiler's config reads TORCHINDUCTOR_DETERMINISTIC as its default.
    monkeypatch.delitem(sys.modules, "torch._inductor.config", raising=False)
    monkeypatch.delenv("TORCHINDUCTOR_DETERMINISTIC", raising=False)
    seed_everything(0)
    assert "torch._inductor.config" not in sys.modules
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["TORCHINDUCTOR_DETERMINISTIC"] == "1"
