"""What alpha a synthetic market plants: one frozen spec (see :mod:`alphafactory.data.planted`).

Kinds (every one is cross-sectionally z-scored at each bar and uses bars ``<= t`` only; the
market plants it with exactly IC ``ic`` into the next bar's return):

``"reversal"``
    The 5-bar reversal, optionally mixed with volume-scaled 20-bar momentum
    (``momentum_weight``). It IS a registered feature (``-cs_z_ret_5`` when
    ``momentum_weight=0``): kept for comparison with older results.
``"mix"``
    A weighted mix of five z-scored families: 5-bar reversal, 40-bar momentum skipping the
    last 20 bars, volume shock, 20-bar volatility, distance to the 20-bar moving average.
    ``weights`` (one per :data:`MIX_COMPONENTS`) are drawn from the market's seed unless given.
    No single registered feature equals it; each component has registered proxies, so a linear
    model on the features can learn most of it.
``"interaction"``
    The 5-bar reversal in the names whose ``condition`` (``"volume"`` shock or
    ``"volatility"``) is above the cross-sectional median, times ``elsewhere`` in the others
    (``0``: none, negative: momentum). A linear model on the features gets little of it.
``"decay"``
    The ``mix`` score smoothed by an EWMA of half-life ``half_life`` bars: a persistent signal
    whose IC with the return ``k`` bars ahead decays slowly in ``k``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["ALPHA_KINDS", "MIX_COMPONENTS", "AlphaSpec", "alpha_spec"]

AlphaKind = Literal["reversal", "mix", "interaction", "decay"]
ALPHA_KINDS: tuple[str, ...] = ("reversal", "mix", "interaction", "decay")
MIX_COMPONENTS: tuple[str, ...] = ("reversal", "momentum", "volume", "volatility", "distance")
CONDITIONS: tuple[str, ...] = ("volume", "volatility")
_WEIGHT_STREAM = 0xA1FA  # second seed word: mix weights never touch the market's own stream
_KIND_SETTINGS: dict[str, tuple[str, ...]] = {
    "reversal": ("momentum_weight",),
    "mix": ("weights",),
    "interaction": ("condition", "elsewhere"),
    "decay": ("weights", "half_life"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class AlphaSpec:
    """The planted alpha of :func:`alphafactory.data.synthetic_market`.

    Attributes
    ----------
    kind : {"reversal", "mix", "interaction", "decay"}
        Which signal (see the module docstring).
    ic : float
        Planted cross-sectional Pearson IC with the next bar's log return, in ``(-1, 1)``.
    momentum_weight : float
        ``"reversal"`` only: weight in ``[0, 1]`` of the volume-scaled momentum term.
    weights : tuple of float, optional
        ``"mix"`` and ``"decay"``: one weight per :data:`MIX_COMPONENTS`; None draws them from
        the market's seed (see :meth:`resolve`). Not all zero.
    condition : {"volume", "volatility"}
        ``"interaction"`` only: what selects the names where the reversal holds.
    elsewhere : float
        ``"interaction"`` only: the reversal's weight in the other names, in ``[-1, 1)``.
    half_life : float
        ``"decay"`` only: EWMA half-life in bars, ``>= 1``.

    Settings of another kind must stay at their defaults.
    """

    kind: AlphaKind = "reversal"
    ic: float = 0.0
    momentum_weight: float = 0.0
    weights: tuple[float, ...] | None = None
    condition: str = "volume"
    elsewhere: float = -0.5
    half_life: float = 15.0

    def __post_init__(self) -> None:
        if self.kind not in ALPHA_KINDS:
            raise ValueError(f"AlphaSpec.kind must be one of {ALPHA_KINDS}; got {self.kind!r}.")
        if not (isinstance(self.ic, (int, float)) and -1.0 < self.ic < 1.0):
            raise ValueError(f"AlphaSpec.ic must lie in (-1, 1); got {self.ic!r}.")
        for name in ("momentum_weight", "weights", "condition", "elsewhere", "half_life"):
            default = _DEFAULTS[name]
            if name not in _KIND_SETTINGS[self.kind] and getattr(self, name) != default:
                raise ValueError(
                    f"AlphaSpec.{name} does not apply to kind={self.kind!r} (it is for "
                    f"{[k for k, v in _KIND_SETTINGS.items() if name in v]}); "
                    f"got {getattr(self, name)!r}."
                )
        if not 0.0 <= self.momentum_weight <= 1.0:
            raise ValueError(
                f"AlphaSpec.momentum_weight must lie in [0, 1]; got {self.momentum_weight!r}."
            )
        if self.weights is not None:
            weights = tuple(float(w) for w in self.weights)
            if len(weights) != len(MIX_COMPONENTS) or not all(np.isfinite(weights)):
                raise ValueError(
                    f"AlphaSpec.weights must be {len(MIX_COMPONENTS)} finite numbers (one per "
                    f"{MIX_COMPONENTS}); got {self.weights!r}."
                )
            if not any(weights):
                raise ValueError(f"AlphaSpec.weights must not all be zero; got {weights!r}.")
            object.__setattr__(self, "weights", weights)
        if self.condition not in CONDITIONS:
            raise ValueError(
                f"AlphaSpec.condition must be one of {CONDITIONS}; got {self.condition!r}."
            )
        if not -1.0 <= self.elsewhere < 1.0:
            raise ValueError(f"AlphaSpec.elsewhere must lie in [-1, 1); got {self.elsewhere!r}.")
        if not (np.isfinite(self.half_life) and self.half_life >= 1.0):
            raise ValueError(f"AlphaSpec.half_life must be >= 1 bar; got {self.half_life!r}.")

    def resolve(self, seed: int) -> AlphaSpec:
        """This spec with ``weights`` drawn from ``seed`` where the kind needs them and has none.

        Magnitudes are uniform on ``[0.7, 1]`` with random signs, from a generator seeded by
        ``(seed, 0xA1FA)``: deterministic per seed, independent of the market's own draws.
        """
        if self.kind not in ("mix", "decay") or self.weights is not None:
            return self
        rng = np.random.default_rng([int(seed), _WEIGHT_STREAM])
        size = len(MIX_COMPONENTS)
        weights = rng.uniform(0.7, 1.0, size) * rng.choice([-1.0, 1.0], size)
        return dataclasses.replace(self, weights=tuple(float(w) for w in weights))


_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(AlphaSpec) if f.name not in ("kind", "ic")
}


def alpha_spec(value: AlphaSpec | Mapping[str, Any]) -> AlphaSpec:
    """An :class:`AlphaSpec` from itself or a mapping of its fields (unknown keys raise)."""
    if isinstance(value, AlphaSpec):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"alpha must be an AlphaSpec or a mapping of its fields; got {value!r}.")
    known = {f.name for f in dataclasses.fields(AlphaSpec)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"alpha: unknown keys {unknown}; known: {sorted(known)}.")
    doc = dict(value)
    if doc.get("weights") is not None:
        doc["weights"] = tuple(doc["weights"])
    return AlphaSpec(**doc)
