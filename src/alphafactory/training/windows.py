"""Sample sets for the Trainer and estimators: windows ``[n, lookback, features]`` on demand.

Two shapes share one small interface (``len``, ``gather(idx)``, ``labels``, ``groups``,
``symbols``):

- :class:`ArrayWindows` wraps windows already materialised as one float32 array.
- :class:`PanelWindows` keeps a panel cube ``[symbols, time, features]`` and a sample index
  ``(symbol, time)``; a batch is gathered with one fancy-indexing call, so a walk-forward never
  holds ``lookback`` copies of the feature matrix.

``groups`` is the timestamp of each sample as an integer (cross-sectional losses and the
cross-sectional ranker group by it); ``symbols`` is each sample's symbol as an integer.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Windows(Protocol):
    """What the Trainer needs from a sample set."""

    labels: np.ndarray | None
    groups: np.ndarray | None
    symbols: np.ndarray | None

    def __len__(self) -> int: ...

    @property
    def lookback(self) -> int: ...

    @property
    def n_features(self) -> int: ...

    def gather(self, idx: np.ndarray) -> np.ndarray:
        """Return float32 windows ``[len(idx), lookback, features]``."""
        ...


class ArrayWindows:
    """Windows held as one array.

    Parameters
    ----------
    X : ndarray
        ``[n, lookback, features]`` (converted to contiguous float32).
    y : ndarray, optional
        Labels ``[n]``.
    groups : ndarray, optional
        Integer timestamp id per sample ``[n]``.
    symbols : ndarray, optional
        Integer symbol id per sample ``[n]``.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        symbols: np.ndarray | None = None,
    ) -> None:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise ValueError(f"Windows must be [n, lookback, features]; got shape {X.shape}.")
        self.X = X
        self.labels = _optional_vector(y, len(X), "y", np.float64)
        self.groups = _optional_vector(groups, len(X), "groups", np.int64)
        self.symbols = _optional_vector(symbols, len(X), "symbols", np.int64)

    def __len__(self) -> int:
        return len(self.X)

    @property
    def lookback(self) -> int:
        return self.X.shape[1]

    @property
    def n_features(self) -> int:
        return self.X.shape[2]

    def gather(self, idx: np.ndarray) -> np.ndarray:
        return self.X[idx]


class PanelWindows:
    """Windows gathered from a cube ``[symbols, time, features]`` at sample ``(symbol, time)``.

    Parameters
    ----------
    cube : ndarray
        Float32 ``[N, T, F]``; NaN must already be filled (the gather does not check).
    sample_symbol, sample_time : ndarray
        Integer ``[n]``: the symbol row and the time column of each sample's last step; every
        ``sample_time`` must be ``>= lookback - 1``.
    lookback : int
        Window length in bars.
    y : ndarray, optional
        Labels ``[n]``.
    """

    def __init__(
        self,
        cube: np.ndarray,
        sample_symbol: np.ndarray,
        sample_time: np.ndarray,
        lookback: int,
        y: np.ndarray | None = None,
    ) -> None:
        if cube.ndim != 3 or cube.dtype != np.float32:
            raise ValueError(
                f"cube must be float32 [symbols, time, features]; got {cube.dtype} {cube.shape}."
            )
        sample_symbol = np.asarray(sample_symbol, dtype=np.int64)
        sample_time = np.asarray(sample_time, dtype=np.int64)
        if len(sample_time) and sample_time.min() < lookback - 1:
            raise ValueError(
                f"Every sample needs {lookback - 1} earlier bars; the earliest sample time is "
                f"{sample_time.min()}."
            )
        cube = np.ascontiguousarray(cube)
        self.cube = cube
        self._lookback = int(lookback)
        self.symbols = sample_symbol
        self.times = sample_time
        self.groups = sample_time
        self.labels = _optional_vector(y, len(sample_time), "y", np.float64)
        # A read-only strided view whose row r is the window of flat rows r .. r+lookback-1 of
        # the [N*T, F] cube: each window is one contiguous block, gathered by a single fancy
        # index on the first axis (several times faster than indexing (symbol, time) pairs).
        n_sym, n_time, n_feat = cube.shape
        item = cube.itemsize
        self._n_time = n_time
        self._rows = np.lib.stride_tricks.as_strided(
            cube.reshape(n_sym * n_time, n_feat),
            shape=(max(n_sym * n_time - self._lookback + 1, 0), self._lookback, n_feat),
            strides=(n_feat * item, n_feat * item, item),
            writeable=False,
        )

    def __len__(self) -> int:
        return len(self.times)

    @property
    def lookback(self) -> int:
        return self._lookback

    @property
    def n_features(self) -> int:
        return self.cube.shape[2]

    def gather(self, idx: np.ndarray) -> np.ndarray:
        first_row = self.symbols[idx] * self._n_time + self.times[idx] - (self._lookback - 1)
        return self._rows[first_row]  # [b, lookback, F], a fresh contiguous array


def as_windows(X: Windows | np.ndarray, y: np.ndarray | None = None) -> Windows:
    """Return ``X`` as :class:`Windows`; an ndarray becomes :class:`ArrayWindows` (labels ``y``)."""
    if isinstance(X, np.ndarray):
        return ArrayWindows(X, y)
    if not isinstance(X, Windows):
        raise TypeError(
            f"Expected windows [n, lookback, features] as an ndarray or a Windows object; "
            f"got {type(X).__name__}."
        )
    if y is not None:
        raise ValueError("Pass labels inside the Windows object, not as y, when X is Windows.")
    return X


def _optional_vector(v: np.ndarray | None, n: int, name: str, dtype: type) -> np.ndarray | None:
    if v is None:
        return None
    v = np.asarray(v, dtype=dtype).reshape(-1)
    if len(v) != n:
        raise ValueError(f"{name} has {len(v)} entries; the windows have {n} samples.")
    return v
