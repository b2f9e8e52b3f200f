"""Block-bootstrap confidence intervals for statistics of serially dependent returns.

Two resampling schemes keep short-range dependence (volatility clustering, overlapping labels):

- ``"stationary"`` (Politis and Romano 1994): blocks of random length, geometric with mean
  ``block``, starting at uniform positions and wrapping around the end (circular). Each resample
  is stationary.
- ``"moving"`` (Kunsch 1989): blocks of exactly ``block`` periods starting at uniform positions in
  ``0 .. n - block``, concatenated and cut to ``n``.

The interval is the percentile interval ``[q_{alpha/2}, q_{1-alpha/2}]`` of the statistic over
``n_boot`` resamples. Index generation is vectorized; the statistic is called once per resample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from alphafactory.evaluation._inputs import ArrayLike, as_series

Scheme = Literal["stationary", "moving"]


@dataclass(frozen=True, kw_only=True, slots=True)
class BootstrapCI:
    """A bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        The statistic on the original sample.
    low, high : float
        Percentile bounds at ``alpha / 2`` and ``1 - alpha / 2``.
    std_error : float
        Standard deviation of the bootstrap distribution.
    alpha : float
        ``1 - coverage``.
    n_boot, block : int
        Resamples drawn and (mean) block length used.
    method : str
        ``"stationary"`` or ``"moving"``.
    """

    estimate: float
    low: float
    high: float
    std_error: float
    alpha: float
    n_boot: int
    block: int
    method: str


def bootstrap_indices(
    n: int, n_boot: int, block: int, rng: np.random.Generator, method: Scheme = "stationary"
) -> np.ndarray:
    """Return ``[n_boot, n]`` resampling positions in ``0 .. n-1`` for the given scheme."""
    if method == "stationary":
        restart = rng.random((n_boot, n)) < 1.0 / block
        restart[:, 0] = True
        starts = rng.integers(0, n, size=(n_boot, n))
        steps = np.arange(n)
        last = np.maximum.accumulate(np.where(restart, steps, 0), axis=1)
        origin = np.take_along_axis(starts, last, axis=1)
        return (origin + steps - last) % n
    if method == "moving":
        n_blocks = -(-n // block)
        starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
        positions = (starts[:, :, None] + np.arange(block)).reshape(n_boot, -1)
        return positions[:, :n]
    raise ValueError(f"method must be 'stationary' or 'moving'; got {method!r}.")


def block_bootstrap_ci(
    returns: ArrayLike,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    block: int | None = None,
    seed: int = 0,
    alpha: float = 0.05,
    *,
    method: Scheme = "stationary",
) -> BootstrapCI:
    """Percentile confidence interval of ``statistic(returns)`` by block bootstrap.

    Parameters
    ----------
    returns : Series or array
        Per-period values ``[n]`` (NaN dropped).
    statistic : callable
        Maps a 1-d float array to a number, e.g. ``lambda r: sharpe_ratio(r, 252)``.
    n_boot : int
        Number of resamples.
    block : int, optional
        Mean (stationary) or fixed (moving) block length in periods; default
        ``max(1, round(n ** (1/3)))``.
    seed : int
        Seed of the generator that draws the resamples.
    alpha : float
        The interval covers ``1 - alpha``.
    method : {"stationary", "moving"}
        Resampling scheme (module docstring).

    Returns
    -------
    BootstrapCI
        Resamples on which the statistic is not finite (e.g. a Sharpe of a constant resample)
        are left out of the quantiles; an error is raised if none is left.
    """
    x = as_series(returns, "returns").to_numpy()
    n = len(x)
    if n < 2:
        raise ValueError(f"a bootstrap needs at least 2 observations; got {n}.")
    if int(n_boot) != n_boot or n_boot < 10:
        raise ValueError(f"n_boot must be an integer >= 10; got {n_boot!r}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1; got {alpha!r}.")
    block = max(1, round(n ** (1.0 / 3.0))) if block is None else block
    if int(block) != block or not 1 <= block <= n:
        raise ValueError(f"block must be an integer in [1, n={n}]; got {block!r}.")
    rng = np.random.default_rng(seed)
    positions = bootstrap_indices(n, int(n_boot), int(block), rng, method)
    draws = np.array([float(statistic(x[row])) for row in positions])
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        raise ValueError("the statistic was not finite on any resample.")
    low, high = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0])
    return BootstrapCI(
        estimate=float(statistic(x)),
        low=float(low),
        high=float(high),
        std_error=float(draws.std(ddof=1)),
        alpha=float(alpha),
        n_boot=int(n_boot),
        block=int(block),
        method=method,
    )
