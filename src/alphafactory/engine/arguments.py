"""Argument checks of the engine facade: each bad argument is one ``ExecutionError`` line.

The compiled engine trusts its callers (pybind11 would answer a wrong type with a dump of every
overload, numpy would silently truncate 1.5 to 1 in an int64 field), so the facade checks each
argument here and names it, the rule and what it got: ``levels: must be an integer >= 1, got -1``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import TypeVar

from alphafactory.errors import ExecutionError

__all__ = ["INT32", "INT64", "check_choice", "check_int", "check_number", "shown"]

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)

T = TypeVar("T")


def _rule(low: int | float | None, high: int | float | None, *, strict_low: bool = False) -> str:
    if low is not None and high is not None and (low, high) in (INT64, INT32):
        bits = 64 if (low, high) == INT64 else 32
        return f" (int{bits})"
    parts = []
    if low is not None:
        parts.append(f"{'>' if strict_low else '>='} {low}")
    if high is not None:
        parts.append(f"<= {high}")
    return (" " + " and ".join(parts)) if parts else ""


def shown(value: object) -> str:
    """``repr`` of a value as a user wrote it: ``nan``, not ``np.float64(nan)``."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        value = item()
    return repr(value)


def check_int(name: str, value: object, *, low: int | None = None,
              high: int | None = None) -> int:
    """``value`` as a Python int within ``[low, high]``; bools and floats are refused."""
    rule = _rule(low, high)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ExecutionError(f"{name}: must be an integer{rule}, got {shown(value)}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ExecutionError(f"{name}: must be an integer{rule}, got {number}")
    return number


def check_number(name: str, value: object, *, low: float | None = None,
                 strict_low: bool = False) -> float:
    """``value`` as a finite float (``> low`` when ``strict_low``, else ``>= low``)."""
    rule = _rule(low, None, strict_low=strict_low)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ExecutionError(f"{name}: must be a finite number{rule}, got {shown(value)}")
    number = float(value)
    if not math.isfinite(number) or (
        low is not None and (number <= low if strict_low else number < low)
    ):
        raise ExecutionError(f"{name}: must be a finite number{rule}, got {shown(value)}")
    return number


def check_choice(name: str, value: object, choices: Mapping[str, T]) -> T:
    """``choices[value]``; a miss names the allowed keys."""
    if isinstance(value, str) and value in choices:
        return choices[value]
    allowed = ", ".join(map(repr, choices))
    raise ExecutionError(f"{name}: must be one of {allowed}, got {shown(value)}")
