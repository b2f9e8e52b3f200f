"""The ``[search]`` section of a factory file: what the Optuna study searches, and how.

A trial picks one model of ``[models] names`` (a categorical when there are several), that
model's hyperparameters from ``space.<model>``, the label (``labels``: kind, horizon and the
triple-barrier widths) and the feature families to train on (``features.families``: one
include flag per family, at least one kept). Each entry of a space is

- a table ``{low = 0.01, high = 100.0, log = true}`` (integers when ``low`` and ``high`` are
  both integers; ``step`` optional),
- a list ``[8, 16, 32]`` (a categorical), or
- a plain value (fixed, recorded with the trial's parameters).

Nothing here imports Optuna at module level: the ``tune`` extra is optional until a search runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alphafactory.errors import ConfigError

__all__ = ["LABEL_KINDS", "Distribution", "SearchConfig", "TrialParams", "parse_space"]

# The label kinds a trial can train on; both are evaluated on the same trading yardstick.
LABEL_KINDS = ("forward", "triple_barrier")
_LABEL_KEYS = {"kind", "horizon", "pt", "sl", "vol_window"}


@dataclass(frozen=True, slots=True)
class Distribution:
    """One searched parameter: ``float``/``int`` range, ``categorical`` choices or ``fixed``."""

    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any, name: str) -> Any:
        """Draw this parameter from an Optuna trial."""
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log,
                                     step=int(self.step or 1))  # fmt: skip
        if self.kind == "float":
            return trial.suggest_float(name, float(self.low), float(self.high), log=self.log,
                                       step=self.step)  # fmt: skip
        if self.kind == "categorical":
            return trial.suggest_categorical(name, list(self.choices))
        return self.choices[0]


def parse_distribution(value: Any, where: str) -> Distribution:
    """Read one space entry (see the module docstring); errors name ``where``."""
    if isinstance(value, Mapping):
        keys = set(value) - {"low", "high", "log", "step"}
        if keys or not {"low", "high"} <= set(value):
            raise ConfigError(f"{where} must be a table with low, high (log, step optional), "
                              f"got {dict(value)!r}")  # fmt: skip
        low, high = value["low"], value["high"]
        for key, bound in (("low", low), ("high", high)):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(
                bound
            ):
                raise ConfigError(f"{where}.{key} must be a finite number, got {bound!r}")
        if not low < high:
            raise ConfigError(f"{where}: low must be < high, got low={low!r}, high={high!r}")
        log = value.get("log", False)
        if not isinstance(log, bool):
            raise ConfigError(f"{where}.log must be true or false, got {log!r}")
        if log and low <= 0:
            raise ConfigError(f"{where}: a log range needs low > 0, got {low!r}")
        kind = "int" if isinstance(low, int) and isinstance(high, int) else "float"
        step = value.get("step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float))
                                 or step <= 0 or log):  # fmt: skip
            raise ConfigError(f"{where}.step must be a positive number without log, got {step!r}")
        return Distribution(kind, low, high, log, step)
    if isinstance(value, list):
        if not value:
            raise ConfigError(f"{where} must list at least one choice")
        if any(isinstance(v, (list, Mapping)) for v in value):
            raise ConfigError(f"{where}: choices must be plain values, got {value!r}")
        return Distribution("categorical", choices=tuple(value))
    if isinstance(value, (bool, int, float, str)):
        return Distribution("fixed", choices=(value,))
    raise ConfigError(f"{where} must be a range table, a list of choices or a value, got {value!r}")


def parse_space(table: Mapping[str, Any], where: str) -> dict[str, Distribution]:
    """Read a table of parameter -> distribution."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table, got {table!r}")
    return {key: parse_distribution(value, f"{where}.{key}") for key, value in table.items()}


