"""Feature selection fitted per fold: screens, clusters and projections as fold steps.

Every step follows the fold-step contract of :mod:`alphafactory.models.feature_steps`: it is
fitted on a fold's training rows only (walk-forward passes their labels, NaN where unknown) and
transforms any slice; its learned state is JSON, stored in model artifacts.

* ``cs_zscore`` (:class:`CrossSectionalZScore`): per timestamp, ``(x - mean) / std`` across
  symbols (stateless; the planted signals are cross-sectional).
* ``ic_screen`` (:class:`ICScreen`): the mean per-timestamp cross-sectional IC of each feature
  with the label; keep the ``k`` largest ``|IC|`` and/or those whose IC t-stat passes.
* ``interactions`` (:class:`~alphafactory.models.selection_interactions.InteractionScreen`): appends
  the products of the strongest features with every other whose training IC is largest.
* ``cluster`` (:class:`CorrelationCluster`): hierarchical clustering on ``1 - |corr|``; one
  representative per cluster, the member with the largest ``|IC|``.
* ``mi_screen``, ``pca``, ``gbm_importance``, ``lasso``: see
  :mod:`alphafactory.models.selection_fitted`.
* ``standardize``, ``cs_rank``, ``rolling_zscore``: the normalizers of
  :mod:`alphafactory.features.normalize`.

Configs name steps through :data:`SELECTION_STEPS` (a step is one entry there) and
:func:`build_steps` turns ``[{"step": "ic_screen", "k": 40}, ...]`` into steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.features.normalize import CrossSectionalRank, RollingZScore, Standardizer
from alphafactory.features.regime_features import RegimeFeatures
from alphafactory.models.feature_steps import ColumnSubset, FoldStep, step_params
from alphafactory.models.selection_fitted import GBMImportance, LassoSelect, MIScreen, PCAStep
from alphafactory.models.selection_interactions import InteractionScreen

__all__ = [
    "DEFAULT_SELECTION",
    "SELECTION_STEPS",
    "CorrelationCluster",
    "CrossSectionalZScore",
    "ICScreen",
    "build_steps",
    "feature_ic",
    "step_name",
    "step_specs",
]


def _groups(index: pd.Index) -> np.ndarray:
    """Timestamp group codes of a long frame's rows (one group for a single-asset frame)."""
    if isinstance(index, pd.MultiIndex):
        return pd.factorize(index.get_level_values(0))[0]
    return np.zeros(len(index), dtype=np.int64)


