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

Measured (100 symbols x 2520 daily bars, seeds 0-1, ``ic=0.05``; the IC at ``k = 1`` is exact
at every bar, the others are means over bars of the IC of ``truth_t`` with the one-bar log
return of bar ``t + k``)::

    k              1      2      3      4      5
    reversal     0.050  0.038  0.028  0.015  0.004
    mix          0.050  0.036  0.033  0.032  0.030
    interaction  0.050  0.008  0.009  0.003  0.000
    decay        0.050  0.050  0.050  0.050  0.050   (0.0495 at k = 5; half-lives 10-20 alike)

so the ``k``-bar forward return of the decay kind has IC about ``ic * sqrt(k)`` (0.111 at
``k = 5``). Against the registered features (40 symbols x 700 bars, seeds 0-5): the reversal is
``cs_z_ret_5`` (correlation 1); the largest pooled |correlation| of any feature with mix is
0.55-0.72, interaction 0.43-0.45 (0.63-0.73 with ``condition="volatility"``), decay 0.61-0.82;
a least-squares fit on all features reaches R^2 0.96-0.98 for mix, 0.90-0.95 for decay,
0.32-0.35 for interaction (0.55-0.69 with ``condition="volatility"``, 0.65-0.66 with
``elsewhere=0``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from alphafactory.errors import ConfigError

__all__ = [
    "ALPHA_KINDS",
    "MIX_COMPONENTS",
    "AlphaSpec",
    "alpha_from_args",
    "alpha_spec",
    "synthetic_arguments",
]

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


# Spec keys of the AlphaSpec (besides alpha_ic and momentum_weight), by AlphaSpec field.
_SPEC_KEYS = {
    "alpha_kind": "kind",
    "alpha_condition": "condition",
    "alpha_elsewhere": "elsewhere",
    "alpha_half_life": "half_life",
}

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


def alpha_from_args(
    alpha: AlphaSpec | Mapping[str, Any] | None,
    alpha_ic: float | None,
    momentum_weight: float | None,
) -> AlphaSpec:
    """The one planted-alpha spec of the arguments (the older keywords mean the reversal)."""
    if alpha is not None:
        if alpha_ic is not None or momentum_weight is not None:
            raise ValueError(
                "synthetic_market: give the alpha either as alpha=AlphaSpec(...) or as "
                "alpha_ic/momentum_weight, not both."
            )
        return alpha_spec(alpha)
    ic = 0.0 if alpha_ic is None else alpha_ic
    if not -1.0 < ic < 1.0:
        raise ValueError(f"alpha_ic must lie in (-1, 1); got {alpha_ic!r}.")
    weight = 0.0 if momentum_weight is None else momentum_weight
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"momentum_weight must lie in [0, 1]; got {momentum_weight!r}.")
    return AlphaSpec(kind="reversal", ic=ic, momentum_weight=weight)


def synthetic_arguments(params: Mapping[str, Any], spec: str = "synthetic") -> dict[str, Any]:
    """``synthetic_market`` keyword arguments of typed spec parameters: with an ``alpha_*`` key
    the alpha is one ``alpha=AlphaSpec(...)`` (IC ``alpha_ic``), else the keys pass as they are.
    A bad alpha setting raises ConfigError naming its key."""
    params = dict(params)
    given = {key: params.pop(key) for key in _SPEC_KEYS if key in params}
    if not given:
        return params
    kind = given.get("alpha_kind", "reversal")
    if kind not in ALPHA_KINDS:
        raise ConfigError(
            f"bars source {spec!r}: alpha_kind must be one of {list(ALPHA_KINDS)}; got {kind!r}."
        )
    fields = {_SPEC_KEYS[key]: value for key, value in given.items()}
    fields["ic"] = params.pop("alpha_ic", 0.0)
    if "momentum_weight" in params:
        fields["momentum_weight"] = params.pop("momentum_weight")
    try:
        params["alpha"] = AlphaSpec(**fields)
    except ValueError as exc:
        names = {v: k for k, v in _SPEC_KEYS.items()} | {"ic": "alpha_ic"}
        field = str(exc).split(" ", 1)[0].removeprefix("AlphaSpec.")
        raise ConfigError(
            f"bars source {spec!r}: {names.get(field, field)}: {str(exc).split(' ', 1)[1]}"
        ) from None
    return params
