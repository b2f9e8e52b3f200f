"""A random forest on the flattened window (scikit-learn's ``RandomForestRegressor``).

scikit-learn grows the trees; the fitted state is only their node arrays (:class:`ForestArrays`),
which this module evaluates itself with scikit-learn's exact rule (float32 features against
float64 thresholds, NaN to the side the node learned, the mean of the trees summed in tree
order). Stored forests are those arrays in an ``.npz``: no pickled code, and the same
predictions after loading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.baselines import flatten_windows

__all__ = ["ForestArrays", "RandomForestAlpha"]

_LEAF = -1
_ROWS = 1 << 15  # samples per block walked down each tree (cache-sized temporaries)
_FIELDS: dict[str, type] = {
    "children_left": np.int64,
    "children_right": np.int64,
    "feature": np.int64,
    "threshold": np.float64,
    "missing_go_to_left": np.uint8,
    "value": np.float64,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class ForestArrays:
    """Every tree's nodes in scikit-learn's ``tree_`` layout, concatenated in tree order.

    Attributes
    ----------
    n_nodes : ndarray of int64, shape [n_trees]
        Nodes per tree; tree ``t`` holds the next ``n_nodes[t]`` entries of the arrays below,
        its root first.
    children_left, children_right : ndarray of int64, shape [N]
        Child of each node, numbered within its tree; -1 at a leaf.
    feature : ndarray of int64, shape [N]
        Column tested at each node (-2 at a leaf).
    threshold : ndarray of float64, shape [N]
        A sample goes left when its float32 value is ``<= threshold``.
    missing_go_to_left : ndarray of uint8, shape [N]
        Side a NaN value takes.
    value : ndarray of float64, shape [N]
        Prediction of each node (the mean training label of a leaf).
    """

    n_nodes: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_go_to_left: np.ndarray
    value: np.ndarray

    @classmethod
    def from_trees(cls, trees: list[Any]) -> ForestArrays:
        """Copy the node arrays of fitted scikit-learn regression trees (``tree_`` objects)."""

        def cat(name: str, dtype: type) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(t, name), dtype=dtype) for t in trees])

        return cls(
            n_nodes=np.array([t.node_count for t in trees], dtype=np.int64),
            children_left=cat("children_left", np.int64),
            children_right=cat("children_right", np.int64),
            feature=cat("feature", np.int64),
            threshold=cat("threshold", np.float64),
            missing_go_to_left=cat("missing_go_to_left", np.uint8),
            value=np.concatenate([np.asarray(t.value, np.float64)[:, 0, 0] for t in trees]),
        )

    def save(self, path: Path) -> None:
        """Write the arrays to the ``.npz`` file ``path``."""
        np.savez(path, n_nodes=self.n_nodes, **{k: getattr(self, k) for k in _FIELDS})

    @classmethod
    def load(cls, path: Path) -> ForestArrays:
        """Read arrays written by :meth:`save`, checking that they describe whole trees."""
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k], dtype=t) for k, t in _FIELDS.items()}
            forest = cls(n_nodes=np.asarray(data["n_nodes"], dtype=np.int64), **arrays)
        forest._check()
        return forest

    def _check(self) -> None:
        total = int(self.n_nodes.sum())
        if len(self.n_nodes) == 0 or (self.n_nodes < 1).any():
            raise ValueError(f"n_nodes must be positive counts, got {self.n_nodes[:5]}")
        for name in _FIELDS:
            if getattr(self, name).shape != (total,):
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, "
                                 f"expected ({total},)")  # fmt: skip
        size = np.repeat(self.n_nodes, self.n_nodes)
        own = np.arange(total) - np.repeat(np.cumsum(self.n_nodes) - self.n_nodes, self.n_nodes)
        for name in ("children_left", "children_right"):
            child = getattr(self, name)
            # scikit-learn numbers a child after its parent: no cycles, every walk ends
            if ((child != _LEAF) & ((child <= own) | (child >= size))).any():
                raise ValueError(f"{name} points outside its tree or back up it")
        if ((self.children_left == _LEAF) != (self.children_right == _LEAF)).any():
            raise ValueError("a node has exactly one child")
        if (self.feature[self.children_left != _LEAF] < 0).any():
            raise ValueError("a split tests a negative column")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Return the forest's mean prediction ``[n]`` for features ``x`` ``[n, columns]``."""
        x = np.ascontiguousarray(x, dtype=np.float32)  # scikit-learn compares float32 values
        n, columns = x.shape
        if columns <= self.feature.max():
            raise ValueError(f"x has {columns} columns; the trees test column "
                             f"{int(self.feature.max())}.")  # fmt: skip
        starts = np.cumsum(self.n_nodes) - self.n_nodes
        leaf = self.children_left == _LEAF
        own = np.arange(len(leaf))
        offset = np.repeat(starts, self.n_nodes)
        # children of node i at 2i (left) and 2i + 1 (right), global; a leaf is its own child
        left_child = np.where(leaf, own, self.children_left + offset)
        right_child = np.where(leaf, own, self.children_right + offset)
        children = np.stack([left_child, right_child], axis=1).ravel()
        feature = np.where(leaf, 0, self.feature)
        nan_left = self.missing_go_to_left.astype(bool)
        depth = _depths(starts, leaf, children)
        flat = x.ravel()
        out = np.zeros(n, dtype=np.float64)
        for lo in range(0, n, _ROWS):
            hi = min(n, lo + _ROWS)
            row = np.arange(lo, hi) * columns
            for root, levels in zip(starts, depth, strict=True):  # summed in tree order
                nodes = np.full(hi - lo, root)
                for _ in range(levels):
                    v = flat.take(row + feature.take(nodes))
                    left = (v <= self.threshold.take(nodes)) | (np.isnan(v) & nan_left.take(nodes))
                    nodes = children.take(2 * nodes + ~left)
                out[lo:hi] += self.value.take(nodes)
        out /= len(starts)
        return out