def feature_ic(
    frame: pd.DataFrame, labels: pd.Series | np.ndarray, *, min_obs: int = 3
) -> pd.DataFrame:
    """Return each feature's mean per-timestamp Pearson IC with ``labels`` and its t-stat.

    The IC at a timestamp is the correlation across symbols of the pairs where both are finite
    (timestamps with fewer than ``min_obs`` pairs, or a constant side, are left out); a
    single-asset frame is one group (a time-series IC). Columns ``ic`` (mean), ``ic_std``,
    ``n`` (timestamps), ``tstat`` (``ic / ic_std * sqrt(n)``) and ``covered_ic`` (the mean IC
    over every timestamp with a label, 0 where the feature has no IC: what the feature earns as
    a score; a sparse column, such as a candlestick pattern, can have a large ``ic`` from a few
    timestamps and a small ``covered_ic``), indexed by feature.
    """
    y = np.asarray(labels, dtype=np.float64)
    groups = _groups(frame.index)
    rows = np.flatnonzero(np.isfinite(y))
    rows = rows[np.argsort(groups[rows], kind="stable")]
    g = groups[rows]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.empty(0, np.intp)
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    n_feat = values.shape[1]
    ic = np.full((len(starts), n_feat), np.nan)
    if len(starts):
        member = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(g)]))
        yr = y[rows][:, None]
        for lo in range(0, n_feat, 32):  # bounded memory: 32 columns of rows at a time
            x = values[rows, lo : lo + 32]
            mask = np.isfinite(x)
            n = np.add.reduceat(mask, starts, axis=0).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                mx = np.add.reduceat(np.where(mask, x, 0.0), starts, axis=0) / n
                my = np.add.reduceat(np.where(mask, yr, 0.0), starts, axis=0) / n
                dx = np.where(mask, x - mx[member], 0.0)
                dy = np.where(mask, yr - my[member], 0.0)
                sxy = np.add.reduceat(dx * dy, starts, axis=0)
                sxx = np.add.reduceat(dx * dx, starts, axis=0)
                syy = np.add.reduceat(dy * dy, starts, axis=0)
                ok = (n >= min_obs) & (sxx > 0) & (syy > 0)
                ic[:, lo : lo + 32] = np.where(ok, sxy / np.sqrt(sxx * syy), np.nan)
    count = np.isfinite(ic).sum(axis=0)
    filled = np.where(np.isfinite(ic), ic, 0.0)
    mean = np.where(count > 0, filled.sum(axis=0) / np.maximum(count, 1), np.nan)
    dev = np.where(np.isfinite(ic), ic - mean, 0.0)
    std = np.where(count > 1, np.sqrt((dev * dev).sum(axis=0) / np.maximum(count - 1, 1)), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = np.where(std > 0, mean / std * np.sqrt(count), np.nan)
    covered = np.where(count > 0, filled.sum(axis=0) / max(len(starts), 1), np.nan)
    return pd.DataFrame({"ic": mean, "ic_std": std, "n": count, "tstat": tstat,
                         "covered_ic": covered}, index=pd.Index(frame.columns))  # fmt: skip


def _require_labels(step: FoldStep, labels: pd.Series | None) -> np.ndarray:
    if labels is None:
        raise ValueError(f"{type(step).__name__}.fit needs labels (the training rows' labels).")
    return np.asarray(labels, dtype=np.float64)


def _out_dtype(frame: pd.DataFrame) -> type:
    return np.float32 if len(frame.columns) and (frame.dtypes == np.float32).all() else np.float64


def _check_positive_int(step: FoldStep, name: str, value: Any, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{type(step).__name__}: {name} must be an integer >= 1, got {value!r}")


def market_wide(frame: pd.DataFrame) -> np.ndarray:
    """Which columns are market-wide: the same for every symbol at every timestamp.

    A regime probability is one (:class:`~alphafactory.features.regime_features.RegimeFeatures`
    appends the same value to every symbol): it has no cross-section to z-score or rank, and
    carries information only through what a model conditions on it. A column with no finite
    value, or one constant over time too, is not market-wide.
    """
    index = frame.index
    if not isinstance(index, pd.MultiIndex) or index.get_level_values(1).nunique() < 2:
        return np.zeros(frame.shape[1], dtype=bool)
    grouped = frame.groupby(level=0, sort=False)
    high = grouped.max().to_numpy(dtype=np.float64, na_value=np.nan)
    spread = high - grouped.min().to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(spread)
    with np.errstate(invalid="ignore"):
        moves = np.nanmax(np.where(finite, high, -np.inf), axis=0) > np.nanmin(
            np.where(finite, high, np.inf), axis=0
        )
    return finite.any(axis=0) & np.all(~finite | (spread == 0.0), axis=0) & moves


class CrossSectionalZScore(FoldStep):
    """Z-score each column across symbols at each timestamp (``(x - mean) / std``, ddof 1).

    ``fit`` records the columns and which are market-wide (:func:`market_wide`, e.g. regime
    probabilities: ``passthrough_``); those pass through unchanged. A timestamp with one finite
    value, or a constant cross-section, gives 0; NaN (and an infinite value) is NaN and left out
    of the timestamp's mean and std. A single-asset frame (no symbol level, or one symbol)
    passes through unchanged: a cross-section of one carries nothing.

    Parameters
    ----------
    clip : float, optional
        Clip z-scores to ``[-clip, clip]``.
    """

    def __init__(self, clip: float | None = None) -> None:
        self.clip = clip

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> CrossSectionalZScore:
        """Record the columns and the market-wide ones among them."""
        self._start_fit(frame, labels)
        self.passthrough_ = market_wide(frame)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Z-score per timestamp (market-wide columns unchanged)."""
        self._check_fitted(frame)
        index = frame.index
        if not isinstance(index, pd.MultiIndex) or index.get_level_values(1).nunique() < 2:
            return frame
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        groups = _groups(index)
        order = np.argsort(groups, kind="stable")  # rows of a timestamp together, in frame order
        g = groups[order]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        member = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(g)]))
        x = values[order]
        finite = np.isfinite(x)
        n = np.add.reduceat(finite, starts, axis=0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.add.reduceat(np.where(finite, x, 0.0), starts, axis=0) / n
            dev = np.where(finite, x - mean[member], np.nan)
            ss = np.add.reduceat(np.where(finite, dev * dev, 0.0), starts, axis=0)
            std = np.sqrt(ss / (n - 1))[member]
            z_sorted = np.where(std > 0, dev / std, np.where(finite, 0.0, np.nan))
        z = np.empty_like(z_sorted)
        z[order] = z_sorted
        if self.clip is not None:
            z = np.clip(z, -self.clip, self.clip)
        passthrough = getattr(self, "passthrough_", np.zeros(z.shape[1], dtype=bool))
        z[:, passthrough] = values[:, passthrough]
        return pd.DataFrame(z.astype(_out_dtype(frame)), index=index, columns=frame.columns)


class ICScreen(ColumnSubset):
    """Keep the features whose cross-sectional IC with the label is largest on the training rows.

    ``ic_``, ``tstat_`` and ``covered_ic_`` are :func:`feature_ic`'s ``ic``, ``tstat`` and
    ``covered_ic`` per input column. The features whose ``|tstat| >= min_tstat`` (all when None)
    are ranked by ``|covered_ic|`` (so a pattern that fires on a few bars does not outrank a
    feature informative on every bar) and the first ``k`` kept (all when None), in input order.
    When none passes, the largest is kept: a model needs one input. Market-wide columns
    (:func:`market_wide`: regime probabilities) have no cross-sectional IC;
    ``keep_market_wide`` keeps them beside the ``k``.

    Parameters
    ----------
    k : int, optional
        Features to keep at most.
    min_tstat : float, optional
        Least ``|t-stat|`` of the mean IC (over timestamps) a kept feature has.
    min_obs : int
        Least symbols with a label at a timestamp for its IC to count.
    """

    def __init__(
        self,
        k: int | None = 40,
        min_tstat: float | None = None,
        min_obs: int = 3,
        keep_market_wide: bool = True,
    ) -> None:
        self.k = k
        self.min_tstat = min_tstat
        self.min_obs = min_obs
        self.keep_market_wide = keep_market_wide

    def _validate(self) -> None:
        _check_positive_int(self, "k", self.k)
        _check_positive_int(self, "min_obs", self.min_obs, optional=False)
        if self.min_tstat is not None and not self.min_tstat >= 0:
            raise ValueError(f"ICScreen: min_tstat must be >= 0, got {self.min_tstat!r}")

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> ICScreen:
        """Measure each column's IC on the training rows and choose the kept ones."""
        self._validate()
        self._start_fit(frame, labels)
        stats = feature_ic(frame, _require_labels(self, labels), min_obs=self.min_obs)
        self.ic_ = stats["ic"].to_numpy()
        self.tstat_ = stats["tstat"].to_numpy()
        self.covered_ic_ = stats["covered_ic"].to_numpy()
        strength = np.nan_to_num(np.abs(self.covered_ic_), nan=-1.0)
        passing = strength >= 0
        if self.min_tstat is not None:
            passing &= np.nan_to_num(np.abs(self.tstat_), nan=-1.0) >= self.min_tstat
        order = np.argsort(-np.where(passing, strength, -np.inf), kind="stable")
        chosen = order[: int(passing.sum())][: self.k]
        if len(chosen) == 0:
            chosen = np.argsort(-strength, kind="stable")[:1]
        support = np.zeros(len(strength), dtype=bool)
        support[chosen] = True
        if self.keep_market_wide:
            support |= market_wide(frame)
        self._keep(support)
        return self


def _abs_correlation(values: np.ndarray) -> np.ndarray:
    """``|corr|`` between columns (NaN filled with the column mean; constant columns 0)."""
    mean = np.nanmean(np.where(np.isfinite(values), values, np.nan), axis=0) if len(values) else 0
    mean = np.nan_to_num(mean)
    centred = np.where(np.isfinite(values), values - mean, 0.0)
    norm = np.sqrt((centred * centred).sum(axis=0))
    safe = np.where(norm > 0, norm, 1.0)
    corr = np.abs((centred.T @ centred) / np.outer(safe, safe))
    corr[norm == 0, :] = 0.0
    corr[:, norm == 0] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, 0.0, 1.0)


def _subsample(n_rows: int, max_rows: int, seed: int) -> np.ndarray:
    """Row positions: all of them, or ``max_rows`` drawn without replacement (sorted)."""
    if n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))


