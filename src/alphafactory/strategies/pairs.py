"""Pairs trading: cointegrated pairs chosen on the training slice, traded on a spread z-score.

``fit`` pre-filters candidate pairs by the correlation of their log returns (and, given
``groups``, by sector), tests the best ``candidates`` for cointegration (Engle-Granger both
ways, the better way naming ``y``, and/or Johansen; :mod:`statsmodels`) and keeps up to
``max_pairs`` with the best evidence, each symbol in one pair unless ``reuse_symbols``.
``scores`` regresses ``ln y`` on ``ln x`` over the rolling ``window`` ending at each bar (the
causal hedge ratio), z-scores today's residual against that window's residuals and trades the
spread with :func:`threshold_positions`. The legs are dollar-neutral:
``target_weight = +-position / (2 * pairs)`` per leg, so each pair's gross is ``1 / pairs``;
the score of a leg is its direction (+1 long, -1 short, 0 flat).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data.wide import Panel, load_panel
from alphafactory.errors import ConfigError, DataError
from alphafactory.strategies.base import Mask, SignalSource
from alphafactory.strategies.mean_reversion import check_bands, threshold_positions
from alphafactory.strategies.trend import _log

METHODS: tuple[str, ...] = ("engle_granger", "johansen", "both")
PAIR_COLUMNS: tuple[str, ...] = ("y", "x", "correlation", "p_value", "trace_ratio", "beta")


def _statsmodels() -> tuple:
    try:
        from statsmodels.tsa.stattools import coint
        from statsmodels.tsa.vector_ar.vecm import coint_johansen
    except ImportError as exc:  # pragma: no cover - the extra is installed in the test env
        raise ImportError(
            "the pairs source needs statsmodels: pip install 'alphafactory[strategies]'"
        ) from exc
    return coint, coint_johansen


def rolling_hedge(ly: np.ndarray, lx: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling OLS of ``ly`` on ``lx`` over the ``window`` bars ending at ``t``.

    Returns ``(beta, z)``, each ``[T]``: the slope, and today's residual divided by the
    standard deviation of the window's residuals (NaN until ``window`` bars are known).
    """
    frame = pd.DataFrame({"y": ly, "x": lx, "xy": ly * lx, "xx": lx * lx, "yy": ly * ly})
    frame[~np.isfinite(frame.to_numpy()).all(axis=1)] = np.nan
    m = frame.rolling(window, min_periods=window).mean().to_numpy()
    my, mx, mxy, mxx, myy = m.T
    var_x, var_y, cov = mxx - mx * mx, myy - my * my, mxy - mx * my
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(var_x > 0, cov / var_x, np.nan)
        resid_var = (var_y - beta * cov) * window / (window - 2)
        resid = ly - (my - beta * mx) - beta * lx
        z = np.where(resid_var > 0, resid / np.sqrt(resid_var), np.nan)
    return beta, z


def _add(total: np.ndarray, leg: np.ndarray) -> np.ndarray:
    """``total + leg`` where NaN means "no contribution" (NaN only where both are NaN)."""
    return np.where(np.isnan(total), leg, np.where(np.isnan(leg), total, total + leg))


