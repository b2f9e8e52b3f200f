"""The registry of portfolio rules: one name per rule, shared by the CLI, workflow files and code.

:data:`RULES` maps a name to a :class:`~alphafactory.portfolio.base.PortfolioRule` class (an
explicit table, never an import path in a string). :func:`build_rule` makes a rule from its name
and a mapping of parameters (a workflow file's ``[portfolio] params``): unknown names and keys
raise :class:`~alphafactory.errors.ConfigError`; a nested ``base`` or ``fallback`` is itself a
rule table (``{rule = "topk", k = 3}``) and ``limits`` a :class:`Limits` table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.portfolio.base import PortfolioRule, PortfolioState
from alphafactory.portfolio.kelly import FractionalKelly
from alphafactory.portfolio.limits import Limits
from alphafactory.portfolio.optimizers import OPTIMIZERS
from alphafactory.portfolio.params import check_parameters
from alphafactory.portfolio.scaling import OptimalF, VolTarget
from alphafactory.portfolio.score_rules import Hysteresis, Proportional, Quantile, Threshold, TopK
from alphafactory.portfolio.sizing import EqualWeight, InverseVolatility, RiskParity
from alphafactory.portfolio.topk_exposure import TopKExposure
from alphafactory.signals import rebalance_every

_RULE_CLASSES: tuple[type[PortfolioRule], ...] = (
    TopK, Quantile, Proportional, Threshold, Hysteresis, TopKExposure, EqualWeight,
    InverseVolatility, RiskParity, FractionalKelly, VolTarget, OptimalF, *OPTIMIZERS,
)  # fmt: skip
RULES: dict[str, type[PortfolioRule]] = {cls.name: cls for cls in _RULE_CLASSES}
_NESTED_RULES = frozenset({"base", "fallback"})


def rule_parameters(rule: str) -> tuple[str, ...]:
    """The parameter names a registered rule accepts, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(_rule_class(rule)))  # type: ignore[arg-type]


def rule_defaults(rule: str) -> dict[str, Any]:
    """Each parameter of a registered rule with its default (a nested rule or limits as objects)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(_rule_class(rule)):  # type: ignore[arg-type]
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            value = None
        out[f.name] = value
    return out


def describe_rules() -> pd.DataFrame:
    """One row per registered rule: ``family``, ``name``, ``parameters`` (``key=default``) and
    ``summary`` (the first line of its docstring); what ``alphafactory portfolio list`` prints."""
    rows = []
    for name, cls in RULES.items():
        params = ", ".join(f"{k}={_show(v)}" for k, v in rule_defaults(name).items())
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append({"family": cls.family, "name": name, "parameters": params, "summary": summary})
    return pd.DataFrame(rows, columns=["family", "name", "parameters", "summary"])


def build_rule(rule: str, params: Mapping[str, Any] | None = None) -> PortfolioRule:
    """Make a registered rule from its name and parameters.

    Raises
    ------
    ConfigError
        For an unknown rule or parameter, or a value the rule refuses; the message names the rule.
    """
    cls = _rule_class(rule)
    params = dict(params or {})
    valid = rule_parameters(rule)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"rule {rule!r}: unknown parameter(s) {unknown}; rule {rule!r} takes {sorted(valid)}"
        )
    for key in _NESTED_RULES & set(params):
        params[key] = _nested_rule(rule, key, params[key])
    if "limits" in params and isinstance(params["limits"], Mapping):
        try:
            params["limits"] = Limits(**params["limits"])
        except TypeError as exc:
            names = [f.name for f in dataclasses.fields(Limits)]
            raise ConfigError(f"rule {rule!r}: limits: {exc}; limits take {names}") from None
        except ValueError as exc:
            raise ConfigError(f"rule {rule!r}: {exc}") from None
    try:
        built = cls(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"rule {rule!r}: {exc}") from None
    check_parameters(built)
    return built


def weights_from_scores(
    scores: pd.DataFrame,
    rule: str | PortfolioRule = "topk",
    *,
    universe: pd.DataFrame | None = None,
    rebalance: int | str = 1,
    prices: pd.DataFrame | None = None,
    state: PortfolioState | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Turn wide scores into target weights with a named rule, held between rebalances.

    Parameters
    ----------
    scores : DataFrame
        ``T x N`` scores; NaN where a symbol has none.
    rule : str or PortfolioRule
        A name of :data:`RULES` (see ``alphafactory portfolio list``), or a rule object.
    universe : DataFrame of bool, optional
        Tradable cells; other scores are set to NaN before the rule sees them.
    rebalance : int or str
        Every N bars, or a pandas period such as ``"W"`` (see
        :func:`~alphafactory.signals.rebalance_every`). A rule that decides row by row
        (optimizers) is handed only the rebalance rows; a vectorized rule's output is thinned.
    prices : DataFrame, optional
        Wide closes, rows up to each score row (needed by sizing rules and optimizers).
    state : PortfolioState, optional
        The book before the first row (held weights, equity); default flat with equity 1.
    **params
        The rule's own parameters (``alphafactory portfolio list`` prints them); any other name
        raises, including a parameter of another rule.

    Returns
    -------
    DataFrame
        ``T x N`` target weights; NaN rows hold the previous decision.

    Raises
    ------
    ConfigError
        For an unknown rule or parameter, a parameter that is not finite or out of range
        (:func:`~alphafactory.portfolio.params.check_parameters`), or a bad ``rebalance``.
    """
    if isinstance(rule, PortfolioRule):
        if params:
            raise ConfigError(f"rule {rule.name!r} is already built; pass no parameters with it.")
        check_parameters(rule)
        built = rule
    else:
        built = build_rule(rule, params)
    rebalance_every(scores.iloc[:0], rebalance)  # a bad rebalance fails before any work
    if universe is not None:
        mask = universe.reindex(index=scores.index, columns=scores.columns).fillna(False)
        scores = scores.where(mask.to_numpy(dtype=bool))
    if built.row_by_row:
        scores = rebalance_every(scores, rebalance)
    return rebalance_every(built.weights(scores, prices, state), rebalance)


def _show(value: Any) -> str:
    """A default as printed: a nested rule or limits as ``{...}`` of the fields that are set."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shown = [f"rule={value.name!r}"] if isinstance(value, PortfolioRule) else []
        for f in dataclasses.fields(value):
            field_value = getattr(value, f.name)
            if field_value != f.default or isinstance(value, PortfolioRule):
                shown.append(f"{f.name}={_show(field_value)}")
        return "{" + ", ".join(shown) + "}"
    return repr(value)


def _rule_class(rule: str) -> type[PortfolioRule]:
    if rule not in RULES:
        raise ConfigError(f"rule: unknown rule {rule!r}; valid rules are {sorted(RULES)}")
    return RULES[rule]


def _nested_rule(owner: str, key: str, spec: Any) -> PortfolioRule:
    if isinstance(spec, PortfolioRule):
        return spec
    if isinstance(spec, str):
        return build_rule(spec)
    if isinstance(spec, Mapping) and isinstance(spec.get("rule"), str):
        rest = {k: v for k, v in spec.items() if k != "rule"}
        return build_rule(spec["rule"], rest)
    raise ConfigError(f"rule {owner!r}: {key} must be a rule name or a table with rule = NAME "
                      f"and its parameters, got {spec!r}")  # fmt: skip