class CorrelationCluster(ColumnSubset):
    """Cluster features on ``1 - |corr|`` (training rows) and keep one per cluster.

    Features whose ``|corr|`` is above ``threshold`` (under ``linkage``: on average for
    ``"average"``, for every pair with ``"complete"``) share a cluster; the representative is
    the member with the largest ``|IC|`` (:func:`feature_ic`) when labels are given, else the
    first in input order. ``cluster_`` holds each input column's cluster id.

    Parameters
    ----------
    threshold : float
        ``|corr|`` in ``(0, 1]`` at which features merge.
    linkage : {"average", "complete", "single"}
        scipy's linkage method.
    max_rows : int
        Training rows the correlations are measured on at most (a seeded subsample beyond).
    seed : int
        Seed of the subsample.
    """

    def __init__(
        self, threshold: float = 0.8, linkage: str = "average", max_rows: int = 50_000,
        seed: int = 0,
    ) -> None:  # fmt: skip
        self.threshold = threshold
        self.linkage = linkage
        self.max_rows = max_rows
        self.seed = seed

    def _validate(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"CorrelationCluster: threshold must be in (0, 1], got "
                             f"{self.threshold!r}")  # fmt: skip
        if self.linkage not in ("average", "complete", "single"):
            raise ValueError(f"CorrelationCluster: linkage must be 'average', 'complete' or "
                             f"'single', got {self.linkage!r}")  # fmt: skip
        _check_positive_int(self, "max_rows", self.max_rows, optional=False)

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> CorrelationCluster:
        """Cluster the training rows' columns and choose each cluster's representative."""
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        self._validate()
        self._start_fit(frame, labels)
        n_feat = frame.shape[1]
        if labels is not None:
            self.ic_ = feature_ic(frame, np.asarray(labels, dtype=np.float64))["ic"].to_numpy()
        else:
            self.ic_ = np.full(n_feat, np.nan)
        if n_feat < 2:
            self.cluster_ = np.ones(n_feat, dtype=np.int64)
        else:
            rows = _subsample(len(frame), self.max_rows, self.seed)
            values = frame.to_numpy(dtype=np.float64, na_value=np.nan)[rows]
            distance = 1.0 - _abs_correlation(values)
            distance = np.clip((distance + distance.T) / 2, 0.0, 1.0)
            np.fill_diagonal(distance, 0.0)
            tree = linkage(squareform(distance, checks=False), method=self.linkage)
            self.cluster_ = fcluster(tree, t=1.0 - self.threshold, criterion="distance").astype(
                np.int64
            )
        strength = np.nan_to_num(np.abs(self.ic_), nan=-1.0)
        support = np.zeros(n_feat, dtype=bool)
        for cluster in np.unique(self.cluster_):
            members = np.flatnonzero(self.cluster_ == cluster)
            support[members[np.argmax(strength[members])]] = True  # first of ties
        self._keep(support)
        return self