class Pairs(SignalSource):
    """Cointegration pairs trading with a rolling hedge ratio and z-score bands.

    Parameters
    ----------
    max_pairs : int
        Pairs kept (default 5).
    method : {"engle_granger", "johansen", "both"}
        Engle-Granger keeps p-values below ``p_value`` and ranks by them; Johansen keeps
        trace statistics above the 95% critical value and ranks by their ratio; ``both``
        needs both and ranks by the Engle-Granger p-value.
    p_value : float
        Engle-Granger significance (default 0.05).
    min_correlation : float
        Pre-filter: correlation of one-bar log returns on the training slice (default 0.5).
    candidates : int
        Most correlated candidate pairs tested (default 20), bounding the cost: each costs
        two Engle-Granger tests (~0.2 s each on 500 bars here, ADF lag search included).
    groups : mapping of symbol to str, optional
        Sectors: only pairs within one group are candidates.
    reuse_symbols : bool
        Allow a symbol in several pairs (default False).
    window : int
        Bars of the rolling hedge regression and residual z-score (default 60).
    entry, exit, stop : float
        Spread z-score bands (defaults 2, 0.5, 4).
    target_weights : bool
        Emit dollar-neutral ``target_weight`` legs (default True).
    min_rows : int
        Training bars a pair needs in common (default 100).
    mask : callable, optional
        See :class:`SignalSource`.
    regimes : mapping, optional
        Trade only in chosen market regimes (see :class:`SignalSource`).
    """

    name = "pairs"

    def __init__(
        self,
        *,
        max_pairs: int = 5,
        method: str = "engle_granger",
        p_value: float = 0.05,
        min_correlation: float = 0.5,
        candidates: int = 20,
        groups: Mapping[str, str] | None = None,
        reuse_symbols: bool = False,
        window: int = 60,
        entry: float = 2.0,
        exit: float = 0.5,
        stop: float | None = 4.0,
        target_weights: bool = True,
        min_rows: int = 100,
        mask: Mask | None = None,
        regimes: Mapping[str, Any] | None = None,
    ) -> None:
        self.max_pairs = max_pairs
        self.method = method
        self.p_value = p_value
        self.min_correlation = min_correlation
        self.candidates = candidates
        self.groups = groups
        self.reuse_symbols = reuse_symbols
        self.window = window
        self.entry = entry
        self.exit = exit
        self.stop = stop
        self.target_weights = target_weights
        self.min_rows = min_rows
        self.mask = mask
        self.regimes = regimes

    def _fit(self, bars: pd.DataFrame) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"pairs: method must be one of {list(METHODS)}, got {self.method!r}")
        if self.max_pairs < 1 or self.window < 3 or self.candidates < 1:
            raise ConfigError(
                f"pairs: need max_pairs >= 1, candidates >= 1 and window >= 3, got "
                f"{self.max_pairs}, {self.candidates}, {self.window}"
            )
        check_bands("pairs", self.entry, self.exit, self.stop)
        coint, coint_johansen = _statsmodels()
        panel = load_panel(bars)
        logs = pd.DataFrame(_log(panel.close), columns=panel.symbols.astype(str))
        corr = logs.diff().corr(min_periods=self.min_rows).to_numpy()
        names = list(logs.columns)
        found = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                same = self.groups is None or (
                    self.groups.get(names[i]) is not None
                    and self.groups.get(names[i]) == self.groups.get(names[j])
                )
                if same and corr[i, j] >= self.min_correlation:
                    found.append((corr[i, j], names[i], names[j]))
        found.sort(key=lambda c: (-c[0], c[1], c[2]))
        rows = []
        for correlation, a, b in found[: self.candidates]:
            both = logs[[a, b]].dropna()
            if len(both) < self.min_rows:
                continue
            y, x = both[a].to_numpy(), both[b].to_numpy()
            p = np.nan
            if self.method != "johansen":  # Engle-Granger is not symmetric: the better side
                p, p_swapped = float(coint(y, x)[1]), float(coint(x, y)[1])
                if p_swapped < p:
                    (a, y), (b, x), p = (b, x), (a, y), p_swapped
            trace = np.nan
            if self.method != "engle_granger":
                result = coint_johansen(np.column_stack([y, x]), det_order=0, k_ar_diff=1)
                trace = float(result.lr1[0] / result.cvt[0, 1])
            keep = {"engle_granger": p < self.p_value, "johansen": trace > 1.0,
                    "both": p < self.p_value and trace > 1.0}[self.method]  # fmt: skip
            if keep:
                beta = float(np.polyfit(x, y, 1)[0])
                rows.append((a, b, float(correlation), p, trace, beta))
        table = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
        order = ["trace_ratio"] if self.method == "johansen" else ["p_value"]
        table = table.sort_values(order, ascending=self.method != "johansen", kind="stable")
        chosen, used = [], set()
        for row in table.itertuples(index=False):
            if len(chosen) == self.max_pairs:
                break
            if not self.reuse_symbols and (row.y in used or row.x in used):
                continue
            chosen.append(row)
            used |= {row.y, row.x}
        self.pairs_ = pd.DataFrame(chosen, columns=list(PAIR_COLUMNS))

    def _scores(self, panel: Panel) -> dict[str, np.ndarray]:
        n_time, n_sym = panel.shape
        score = np.full((n_time, n_sym), np.nan)
        weight = np.full((n_time, n_sym), np.nan)
        column = {str(s): k for k, s in enumerate(panel.symbols)}
        missing = sorted({*self.pairs_["y"], *self.pairs_["x"]} - set(column))
        if missing:
            raise DataError(f"pairs: symbols {missing} of the fitted pairs are not in the bars")
        logs = _log(panel.close)
        size = 0.5 / max(len(self.pairs_), 1)
        for row in self.pairs_.itertuples(index=False):
            iy, ix = column[row.y], column[row.x]
            _, z = rolling_hedge(logs[:, iy], logs[:, ix], self.window)
            pos = threshold_positions(z[:, None], self.entry, self.exit, self.stop)[:, 0]
            known = np.isfinite(z)
            for k, sign in ((iy, 1.0), (ix, -1.0)):
                leg = np.where(known, sign * pos, np.nan)
                score[:, k] = _add(score[:, k], leg)
                weight[:, k] = _add(weight[:, k], leg * size)
        out = {"score": np.sign(score)}
        if self.target_weights:
            out["target_weight"] = weight
        return out

    def hedge_ratios(self, bars: pd.DataFrame) -> pd.DataFrame:
        """Rolling hedge ratio of every fitted pair, ``[timestamps, "y/x"]`` (causal)."""
        if not getattr(self, "fitted_", False):
            from alphafactory.strategies.base import NotFittedError

            raise NotFittedError("Pairs is not fitted; call fit(bars) first.")
        panel = load_panel(bars)
        logs = pd.DataFrame(_log(panel.close), index=panel.timestamps,
                            columns=panel.symbols.astype(str))  # fmt: skip
        out = {}
        for row in self.pairs_.itertuples(index=False):
            beta, _ = rolling_hedge(logs[row.y].to_numpy(), logs[row.x].to_numpy(), self.window)
            out[f"{row.y}/{row.x}"] = beta
        return pd.DataFrame(out, index=panel.timestamps)
