"""Array-likes in and out of the panel kernels: a 1-D series or a ``T x N`` panel as float64
``[T, N]``, and a ``[T, N]`` result given back the input's type, shape, index and columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ArrayLike", "as_panel", "restore"]

ArrayLike = np.ndarray | pd.Series | pd.DataFrame


def as_panel(x: ArrayLike, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float64 ``[T, N]`` array (a 1-D input becomes ``[T, 1]``)."""
    arr = np.asarray(x.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(
        x, (pd.Series, pd.DataFrame)) else x, dtype=np.float64)
    if arr.ndim == 1:
        return arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 1-D series or a 2-D [T, N] panel, got {arr.shape}.")
    return arr


def restore(like: ArrayLike, out: np.ndarray) -> ArrayLike:
    """Give a ``[T, N]`` result the type and shape of the input ``like``."""
    if isinstance(like, pd.DataFrame):
        return pd.DataFrame(out, index=like.index, columns=like.columns)
    if isinstance(like, pd.Series):
        return pd.Series(out[:, 0], index=like.index, name=like.name)
    return out[:, 0] if np.ndim(like) == 1 else out
