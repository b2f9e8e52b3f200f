"""Estimate Cont-Stoikov-Talreja order-flow rates from a LOBSTER message + orderbook file pair.

Following section 4 of Cont, Stoikov and Talreja (2010), with T the file's duration in seconds
and sizes counted in orders of the mean limit-order size S:

- lambda(i) = N_l(i) / (2 T): limit orders placed i ticks from the opposite best (both sides),
  then ``scale / i**exponent`` fitted by least squares on logs;
- mu = N_m / (2 T): market orders, one per run of executions sharing a time and direction;
- theta(i) = N_c(i) / (2 T Q(i)): deletes i ticks from the opposite best, over Q(i), the mean
  number of orders (depth / S) resting i ticks from the opposite best, averaged over rows.

Distances use the book before each message (the previous orderbook row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["fit_order_flow"]


def fit_order_flow(messages: pd.DataFrame, book: np.ndarray, *, tick: int = 100,
                   levels: int = 10) -> dict[str, float | list[float]]:
    """Fit ``PoissonOrderFlow`` rates to LOBSTER data.

    Parameters
    ----------
    messages : DataFrame
        LOBSTER messages (``read_lobster_messages``), n rows.
    book : int64 array, shape (n, >= 4)
        The matching orderbook rows (``LobsterReplay.book`` or the orderbook file).
    tick : int
        Tick size in LOBSTER price units (dollars x 10000; 100 for one cent).
    levels : int
        K, the largest distance estimated.

    Returns
    -------
    dict
        ``limit_rate_scale``, ``limit_rate_exponent``, ``market_rate``, ``cancel_rates``
        (K values; 0 where nothing was seen) and ``order_qty`` (median limit-order size), ready
        for ``PoissonOrderFlow(**fit, ...)``.
    """
    n = len(messages)
    if n < 3 or book.shape[0] != n:
        raise ValueError(f"need >= 3 messages and one book row each, got {n} and {book.shape}")
    duration = float(messages["time"].iloc[-1] - messages["time"].iloc[0])
    if duration <= 0:
        raise ValueError("the messages span no time; cannot estimate rates")
    kind = messages["type"].to_numpy()
    price = messages["price"].to_numpy()
    side = messages["direction"].to_numpy()
    size = messages["size"].to_numpy()
    prev = book[:-1]
    kind, price, side, size = kind[1:], price[1:], side[1:], size[1:]
    best_ask, best_bid = prev[:, 0], prev[:, 2]
    valid = (best_ask < 9_999_999_999) & (best_bid > -9_999_999_999)
    dist = np.where(side > 0, best_ask - price, price - best_bid) // tick
    bins = np.arange(1, levels + 1)

    def counts(mask: np.ndarray) -> np.ndarray:
        d = dist[mask & valid]
        return np.bincount(d[(d >= 1) & (d <= levels)], minlength=levels + 1)[1:]

    limit_counts = counts(kind == 1)
    lam = limit_counts / (2 * duration)
    seen = lam > 0
    if seen.sum() < 2:
        raise ValueError("fewer than two distances with limit orders; cannot fit the power law")
    slope, intercept = np.polyfit(np.log(bins[seen]), np.log(lam[seen]), 1)
    execs = messages.iloc[1:][kind == 4]
    runs = (execs["time"].diff().ne(0) | execs["direction"].diff().ne(0)).sum()
    mean_size = float(size[kind == 1].mean()) if (kind == 1).any() else 1.0
    # Mean resting orders at distance i from the opposite best, both sides, over rows.
    width = book.shape[1] // 4
    depth = np.zeros(levels)
    rows = book[valid.nonzero()[0]]
    for j in range(width):
        bid_d = (rows[:, 0] - rows[:, 4 * j + 2]) // tick
        ask_d = (rows[:, 4 * j] - rows[:, 2]) // tick
        for d, q in ((bid_d, rows[:, 4 * j + 3]), (ask_d, rows[:, 4 * j + 1])):
            ok = (d >= 1) & (d <= levels) & (q > 0)
            np.add.at(depth, d[ok] - 1, q[ok])
    queue = depth / max(len(rows), 1) / mean_size / 2
    cancels = counts(kind == 3)
    theta = np.divide(cancels / (2 * duration), queue, out=np.zeros(levels), where=queue > 0)
    return {
        "limit_rate_scale": float(np.exp(intercept)),
        "limit_rate_exponent": float(-slope),
        "market_rate": float(runs / (2 * duration)),
        "cancel_rates": [float(t) for t in theta],
        "order_qty": max(1, round(float(np.median(size[kind == 1])))) if (kind == 1).any() else 1,
    }
