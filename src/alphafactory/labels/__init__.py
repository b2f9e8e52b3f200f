"""Labels: forward returns, direction, triple barrier and meta-labels (each states its horizon)."""

from alphafactory.labels.forward import direction, forward_returns

__all__ = ["direction", "forward_returns"]
