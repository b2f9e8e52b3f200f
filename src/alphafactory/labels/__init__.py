"""Labels: forward returns, direction, triple barrier and meta-labels (each states its horizon)."""

from alphafactory.labels.barriers import meta_labels, triple_barrier
from alphafactory.labels.forward import direction, entry_exit_prices, forward_returns

__all__ = ["direction", "entry_exit_prices", "forward_returns", "meta_labels", "triple_barrier"]
