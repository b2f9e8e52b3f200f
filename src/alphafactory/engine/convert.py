"""Exact conversion between prices/quantities in units and integer ticks/lots.

A value within 1e-9 (relative) of a multiple of the step is that multiple; anything else is an
error that names the first offending row. Conversion happens once, at the facade's boundary.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from alphafactory import _engine

__all__ = ["decimals_of", "from_steps", "to_step", "to_steps"]

_REL_TOL = 1e-9


def to_steps(values: np.ndarray, step: float, *, what: str = "price", limit: int | None = None,
             mask: np.ndarray | None = None) -> np.ndarray:
    """Convert values in units to int64 multiples of ``step`` (ticks or lots).

    Parameters
    ----------
    values : array of float, shape (n,)
        Prices or quantities in units.
    step : float
        Tick size or lot size, > 0.
    what : str
        Name used in error messages ("price", "qty").
    limit : int or None
        Largest allowed absolute result; defaults to the engine's bound for ``what``.
    mask : array of bool, shape (n,), optional
        Rows to check; other rows convert to 0 (e.g. prices of MARKET and CANCEL rows).

    Raises
    ------
    ValueError
        Naming the first row that is NaN, infinite, out of range or off the step grid.
    """
    values = np.asarray(values, dtype=np.float64)
    if limit is None:
        limit = _engine.MAX_QTY if what == "qty" else _engine.MAX_PRICE
    check = np.ones(values.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    vals = np.where(check, values, 0.0)
    bad = ~np.isfinite(vals)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {row}: {what} must be a finite number, got {float(values[row])!r}")
    scaled = vals / step
    too_big = np.abs(scaled) > limit
    if too_big.any():
        row = int(np.flatnonzero(too_big)[0])
        raise ValueError(
            f"row {row}: {what} {float(values[row])!r} is out of range "
            f"(at most {limit} steps of {step})"
        )
    steps = np.rint(scaled)
    off = np.abs(vals - steps * step) > _REL_TOL * np.abs(vals)
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"row {row}: {what} {float(values[row])!r} is not a multiple of {step} "
            f"(nearest: {float(steps[row] * step)!r})"
        )
    return steps.astype(np.int64)


def to_step(value: float, step: float, *, what: str = "price") -> int:
    """One value in units as an int multiple of ``step``: :func:`to_steps` for a scalar, with
    the same tolerance and range, without numpy (the per-order path)."""
    limit = _engine.MAX_QTY if what == "qty" else _engine.MAX_PRICE
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    scaled = value / step
    if not abs(scaled) <= limit:  # also inf, when value / step overflows a float
        raise ValueError(f"{what} {value!r} is out of range (at most {limit} steps of {step})")
    n = round(scaled)
    if abs(n) > limit:
        raise ValueError(f"{what} {value!r} is out of range (at most {limit} steps of {step})")
    if abs(value - n * step) > _REL_TOL * abs(value):
        raise ValueError(f"{what} {value!r} is not a multiple of {step} (nearest: {n * step!r})")
    return int(n)


def decimals_of(step: float) -> int:
    """Decimal places implied by a step size (0.01 -> 2, 0.5 -> 1, 25 -> 0)."""
    exponent = Decimal(repr(float(step))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def from_steps(steps: np.ndarray, step: float) -> np.ndarray:
    """Convert int64 ticks or lots to float units, rounded to the step's decimals."""
    return np.round(np.asarray(steps, dtype=np.float64) * step, decimals_of(step))