# The steps configs can name; a new step is one entry.
SELECTION_STEPS: Mapping[str, type] = MappingProxyType({
    "standardize": Standardizer,
    "cs_rank": CrossSectionalRank,
    "rolling_zscore": RollingZScore,
    "cs_zscore": CrossSectionalZScore,
    "ic_screen": ICScreen,
    "cluster": CorrelationCluster,
    "interactions": InteractionScreen,
    "mi_screen": MIScreen,
    "pca": PCAStep,
    "gbm_importance": GBMImportance,
    "lasso": LassoSelect,
    "regimes": RegimeFeatures,  # appends causal HMM regime probabilities (features.regimes)
})  # fmt: skip

# The selection of a workflow that trains on all registered features and names no steps.
# Clustering before the screen: screened first, the 40 best were often all variants of one
# family (volatility) and the clusters then left 6-9 inputs without the mix's other parts
# (planted mix IC 0.05 seed 4: ridge 0.25 -> 0.63 of the oracle IC). 20 distinct inputs: the
# networks lose with more (CI self-test, 25: LSTM 0.76, Transformer 0.59; 15: 0.94, 0.82) and
# ridge on the mix with fewer (seeds 0 and 4, 15: 0.76, 0.48; 20: 0.97, 0.63).
DEFAULT_SELECTION: tuple[Mapping[str, Any], ...] = (
    MappingProxyType({"step": "cs_zscore"}),
    MappingProxyType({"step": "interactions", "k": 5}),
    MappingProxyType({"step": "cluster", "threshold": 0.8}),
    MappingProxyType({"step": "ic_screen", "k": 20}),
)


