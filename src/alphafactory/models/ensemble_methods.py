"""The registered model ``"ensemble"``: an in-fold ensemble of registered models by name.

``get_model("ensemble", method="blend", members=["lightgbm", "xgboost"])`` builds each member
with ``get_model`` (same preset, ``member_params[name]`` as its settings) and wraps them in the
ensemble class of :data:`ENSEMBLE_METHODS`. Its members are fitted inside each walk-forward fold
and any weights on that fold's validation slice, so the ensemble is one more model of the
workflow (``[models] names = ["ensemble"]``, ``[models.params.ensemble] method = "blend"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from alphafactory.models.base import AlphaEstimator
from alphafactory.models.ensemble import MeanEnsemble, RankAverageEnsemble, StackingEnsemble
from alphafactory.models.ensemble_weights import BayesianAveragingEnsemble, BlendEnsemble
from alphafactory.models.voting import VotingEnsemble

__all__ = ["ENSEMBLE_METHODS", "build_ensemble"]

# method -> (class, fixed arguments)
ENSEMBLE_METHODS: dict[str, tuple[type, dict[str, Any]]] = {
    "mean": (MeanEnsemble, {}),
    "rank_average": (RankAverageEnsemble, {}),
    "stacking": (StackingEnsemble, {}),
    "blend": (BlendEnsemble, {}),
    "bma": (BayesianAveragingEnsemble, {}),
    "vote_soft": (VotingEnsemble, {"voting": "soft"}),
    "vote_hard": (VotingEnsemble, {"voting": "hard"}),
}


def build_ensemble(
    get_member: Callable[..., AlphaEstimator],
    *,
    preset: str,
    train: Any,
    seed: int,
    neural: Sequence[str],
    method: str = "mean",
    members: Sequence[str] = ("ridge", "mlp"),
    member_params: Mapping[str, Mapping[str, Any]] | None = None,
    **params: Any,
) -> AlphaEstimator:
    """Return the unfitted ensemble ``method`` of the registered models ``members``.

    Parameters
    ----------
    get_member : callable
        ``get_model``: builds a member from its name, ``preset``, ``seed`` and settings.
    preset : str
        The preset every member is built from.
    train : TrainConfig or mapping, optional
        Training settings passed to the torch members (names in ``neural``) only.
    seed : int
        The ensemble's seed: member ``i`` is fitted with ``seed + i``.
    neural : sequence of str
        The torch model names (they take ``train``).
    method : str
        A key of :data:`ENSEMBLE_METHODS`.
    members : sequence of str
        Registered model names, at least one, each once, not ``"ensemble"``; default a linear
        and a neural member, both in the core install.
    member_params : mapping, optional
        Per member name its ``get_model`` settings.
    **params
        Arguments of the ensemble class (``alpha``, ``temperature``, ``prior``,
        ``stopping_fraction``, ``weights``).

    Raises
    ------
    ValueError
        An unknown method, an empty or repeated member list, settings for a model that is not a
        member, or an argument the method does not take.
    """
    if method not in ENSEMBLE_METHODS:
        raise ValueError(f"Unknown ensemble method {method!r}; expected one of "
                         f"{list(ENSEMBLE_METHODS)}.")  # fmt: skip
    members = list(members)
    if not members or len(set(members)) != len(members) or "ensemble" in members:
        raise ValueError(f"ensemble members must be distinct registered model names other than "
                         f"'ensemble', at least one; got {members}.")  # fmt: skip
    member_params = dict(member_params or {})
    unknown = sorted(set(member_params) - set(members))
    if unknown:
        raise ValueError(f"ensemble member_params names {unknown}, which are not members "
                         f"{members}.")  # fmt: skip
    cls, fixed = ENSEMBLE_METHODS[method]
    allowed = set(_init_args(cls)) - {"members", "seed", *fixed}
    extra = sorted(set(params) - allowed)
    if extra:
        raise ValueError(f"Unknown setting(s) {extra} for ensemble method {method!r}; valid "
                         f"keys are {sorted(allowed)}.")  # fmt: skip
    built = [
        get_member(name, preset=preset, seed=seed + i,
                   **({"train": train} if name in neural and train is not None else {}),
                   **dict(member_params.get(name, {})))
        for i, name in enumerate(members)
    ]  # fmt: skip
    if "prior" in params and params["prior"] is not None:
        params["prior"] = tuple(params["prior"])
    if "weights" in params and params["weights"] is not None:
        params["weights"] = tuple(params["weights"])
    return cls(built, **fixed, **params, seed=seed)


def _init_args(cls: type) -> list[str]:
    import inspect

    return [p for p in inspect.signature(cls).parameters if p != "self"]
