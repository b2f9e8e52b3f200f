"""TA-Lib on panels: the same indicator on a 1-D series or on every column of a ``T x N`` panel.

:func:`apply_talib` hands the panel to a compiled driver (``alphafactory._engine``) that calls
TA-Lib's C functions once per symbol column, on that symbol's own bars: rows where any input is
NaN (before the symbol's first bar, after its last, a missing bar in between) are left out of
the series TA-Lib sees and are NaN in the output. So a recursive indicator (EMA, RSI...)
continues across a missing bar instead of staying NaN forever, and the result equals raw TA-Lib
run on each symbol's own bars. The first ``lookback`` values of every series are NaN, integer
outputs (candlestick patterns) included. Inputs may be numpy arrays, Series or DataFrames; the
output has the input's type, shape, index and columns (a panel result is column-major, each
symbol's series contiguous).

The driver uses the TA-Lib library that the ``talib`` package loaded, through TA-Lib's abstract
interface, so definitions, defaults and global settings are talib's own. Where those C entry
points cannot be resolved (a ``talib`` build that hides them), :data:`DRIVER` says why and the
pure-Python loop of :mod:`alphafactory.features.talib_reference` runs instead, with the same
results. Changing talib's global settings (``set_unstable_period``, ``set_compatibility``)
while another thread runs an indicator is not supported.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import talib
import talib._ta_lib as _talib_extension
from talib import abstract

from alphafactory import _engine
from alphafactory.features._arraylike import ArrayLike, as_panel, restore
from alphafactory.features.talib_reference import apply_talib_reference

__all__ = ["DRIVER", "ArrayLike", "apply_talib", "as_panel", "restore"]


def _load_api() -> tuple[Any, str]:
    try:
        return _engine.TalibApi(_talib_extension.__file__), "compiled"
    except (RuntimeError, OSError) as exc:
        return None, f"python ({exc})"


_API, DRIVER = _load_api()
"""``"compiled"`` when the C++ driver runs, else ``"python (<why>)"``."""

# Bits of a TA-Lib price input's fields (TA_IN_PRICE_*).
_PRICE_FLAGS = {"open": 1, "high": 2, "low": 4, "close": 8, "volume": 16, "openinterest": 32}


@dataclass(frozen=True, slots=True)
class _Function:
    """A compiled TA-Lib function and what talib's introspection says it takes."""

    compiled: Any
    name: str
    series: tuple[str, ...]  # input series in talib's positional order
    params: tuple[tuple[str, bool, float], ...]  # (keyword, is_integer, default)


@functools.cache
def _function(name: str) -> _Function:
    try:
        info = abstract.Function(name)
    except Exception as exc:  # talib raises a bare Exception for an unknown name
        raise ValueError(f"apply_talib: TA-Lib has no function {name!r} ({exc}).") from None
    inputs: list[int] = []
    for fields in info.input_names.values():
        # a price input lists its fields (TA-Lib's order); a real series names one default
        inputs.append(sum(_PRICE_FLAGS[f.lower()] for f in fields) if isinstance(fields, list)
                      else 0)
    n_series = sum(len(f) if isinstance(f, list) else 1 for f in info.input_names.values())
    positional = list(inspect.signature(getattr(talib, name)).parameters)[:n_series]
    # talib gives integer parameters int defaults and real ones float defaults.
    params = tuple((k, isinstance(v, numbers.Integral), v) for k, v in info.parameters.items())
    # Integer outputs (candlestick patterns, MINMAXINDEX) show in the dtype of a tiny call.
    probe = getattr(talib, name)(*[np.full(2, np.nan) for _ in range(n_series)])
    output_is_integer = [not np.issubdtype(r.dtype, np.floating)
                         for r in (probe if isinstance(probe, tuple) else (probe,))]
    compiled = _engine.TalibFunction(
        _API, name, inputs, [is_int for _, is_int, _ in params], output_is_integer
    )
    return _Function(compiled, name, tuple(positional), params)


def _opt_values(fn: _Function, params: dict[str, Any]) -> list[float]:
    """talib keyword parameters -> one value per TA-Lib optional input, defaults filled in."""
    known = [name for name, _, _ in fn.params]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise TypeError(
            f"{fn.name} got unknown parameter(s) {unknown}; it takes {known or 'none'}."
        )
    values = []
    for name, is_integer, default in fn.params:
        value = params.get(name, default)
        if is_integer and not isinstance(value, numbers.Integral):
            raise TypeError(f"{fn.name}: {name} must be an integer, got {value!r}.")
        if is_integer and not -(2**31) <= value < 2**31:  # TA-Lib takes a C int
            raise ValueError(f"{fn.name}: {name}={value} is out of TA-Lib's integer range.")
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{fn.name}: {name} must be a number, got {value!r}.")
        values.append(float(value))
    return values


def apply_talib(
    func: Callable[..., Any] | str, *inputs: ArrayLike, **params: Any
) -> tuple[ArrayLike, ...]:
    """Apply a TA-Lib function column by column.

    Parameters
    ----------
    func : callable or str
        A ``talib`` function or its name (``"RSI"``). Any other callable with talib's calling
        convention runs through the pure-Python loop.
    *inputs : array-like
        Its input series in talib's order (``high, low, close`` for ATR), each 1-D ``[T]`` or
        2-D ``[T, N]``, all the same shape.
    **params
        Its parameters by talib's keyword names (``timeperiod=14``...); missing ones take
        TA-Lib's defaults.

    Returns
    -------
    tuple of array-like
        One entry per TA-Lib output, float64, shaped and typed like ``inputs[0]``.

    Raises
    ------
    ValueError
        For an unknown function, inputs of different shapes or without rows, or parameter
        values TA-Lib rejects.
    TypeError
        For a wrong number of inputs or an unknown or mistyped parameter.
    """
    name = func if isinstance(func, str) else getattr(func, "__name__", "")
    if _API is None or not (isinstance(func, str) or getattr(talib, name, None) is func):
        # no compiled driver, or a callable that is not one of talib's functions
        return apply_talib_reference(func, *inputs, **params)
    fn = _function(name)
    if len(inputs) != len(fn.series):
        raise TypeError(f"{name} takes {len(fn.series)} input series {list(fn.series)}, "
                        f"got {len(inputs)}.")
    arrays = [as_panel(x, f"{name} input {s!r}") for x, s in zip(inputs, fn.series, strict=True)]
    shape = arrays[0].shape
    for s, arr in zip(fn.series[1:], arrays[1:], strict=True):
        if arr.shape != shape:
            raise ValueError(f"{name}: input {s!r} has shape {arr.shape}; "
                             f"input {fn.series[0]!r} has {shape}.")
    n_time, n_cols = shape
    if n_time == 0:
        raise ValueError(f"{name}: inputs have no rows.")
    values = _opt_values(fn, params)
    if fn.compiled.lookback(values) < 0:
        raise ValueError(f"TA-Lib rejects {name} parameters {params} (out of range).")
    outs = [np.empty((n_cols, n_time)) for _ in range(fn.compiled.n_outputs)]
    # the driver reads float64 through aligned pointers; only an exotic view needs a copy
    arrays = [a if a.flags.aligned else np.require(a, requirements="A") for a in arrays]
    fn.compiled.run(arrays, values, outs)
    return tuple(restore(inputs[0], out.T) for out in outs)
