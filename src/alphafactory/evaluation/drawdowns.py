"""Every drawdown episode of a return series, deepest first.

An episode is a maximal run of periods under the previous peak of the compounded wealth
``W_t = prod_{s<=t} (1 + r_s)`` (wealth starts at 1, see
:func:`~alphafactory.evaluation.drawdown_series`). :func:`max_drawdown` is the first row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.evaluation._inputs import ArrayLike
from alphafactory.evaluation.performance import drawdown_series

DRAWDOWN_COLUMNS: tuple[str, ...] = ("start", "trough", "end", "depth", "length")


def drawdown_table(returns: ArrayLike, top: int | None = 5) -> pd.DataFrame:
    """Return the ``top`` deepest drawdown episodes (all when None), deepest first.

    With the underwater curve ``D_t = W_t / max(1, max_{s<=t} W_s) - 1``, an episode is a
    maximal run ``D_a .. D_b < 0``. Its ``start`` is ``a`` (the first period below the peak),
    ``trough`` the period of ``min D`` in the run, ``end`` the first period back at the peak
    (``b + 1``; None when the series ends under water), ``depth = min_{a<=t<=b} D_t <= 0`` and
    ``length = b - a + 1`` periods under water (the same count as
    :attr:`~alphafactory.evaluation.Drawdown.duration`).

    Parameters
    ----------
    returns : Series or array
        Per-period simple returns; NaN dropped.
    top : int or None
        How many episodes to keep.

    Returns
    -------
    DataFrame
        Columns ``start, trough, end`` (index labels; positions for an array), ``depth``
        (float) and ``length`` (int), one row per episode, sorted by depth (ties: earlier
        first); index ``0 .. k-1``. Empty (with these columns) when wealth never falls.
    """
    if top is not None and top < 1:
        raise ValueError(f"top must be >= 1 or None, got {top}.")
    underwater = drawdown_series(returns)
    dd = underwater.to_numpy()
    labels = underwater.index
    under = dd < 0.0
    previous = np.concatenate([[False], under[:-1]])
    starts = np.flatnonzero(under & ~previous)
    if starts.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DRAWDOWN_COLUMNS[:3]}).assign(
            depth=pd.Series(dtype=np.float64), length=pd.Series(dtype=np.int64)
        )
    following = np.concatenate([under[1:], [False]])
    lasts = np.flatnonzero(under & ~following)
    episode = np.cumsum(under & ~previous) - 1
    positions = np.flatnonzero(under)
    order = np.lexsort((positions, dd[positions], episode[positions]))
    first_of_episode = np.concatenate([[True], np.diff(episode[positions][order]) != 0])
    troughs = positions[order][first_of_episode]
    depth = dd[troughs]
    recovered = lasts + 1 < len(dd)
    ends = np.where(recovered, lasts + 1, 0)
    table = pd.DataFrame(
        {
            "start": labels[starts],
            "trough": labels[troughs],
            "end": pd.Series(labels[ends], dtype=object).where(recovered, None),
            "depth": depth,
            "length": (lasts - starts + 1).astype(np.int64),
        }
    )
    ranked = np.lexsort((starts, depth))
    table = table.iloc[ranked if top is None else ranked[:top]].reset_index(drop=True)
    return table