def _depths(starts: np.ndarray, leaf: np.ndarray, children: np.ndarray) -> np.ndarray:
    """Levels below the root of each tree's deepest leaf (0 for a single leaf)."""
    depth = np.zeros(len(starts), dtype=np.int64)
    frontier, tree = starts, np.arange(len(starts))
    level = 0
    while True:
        inner = ~leaf[frontier]
        frontier, tree = frontier[inner], tree[inner]
        if not len(frontier):
            return depth
        level += 1
        depth[tree] = level
        frontier = np.concatenate([children[2 * frontier], children[2 * frontier + 1]])
        tree = np.concatenate([tree, tree])


class RandomForestAlpha(AlphaEstimator):
    """Random forest regression on the flattened last ``last_steps`` bars.

    Parameters
    ----------
    n_estimators : int
        Trees.
    min_samples_leaf : int or float
        Samples per leaf (a fraction of the training samples when a float); large leaves keep
        the trees from memorising noisy returns.
    max_features : float, int, str or None
        Columns tried per split (scikit-learn's ``max_features``: a fraction, a count,
        ``"sqrt"``, ``"log2"`` or None for all).
    max_depth : int or None
        Depth limit of each tree (None: only ``min_samples_leaf`` limits it).
    max_samples : float or None
        Fraction of the training samples each tree's bootstrap draws (None: all).
    last_steps : int
        Bars of each window used, the latest last.
    n_jobs : int
        Threads that grow trees (1: single-threaded; -1: every core). Prediction is
        single-threaded numpy and identical for every value.
    seed : int
        Seed of the bootstraps and the column draws.

    Attributes
    ----------
    forest_ : ForestArrays
        The trees' node arrays.
    feature_importances_ : ndarray of float64, shape [last_steps * n_features]
        Mean impurity decrease per flattened column, step-major (oldest step first).
    n_features_in_ : int
    """

    def __init__(
        self,
        n_estimators: int = 200,
        min_samples_leaf: int | float = 100,
        max_features: float | int | str | None = 0.3,
        max_depth: int | None = None,
        max_samples: float | None = 0.5,
        last_steps: int = 5,
        n_jobs: int = 1,
        seed: int = 0,
    ):
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_depth = max_depth
        self.max_samples = max_samples
        self.last_steps = last_steps
        self.n_jobs = n_jobs
        self.seed = seed

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> RandomForestAlpha:
        """Fit on windows ``[n, lookback, F]`` and labels ``[n]`` (validation data unused)."""
        del X_val, y_val
        from sklearn.ensemble import RandomForestRegressor

        windows = as_windows(X, y)
        if windows.labels is None:
            raise ValueError("fit needs labels: pass y, or Windows that carry labels.")
        keep = np.flatnonzero(np.isfinite(windows.labels))
        if len(keep) == 0:
            raise ValueError("fit got no finite labels.")
        x = flatten_windows(windows, keep, self.last_steps)
        model = RandomForestRegressor(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            max_depth=self.max_depth,
            max_samples=self.max_samples,
            n_jobs=self.n_jobs,
            random_state=self.seed,
        )
        model.fit(x, windows.labels[keep])
        self.forest_ = ForestArrays.from_trees([tree.tree_ for tree in model.estimators_])
        self.feature_importances_ = np.asarray(model.feature_importances_, dtype=np.float64)
        self.n_features_in_ = windows.n_features
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return float64 scores ``[n]``: the mean of the trees."""
        self._check_fitted()
        windows = as_windows(X)
        if windows.n_features != self.n_features_in_:
            raise ValueError(f"X has {windows.n_features} features; this {type(self).__name__} "
                             f"was fitted on {self.n_features_in_} features.")  # fmt: skip
        x = flatten_windows(windows, np.arange(len(windows)), self.last_steps)
        return self.forest_.predict(x)