def build_steps(specs: Sequence[Mapping[str, Any]], where: str = "selection steps") -> list[Any]:
    """Return unfitted steps from specs like ``{"step": "ic_screen", "k": 40}``.

    ``step`` names an entry of :data:`SELECTION_STEPS`; every other key is one of its
    arguments. Raises :class:`ConfigError` naming ``where`` and the entry for an unknown step,
    an unknown key or a bad value.
    """
    if isinstance(specs, (str, Mapping)) or not isinstance(specs, Sequence):
        raise ConfigError(f"{where} must be a list of tables, got {specs!r}")
    steps = []
    for i, spec in enumerate(specs):
        at = f"{where}[{i}]"
        if not isinstance(spec, Mapping):
            raise ConfigError(f'{at} must be a table like {{step = "ic_screen"}}, got {spec!r}')
        name = spec.get("step")
        if name not in SELECTION_STEPS:
            raise ConfigError(f"step in {at}: unknown step {name!r}; known: "
                              f"{sorted(SELECTION_STEPS)}")  # fmt: skip
        cls = SELECTION_STEPS[name]
        params = {k: v for k, v in spec.items() if k != "step"}
        known = set(_init_names(cls))
        unknown = sorted(set(params) - known)
        if unknown:
            raise ConfigError(f"{at} ({name}): unknown key(s) {unknown}; {name} takes "
                              f"{sorted(known)}")  # fmt: skip
        step = cls(**params)
        try:
            getattr(step, "_validate", lambda: None)()
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{at} ({name}): {exc}") from None
        steps.append(step)
    return steps


def _init_names(cls: type) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]  # fmt: skip


def step_name(step: Any) -> str:
    """The :data:`SELECTION_STEPS` name of ``step``'s class; ValueError when it has none."""
    for name, cls in SELECTION_STEPS.items():
        if type(step) is cls:
            return name
    raise ValueError(f"{type(step).__name__} is not a step of SELECTION_STEPS")


def step_specs(steps: Sequence[Any]) -> list[dict[str, Any]]:
    """The specs of ``steps`` (the inverse of :func:`build_steps`), for configs and reports."""
    return [{"step": step_name(s), **step_params(s)} for s in steps]
