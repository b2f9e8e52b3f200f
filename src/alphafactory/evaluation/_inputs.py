"""Input coercion shared by the metrics: one place that says what is accepted and what is not.

Returns and scores arrive as pandas objects (a Series on a ``timestamp`` index, a long Series or
one-column frame on ``(timestamp, symbol)``, or a wide ``T x N`` frame) or as numpy arrays. These
helpers turn them into float64 Series, drop NaN (documented by every caller), and raise with a
sentence naming the argument, what was expected and what was got.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, is_panel

ArrayLike = pd.Series | pd.DataFrame | np.ndarray | Sequence[float]


def as_series(values: ArrayLike, name: str, *, dropna: bool = True) -> pd.Series:
    """Return ``values`` as a float64 Series (NaN dropped when ``dropna``), or raise.

    Accepts a Series, a one-column DataFrame, a long ``(timestamp, symbol)`` frame with a
    ``score`` column, a 1-d array or a sequence. Raises on empty input, on all-NaN input and on
    infinite values.
    """
    if isinstance(values, pd.DataFrame):
        values = _frame_column(values, name)
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be one-dimensional; got an array of shape {array.shape}."
            )
        series = pd.Series(array)
    try:
        out = series.astype(np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric; got dtype {series.dtype}.") from err
    if len(out) == 0:
        raise ValueError(f"{name} is empty; expected at least one observation.")
    finite = out.to_numpy()
    if np.isinf(finite).any():
        raise ValueError(f"{name} holds infinite values; expected finite numbers or NaN.")
    if dropna:
        out = out.dropna()
        if len(out) == 0:
            raise ValueError(f"{name} holds only NaN; expected at least one finite observation.")
    out.attrs = dict(series.attrs)
    return out


def as_long(values: pd.Series | pd.DataFrame, name: str, *, dropna: bool = True) -> pd.Series:
    """Return scores or labels as a float64 Series, a wide ``T x N`` frame stacked to long.

    The result is indexed by ``(timestamp, symbol)`` (panels) or by its own single index.
    """
    if not isinstance(values, pd.Series | pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas Series or DataFrame indexed by timestamp or "
            f"(timestamp, symbol); got {type(values).__name__}."
        )
    if isinstance(values, pd.DataFrame) and not isinstance(values.index, pd.MultiIndex):
        if values.shape[1] > 1 or values.columns.name == "symbol":
            attrs = dict(values.attrs)
            stacked = values.stack(future_stack=True)
            stacked.index = stacked.index.set_names(list(INDEX_NAMES))
            stacked.attrs = attrs
            return as_series(stacked, name, dropna=dropna)
    return as_series(values, name, dropna=dropna)


def align(scores: pd.Series, labels: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Inner-join two Series on their index, dropping pairs where either is NaN.

    Raises when the index layouts differ (a panel against one asset) or nothing overlaps.
    """
    if is_panel(scores) != is_panel(labels):
        raise ValueError(
            "scores and labels must both be panels indexed (timestamp, symbol) or both be one "
            f"series; got index names {list(scores.index.names)} and {list(labels.index.names)}."
        )
    if not scores.index.is_unique or not labels.index.is_unique:
        which = "scores" if not scores.index.is_unique else "labels"
        raise ValueError(f"{which} has a duplicated index; expected one value per key.")
    joined = pd.concat({"score": scores, "label": labels}, axis=1, join="inner").dropna()
    if joined.empty:
        raise ValueError(
            f"scores ({len(scores)} rows) and labels ({len(labels)} rows) share no index key "
            "with both values present; check that they are on the same timestamps and symbols."
        )
    joined = joined.sort_index()
    return joined["score"], joined["label"]


def timestamps_of(index: pd.Index) -> pd.DatetimeIndex | None:
    """Return the DatetimeIndex (unique, sorted) of an index or its ``timestamp`` level."""
    if isinstance(index, pd.MultiIndex):
        if "timestamp" not in index.names:
            return None
        index = index.get_level_values("timestamp")
    if not isinstance(index, pd.DatetimeIndex):
        return None
    return index.unique().sort_values()


def _frame_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if frame.shape[1] == 1:
        return frame.iloc[:, 0]
    if "score" in frame.columns:
        return frame["score"]
    raise ValueError(
        f"{name} must be a Series or a one-column DataFrame (or hold a 'score' column); "
        f"got columns {list(frame.columns)}."
    )
