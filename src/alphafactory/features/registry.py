"""The feature registry: definitions, the context they compute in, specs and ``list_features``.

A :class:`FeatureDef` is one output column: a registered name, its family, parameters, warm-up
and a ``compute(ctx) -> [T, N]`` function over a :class:`FeatureContext` (wide float64 OHLCV
arrays plus a cache, so multi-output indicators such as MACD run once). Families live in
``alphafactory.features.families``, one module each, listed explicitly in ``FAMILY_MODULES``;
a :class:`FeatureSpec` selects families, windows and names.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from talib import abstract

from alphafactory.features.rolling import shift
from alphafactory.features.talib_panel import apply_talib

__all__ = [
    "FAMILY_MODULES",
    "FeatureContext",
    "FeatureDef",
    "FeatureSpec",
    "feature_defs",
    "list_features",
    "resolve_spec",
    "talib_lookback",
]

# Order is the column order of `build_features`.
FAMILY_MODULES: tuple[str, ...] = (
    "alphafactory.features.families.returns",
    "alphafactory.features.families.trend",
    "alphafactory.features.families.bands",
    "alphafactory.features.families.momentum",
    "alphafactory.features.families.volume",
    "alphafactory.features.families.volatility",
    "alphafactory.features.families.microstructure",
    "alphafactory.features.families.cross_section",
    "alphafactory.features.families.patterns",
    "alphafactory.features.families.filters",
)


class FeatureContext:
    """Wide OHLCV arrays of one panel plus a cache of shared intermediate results.

    ``build_features`` computes most features on blocks of symbol columns (a context from
    :meth:`columns`) so that intermediates stay small and in cache; a result that needs every
    symbol (the market return) comes from :meth:`across`, and a cross-sectional feature runs
    on the whole panel, assembling its per-symbol input block by block with :meth:`by_columns`.

    Parameters
    ----------
    fields : mapping
        ``open, high, low, close, volume`` -> float64 ``[T, N]``.
    block_columns : int, optional
        Symbols per block for :meth:`by_columns`; None computes on the whole panel at once.
    """

    def __init__(
        self, fields: Mapping[str, np.ndarray], block_columns: int | None = None
    ) -> None:
        # Column-major copies: each symbol's series is contiguous, as TA-Lib wants, and
        # prefix sums along time run over contiguous memory.
        self.fields = {k: np.asfortranarray(v, dtype=np.float64) for k, v in fields.items()}
        self.block_columns = block_columns
        self._cache: dict[Hashable, Any] = {}
        self._root = self

    @property
    def shape(self) -> tuple[int, int]:
        return self.fields["close"].shape

    def columns(self, start: int, stop: int) -> FeatureContext:
        """A context on symbol columns ``start:stop`` (views, no copy) with its own cache;
        :meth:`across` results stay shared with this context's whole panel."""
        block = FeatureContext({})
        # column slices of Fortran-ordered arrays are themselves contiguous
        block.fields = {k: v[:, start:stop] for k, v in self.fields.items()}
        block._root = self._root
        return block

    def cached(self, key: Hashable, fn: Callable[[], Any]) -> Any:
        """Return ``fn()``, computed once per context for ``key``."""
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def across(self, key: Hashable, fn: Callable[[FeatureContext], Any]) -> Any:
        """``fn(whole-panel context)``, computed once per panel for ``key`` and shared by every
        column block (for results that need all symbols, such as the market return)."""
        root = self._root
        return root.cached(key, lambda: fn(root))

    def by_columns(self, fn: Callable[[FeatureContext], np.ndarray]) -> np.ndarray:
        """A per-symbol ``[T, N]`` result ``fn(ctx)`` computed on blocks of ``block_columns``
        symbols and assembled into one column-major array.

        ``fn`` must treat each column on its own (time-series kernels, TA-Lib), so every value
        equals ``fn(self)``'s; the blocks only bound the size of its intermediates. The memory
        order may differ from ``fn(self)``'s, and a sum across a row rounds differently on C-
        and Fortran-ordered arrays: feed a cross-sectional sum (``cs_zscore``) only results
        whose whole-panel form is column-major too.
        """
        n_time, n_sym = self.shape
        step = self.block_columns
        if step is None or step >= n_sym:
            return fn(self)
        out = np.empty((n_time, n_sym), order="F")
        for start in range(0, n_sym, step):
            stop = min(start + step, n_sym)
            out[:, start:stop] = fn(self.columns(start, stop))
        return out

    def release(self, keep: Sequence[Hashable] = ("logret",)) -> None:
        """Drop cached intermediates except ``keep`` (bounds memory between families)."""
        self._cache = {k: v for k, v in self._cache.items() if k in keep}

    def talib(self, func: str, inputs: Sequence[str] = ("close",), **params: Any) -> tuple:
        """TA-Lib ``func`` on the named fields, per column, cached; returns its outputs."""
        key = ("talib", func, tuple(inputs), tuple(sorted(params.items())))
        return self.cached(
            key, lambda: apply_talib(func, *(self.fields[f] for f in inputs), **params)
        )

    @property
    def logret(self) -> np.ndarray:
        """One-bar log close return ``ln(C_t / C_{t-1})``."""
        c = self.fields["close"]

        def compute() -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(c / shift(c, 1))

        return self.cached("logret", compute)