@dataclass(frozen=True, slots=True)
class TrialParams:
    """What one trial trains: a model with its settings, a label and the feature families."""

    model: str
    model_params: dict[str, Any]
    label: dict[str, Any]
    families: tuple[str, ...] | None  # None: the workflow's own feature set

    def flat(self) -> dict[str, Any]:
        """One flat mapping for tracking (``model``, ``model.<p>``, ``label.<p>``, ...)."""
        out: dict[str, Any] = {"model": self.model}
        out.update({f"model.{k}": v for k, v in self.model_params.items()})
        out.update({f"label.{k}": v for k, v in self.label.items()})
        if self.families is not None:
            out["features.families"] = ",".join(self.families)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (read back by :meth:`from_dict`)."""
        return {"model": self.model, "model_params": dict(self.model_params),
                "label": dict(self.label),
                "families": None if self.families is None else list(self.families)}  # fmt: skip

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> TrialParams:
        families = doc.get("families")
        return cls(str(doc["model"]), dict(doc.get("model_params", {})), dict(doc["label"]),
                   None if families is None else tuple(families))  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class SearchConfig:
    """The ``[search]`` table: the study's size, sampler, pruner, windows and spaces.

    ``n_trials`` trials (every one counted by the gate, pruned and failed ones included) of a
    ``sampler`` (``tpe`` | ``random``, seeded by the workflow's seed) with a ``pruner``
    (``median``: Optuna's median pruner on the per-fold out-of-sample IC after
    ``prune_after`` folds | ``none``). ``withheld`` bars at the end of the data are never seen
    by the search: the gate evaluates the candidate there. ``space`` holds one table per model
    name, ``labels`` the label's space (``kind``, ``horizon``, ``pt``, ``sl``, ``vol_window``;
    default the workflow's ``[labels]``), ``families`` the feature families a trial may
    include (empty: the workflow's feature set, not searched). ``executor`` runs trials in
    parallel: a worker count (a local Dask cluster) or a Dask scheduler address
    (``tcp://host:8786``); default one trial after another in this process (the study is then
    identical on a rerun). ``timeout_minutes`` stops starting new trials after that long.
    """

    n_trials: int = 20
    sampler: str = "tpe"
    pruner: str = "median"
    prune_after: int = 1
    withheld: int = 504
    families: tuple[str, ...] = ()
    space: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, Any] = field(default_factory=dict)
    executor: str | int | None = None
    timeout_minutes: float | None = None
    history: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.n_trials, bool) or self.n_trials < 1:
            raise ConfigError(f"n_trials must be an integer >= 1, got {self.n_trials!r}")
        if self.sampler not in ("tpe", "random"):
            raise ConfigError(f"sampler must be 'tpe' or 'random', got {self.sampler!r}")
        if self.pruner not in ("median", "none"):
            raise ConfigError(f"pruner must be 'median' or 'none', got {self.pruner!r}")
        if self.prune_after < 0:
            raise ConfigError(f"prune_after must be >= 0, got {self.prune_after!r}")
        if self.withheld < 20:
            raise ConfigError(f"withheld must be >= 20 bars, got {self.withheld!r}")
        if self.history is not None and self.history <= self.withheld:
            raise ConfigError(f"history must be more than withheld = {self.withheld} bars, got "
                              f"{self.history!r}")  # fmt: skip
        if self.timeout_minutes is not None and not (
            math.isfinite(self.timeout_minutes) and self.timeout_minutes > 0
        ):
            raise ConfigError(f"timeout_minutes must be > 0, got {self.timeout_minutes!r}")
        if isinstance(self.executor, int) and self.executor < 1:
            raise ConfigError(f"executor must be >= 1 workers, got {self.executor!r}")
        if isinstance(self.executor, str) and not (
            self.executor == "processes" or "://" in self.executor
        ):
            raise ConfigError(
                "executor must be a worker count, 'processes' or a Dask scheduler address "
                f"such as tcp://host:8786, got {self.executor!r}"
            )
        for model, table in self.space.items():
            parse_space(table, f"space.{model}")
        unknown = sorted(set(self.labels) - _LABEL_KEYS)
        if unknown:
            raise ConfigError(f"labels: unknown key(s) {unknown}; known: {sorted(_LABEL_KEYS)}")
        spaces = parse_space(self.labels, "labels")
        kinds = spaces.get("kind")
        if kinds is not None:
            bad = [k for k in (kinds.choices or ()) if k not in LABEL_KINDS]
            if kinds.kind not in ("categorical", "fixed") or bad:
                raise ConfigError(f"labels.kind must be chosen from {list(LABEL_KINDS)}, "
                                  f"got {self.labels['kind']!r}")  # fmt: skip

    def check_models(self, names: tuple[str, ...]) -> None:
        """Every ``space`` table must name a model of ``[models] names``."""
        unknown = sorted(set(self.space) - set(names))
        if unknown:
            raise ConfigError(f"[search] space names model(s) {unknown} that are not in "
                              f"[models] names {list(names)}")  # fmt: skip

    def suggest(
        self, trial: Any, models: tuple[str, ...], base_label: Mapping[str, Any]
    ) -> TrialParams:
        """Draw one trial's parameters (names are stable: ``model``, ``<model>.<p>``, ...)."""
        model = models[0] if len(models) == 1 else trial.suggest_categorical("model", list(models))
        params = {
            key: dist.suggest(trial, f"{model}.{key}")
            for key, dist in parse_space(self.space.get(model, {}), f"space.{model}").items()
        }
        label = {"kind": "forward", "horizon": int(base_label.get("horizon", 1))}
        for key, dist in parse_space(self.labels, "labels").items():
            label[key] = dist.suggest(trial, f"label.{key}")
        if label["kind"] == "forward":  # barrier widths mean nothing to a forward return
            label = {k: v for k, v in label.items() if k not in ("pt", "sl", "vol_window")}
        families = None
        if self.families:
            chosen = [f for f in self.families
                      if trial.suggest_categorical(f"family.{f}", [True, False])]  # fmt: skip
            families = tuple(chosen or self.families[:1])  # never an empty feature set
        return TrialParams(model, params, label, families)
