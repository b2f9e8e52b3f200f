"""Pairwise interactions screened per fold: products of a strong feature and a conditioner.

A signal that holds only where another variable is high (reversal in names with a volume shock,
momentum in calm regimes) has little IC in either variable alone, so a univariate screen drops
the conditioner and no model downstream can find the interaction. :class:`InteractionScreen`
looks for it on the training rows: it ranks every product ``base * gate(conditioner)`` of two
columns (both z-scored across symbols per timestamp and clipped, so one outlier does not make a
product; the conditioner through a soft sign ``tanh`` by default, a gate that is ~+1 where it is
high and ~-1 where it is low) by an approximate IC computed for all pairs at once by two matrix
products, measures the best ``candidates`` exactly, and appends the ``k`` with the largest
``|IC|`` as new columns named ``"base*tanh(conditioner)"``. The inputs pass through unchanged;
a screen after it (``ic_screen``) decides what the model sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.models.feature_steps import FoldStep

__all__ = ["InteractionScreen"]

GATES = ("tanh", "linear")


def _cs_zscore(frame: pd.DataFrame, clip: float, passthrough: np.ndarray) -> np.ndarray:
    """Z-score the columns across symbols per timestamp, clipped; NaN stays NaN; the
    ``passthrough`` (market-wide) columns unchanged."""
    from alphafactory.models.selection import CrossSectionalZScore

    step = CrossSectionalZScore(clip=clip)
    step.feature_names_in_ = pd.Index(frame.columns)
    step.passthrough_ = passthrough
    z = np.array(step.transform(frame).to_numpy(dtype=np.float64, na_value=np.nan))
    if passthrough.any():  # the clip applies to z-scores, not to a market-wide level
        z[:, passthrough] = frame.to_numpy(dtype=np.float64, na_value=np.nan)[:, passthrough]
    return z


def _approximate_ic(
    z: np.ndarray, gated: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """``|IC|`` of every product ``z[:, b] * gated[:, c]`` with ``y`` at once, approximately.

    The mean per-timestamp IC with each timestamp's product spread replaced by the pooled one:
    with labels demeaned and scaled per timestamp, every numerator is one matrix product (a
    product's own mean at a timestamp meets demeaned labels and drops out). Good enough to rank
    all pairs; the best are measured exactly.
    """
    rows = np.flatnonzero(np.isfinite(y))
    g = pd.factorize(groups[rows])[0]
    n_times = max(int(g.max()) + 1 if len(g) else 0, 1)
    yr = y[rows]
    count = np.bincount(g, minlength=n_times).astype(np.float64)
    mean = np.bincount(g, yr, minlength=n_times) / np.maximum(count, 1)
    dev = yr - mean[g]
    sd = np.sqrt(np.bincount(g, dev * dev, minlength=n_times) / np.maximum(count, 1))
    scaled = np.where(sd[g] > 0, dev / (sd[g] * count[g]), 0.0)
    zr = np.nan_to_num(z[rows]).astype(np.float32)
    gr = np.nan_to_num(gated[rows]).astype(np.float32)
    numerator = (zr * scaled[:, None].astype(np.float32)).T @ gr
    np.square(zr, out=zr)
    np.square(gr, out=gr)
    spread = np.sqrt((zr.T @ gr) / max(len(rows), 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ic = np.abs(numerator) / (n_times * spread)
    return np.nan_to_num(ic.astype(np.float64), nan=0.0, posinf=0.0)


class InteractionScreen(FoldStep):
    """Append the ``k`` products ``base * gate(conditioner)`` with the largest training ``|IC|``.

    ``fit`` ranks every ordered pair of input columns (a column may condition itself) by
    :func:`_approximate_ic`, measures the ``candidates`` best exactly (``covered_ic`` of
    :func:`~alphafactory.models.selection.feature_ic`: the mean IC over every training bar), and
    keeps the ``k`` products with the largest ``|IC|`` whose IC is larger than that of both of
    their factors (a product that only echoes a factor adds nothing). Searching all pairs, not
    only the strongest single features, matters: the reversal of the planted interaction market
    has a third of the interaction's IC, and in a short window some noise feature outranks it.
    ``pairs_`` holds the chosen ``(base, conditioner)`` names.

    ``transform`` returns the input columns followed by the products, each factor z-scored
    across symbols and clipped to ``[-clip, clip]`` at its timestamp, so the step reads the same
    before or after a ``cs_zscore`` (a market-wide column, such as a regime probability, enters
    as it is). A single-asset frame has no cross-section: the factors are the raw values.

    Parameters
    ----------
    k : int
        Products appended at most.
    gate : {"tanh", "linear"}
        How the conditioner multiplies: ``tanh`` of its z-score (a soft switch: the planted
        reversal-in-volume-shock market keeps ~0.96 of its interaction in ``x * tanh(c)``, ~0.8
        in ``x * c``), or the z-score itself (a plain product).
    candidates : int
        Pairs of the approximate ranking measured exactly.
    clip : float
        Clip of each factor's cross-sectional z-score.
    min_obs : int
        Least symbols with a label at a timestamp for its IC to count.
    """

    def __init__(
        self,
        k: int = 5,
        gate: str = "tanh",
        candidates: int = 50,
        clip: float = 3.0,
        min_obs: int = 3,
    ) -> None:
        self.candidates = candidates
        self.k = k
        self.gate = gate
        self.clip = clip
        self.min_obs = min_obs

    def _validate(self) -> None:
        for name in ("k", "candidates", "min_obs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"InteractionScreen: {name} must be an integer >= 1, got {value!r}"
                )
        if self.gate not in GATES:
            raise ValueError(f"InteractionScreen: gate must be one of {GATES}, got {self.gate!r}")
        if not (isinstance(self.clip, (int, float)) and self.clip > 0):
            raise ValueError(f"InteractionScreen: clip must be > 0, got {self.clip!r}")

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> InteractionScreen:
        """Measure the products' IC on the training rows and choose the ``k`` kept."""
        from alphafactory.models.selection import _groups, _require_labels, feature_ic, market_wide

        self._validate()
        self._start_fit(frame, labels)
        y = _require_labels(self, labels)
        wide = market_wide(frame)
        z = self._factors(frame, frame.columns, wide)

        def covered_ic(values: np.ndarray) -> np.ndarray:
            # The mean IC over every training timestamp, 0 where a column is constant: a sparse
            # column (a candlestick pattern) is no strong feature for its few defined bars.
            stats = feature_ic(pd.DataFrame(values, index=frame.index), y, min_obs=self.min_obs)
            return np.abs(stats["covered_ic"].to_numpy())

        strength = np.nan_to_num(covered_ic(z), nan=-1.0)
        approx = _approximate_ic(z, self._gated(z), y, _groups(frame.index))
        if self.gate == "linear":
            approx = np.triu(approx)  # b*c is c*b: each product once
        order = np.argsort(-approx, axis=None, kind="stable")[: self.candidates]
        base, cond = np.unravel_index(order, approx.shape)
        base, cond = base[approx[base, cond] > 0], cond[approx[base, cond] > 0]
        exact = np.concatenate(  # in chunks: the products of 226,800 rows x 200 pairs are 360 MB
            [covered_ic(z[:, base[i : i + 50]] * self._gated(z[:, cond[i : i + 50]]))
             for i in range(0, len(base), 50)] or [np.empty(0)]
        )  # fmt: skip
        found = [(float(v), int(b), int(c)) for v, b, c in zip(exact, base, cond, strict=True)
                 if np.isfinite(v)]  # fmt: skip
        pairs: list[tuple[int, int]] = []
        for value, b, c in sorted(found, key=lambda t: (-t[0], t[1], t[2])):
            if value <= max(strength[b], strength[c]):
                continue  # an echo of a factor adds nothing
            pairs.append((b, c))
            if len(pairs) == self.k:
                break
        names = self.feature_names_in_
        self.pairs_ = np.array([[str(names[b]), str(names[c])] for b, c in pairs], dtype=str)
        self.pairs_ = self.pairs_.reshape(len(pairs), 2)
        used = pd.Index(list(dict.fromkeys(self.pairs_.ravel().tolist())))
        self.market_wide_ = np.asarray(wide[names.get_indexer(used)], dtype=bool)
        wrap = "{}" if self.gate == "linear" else self.gate + "({})"
        self.feature_names_out_ = names.append(
            pd.Index([f"{b}*{wrap.format(c)}" for b, c in self.pairs_])
        )
        return self

    def _gated(self, values: np.ndarray) -> np.ndarray:
        """The conditioner as it multiplies: itself, or a soft sign ``tanh`` of it."""
        return values if self.gate == "linear" else np.tanh(values)

    def _factors(self, frame: pd.DataFrame, columns: pd.Index, wide: np.ndarray) -> np.ndarray:
        """The columns as factors: cross-sectional z-scores (market-wide ones as they are)."""
        part = frame.loc[:, columns]
        index = frame.index
        if not isinstance(index, pd.MultiIndex) or index.get_level_values(1).nunique() < 2:
            return part.to_numpy(dtype=np.float64, na_value=np.nan)
        return _cs_zscore(part, float(self.clip), wide)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The input columns followed by the chosen products."""
        self._check_fitted(frame)
        if len(self.pairs_) == 0:
            return frame
        used = pd.Index(list(dict.fromkeys(self.pairs_.ravel().tolist())))
        z = self._factors(frame, used, self.market_wide_)
        where = {name: i for i, name in enumerate(used)}
        products = np.column_stack(
            [z[:, where[b]] * self._gated(z[:, where[c]]) for b, c in self.pairs_]
        )
        dtype = np.float32 if (frame.dtypes == np.float32).all() else np.float64
        extra = pd.DataFrame(products.astype(dtype), index=frame.index,
                             columns=self.feature_names_out_[len(frame.columns):])  # fmt: skip
        return pd.concat([frame, extra], axis=1)
