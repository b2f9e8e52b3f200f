"""A linear "highway" from the raw input window to the score (LSTNet's autoregressive part).

Lai et al. (2018) add a linear read of the inputs to the network's output, so the network only
models what a linear score misses. Over the whole flattened window that read has
``lookback * features`` weights, too many for small data; over the last step(s) it is the
ridge-like read that planted reversal and momentum alphas need.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearHighway(nn.Linear):
    """Score ``[batch, lookback, features]`` windows linearly from their last ``steps`` steps.

    A subclass of ``nn.Linear`` so its state is ``weight`` and ``bias`` under the owner's
    attribute name (artifacts saved before ``steps`` existed still load).

    Parameters
    ----------
    n_features : int
        Features per time step.
    lookback : int or None
        Window length; needed when ``steps`` is None.
    steps : int or None
        Read the last ``steps`` steps (>= 1); None reads the whole window, which must then be
        exactly ``lookback`` steps long.

    Notes
    -----
    A last-steps highway starts at zero: a planted alpha's least-squares weights are a few
    hundredths (labels in units of their standard deviation), far below the default
    initialisation's ``1 / sqrt(width)``, which a short fit does not unlearn. The whole-window
    highway keeps the default initialisation it always had.
    """

    def __init__(self, n_features: int, lookback: int | None, steps: int | None = None) -> None:
        if steps is None and lookback is None:
            raise ValueError("A highway over the whole window needs the lookback to size it.")
        if steps is not None and (steps < 1 or (lookback is not None and steps > lookback)):
            raise ValueError(f"highway_steps must be in [1, lookback={lookback}], got {steps}.")
        width = lookback if steps is None else steps
        assert width is not None
        super().__init__(width * n_features, 1)
        self.lookback = lookback
        self.steps = steps
        if steps is not None:
            zero_output(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the linear score ``[batch]`` of windows ``x`` ``[batch, lookback, features]``."""
        if self.steps is None:
            if x.shape[1] != self.lookback:
                raise ValueError(
                    f"The highway was built for windows of {self.lookback} steps; got {x.shape[1]}."
                )
            return super().forward(x.flatten(1)).squeeze(-1)
        if x.shape[1] < self.steps:
            raise ValueError(f"The highway reads {self.steps} steps; got windows of {x.shape[1]}.")
        return super().forward(x[:, -self.steps :, :].flatten(1)).squeeze(-1)


def zero_output(layer: nn.Linear) -> None:
    """Set ``layer``'s weights and bias to zero (a network's output layer beside a highway)."""
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)


def attach_highway(
    n_features: int, lookback: int | None, highway: bool, steps: int | None, head: nn.Linear
) -> LinearHighway | None:
    """Return the highway a model's config asks for, or None.

    Parameters
    ----------
    n_features : int
        Features per time step.
    lookback : int or None
        Window length (needed for a whole-window highway).
    highway : bool
        Whether the config asks for a highway.
    steps : int or None
        The config's ``highway_steps``. When set, the network's output layer ``head`` is set to
        zero as well, so the model starts from the zero score and the network adds only what
        the data pays for.
    head : nn.Linear
        The network's output layer.

    Raises
    ------
    ValueError
        For ``highway_steps`` without ``highway``, or out of ``[1, lookback]``.
    """
    if not highway:
        if steps is not None:
            raise ValueError(f"highway_steps={steps} needs highway=True.")
        return None
    if steps is not None:
        zero_output(head)
    return LinearHighway(n_features, lookback, steps)
