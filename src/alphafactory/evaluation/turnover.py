"""Portfolio turnover from target weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.panel import is_panel


def turnover(weights: pd.DataFrame | pd.Series) -> pd.Series:
    """One-sided turnover per period: ``TO_t = 0.5 * sum_i |w_{t,i} - w_{t-1,i}|``.

    Parameters
    ----------
    weights : DataFrame or Series
        Wide ``[timestamps, symbols]`` weights (fractions of equity), a long Series indexed
        ``(timestamp, symbol)``, or a single-asset Series. A missing weight (NaN, or a symbol
        absent at a timestamp) is 0.

    Returns
    -------
    Series
        ``TO_t`` per timestamp, named ``turnover``. The book starts from cash (``w_0 = 0``), so
        the first value is half the gross exposure bought. Fully rotating a long-only book is
        1.0; flipping a long-short book from ``+w`` to ``-w`` is ``sum_i |w_i|``.
    """
    if isinstance(weights, pd.Series):
        wide = weights.unstack("symbol") if is_panel(weights) else weights.to_frame()
    elif isinstance(weights, pd.DataFrame):
        wide = weights
    else:
        raise TypeError(
            "weights must be a wide DataFrame [timestamps, symbols] or a Series; "
            f"got {type(weights).__name__}."
        )
    if wide.size == 0:
        raise ValueError("weights is empty; expected at least one timestamp and one symbol.")
    try:
        values = wide.sort_index().to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise TypeError(f"weights must be numeric; got dtypes {set(wide.dtypes)}.") from err
    if np.isinf(values).any():
        raise ValueError("weights holds infinite values; expected finite fractions of equity.")
    values = np.nan_to_num(values, nan=0.0)
    change = np.diff(values, axis=0, prepend=0.0)
    return pd.Series(
        0.5 * np.abs(change).sum(axis=1), index=wide.sort_index().index, name="turnover"
    )