@dataclass(frozen=True, kw_only=True, slots=True)
class FeatureDef:
    """One registered output column.

    Attributes
    ----------
    name : str
        Registered name (a column of ``build_features``, accepted by ``check_causal``).
    family : str
    params : dict
        Parameters, for display and specs.
    warmup : int
        Bars of history before the first defined value (the value at row ``warmup`` of a clean
        series is the first finite one).
    convergence : int
        Further bars a recursive feature (EMA-like smoothing) needs before the state it started
        from no longer shows (see :mod:`alphafactory.features.convergence`); 0 for a feature of
        a finite window, which at ``t`` depends on bars ``t - warmup .. t`` only.
    description : str
    compute : callable
        ``compute(ctx) -> ndarray [T, N]`` using rows ``<= t`` for row ``t``.
    cross_sectional : bool
        True when the value of a symbol depends on the other symbols' values at the same
        timestamp (ranks, z-scores): ``build_features`` computes it on the whole panel; every
        other feature treats each symbol column on its own and may be computed on a block of
        columns (``across`` results such as the market return are still whole-panel).
    """

    name: str
    family: str
    params: Mapping[str, Any]
    warmup: int
    description: str
    compute: Callable[[FeatureContext], np.ndarray] = field(repr=False, compare=False)
    convergence: int = 0
    cross_sectional: bool = False

    @property
    def history(self) -> int:
        """Bars before ``t`` that the value at ``t`` depends on: ``warmup + convergence``."""
        return self.warmup + self.convergence


@dataclass(frozen=True, kw_only=True, slots=True)
class FeatureSpec:
    """Which features to build.

    Attributes
    ----------
    families : tuple of str or None
        Families to include (None: all).
    windows : mapping of str to tuple of int, optional
        Per-family windows replacing the family's default ``WINDOWS`` (e.g.
        ``{"volatility": (10, 20)}``); fixed-parameter indicators (MACD 12/26/9...) keep theirs.
    include, exclude : tuple of str
        Glob patterns on names; ``include`` (when non-empty) keeps only matching names,
        ``exclude`` then drops matching ones.
    """

    families: tuple[str, ...] | None = None
    windows: Mapping[str, tuple[int, ...]] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def _family_modules() -> dict[str, Any]:
    modules = {}
    for path in FAMILY_MODULES:
        module = importlib.import_module(path)
        modules[module.FAMILY] = module
    return modules


def feature_defs(spec: FeatureSpec | None = None) -> list[FeatureDef]:
    """Definitions selected by ``spec`` (all defaults when None), in column order."""
    spec = spec or FeatureSpec()
    modules = _family_modules()
    families = spec.families if spec.families is not None else tuple(modules)
    unknown = [f for f in families if f not in modules]
    windows = dict(spec.windows or {})
    unknown += [f for f in windows if f not in modules]
    if unknown:
        raise ValueError(f"Unknown feature families {unknown}; known: {list(modules)}.")
    defs: list[FeatureDef] = []
    for name in families:
        module = modules[name]
        defs.extend(module.definitions(tuple(windows.get(name, module.WINDOWS))))
    if spec.include:
        defs = [d for d in defs if any(fnmatch.fnmatchcase(d.name, p) for p in spec.include)]
    if spec.exclude:
        defs = [d for d in defs if not any(fnmatch.fnmatchcase(d.name, p) for p in spec.exclude)]
    names = [d.name for d in defs]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"Feature names must be unique; duplicated: {dupes}.")
    return defs


def resolve_spec(spec: str | FeatureSpec | Sequence[str]) -> list[FeatureDef]:
    """Definitions for ``"default"``, a :class:`FeatureSpec` or a list of registered names."""
    if isinstance(spec, FeatureSpec):
        return feature_defs(spec)
    if isinstance(spec, str):
        if spec == "default":
            return feature_defs()
        spec = [spec]
    by_name = {d.name: d for d in feature_defs()}
    missing = [n for n in spec if n not in by_name]
    if missing:
        raise KeyError(
            f"Unknown feature names {missing}; see alphafactory.features.list_features() "
            f"for the {len(by_name)} registered names."
        )
    return [by_name[n] for n in spec]


def list_features(spec: str | FeatureSpec | Sequence[str] = "default") -> pd.DataFrame:
    """One row per output column: ``name, family, params, warmup, convergence, description``."""
    columns = ["name", "family", "params", "warmup", "convergence", "description"]
    rows = [
        {
            "name": d.name,
            "family": d.family,
            "params": dict(d.params),
            "warmup": d.warmup,
            "convergence": d.convergence,
            "description": d.description,
        }
        for d in resolve_spec(spec)
    ]
    return pd.DataFrame(rows, columns=columns)


def talib_lookback(func: str, **params: Any) -> int:
    """TA-Lib's own lookback (bars before its first output) for ``func`` with ``params``."""
    return _talib_lookback(func, tuple(sorted(params.items())))


@functools.cache
def _talib_lookback(func: str, params: tuple[tuple[str, Any], ...]) -> int:
    # Building TA-Lib's abstract Function costs ~0.1 ms; the registry asks ~100 times per build.
    return int(abstract.Function(func, **dict(params)).lookback)
