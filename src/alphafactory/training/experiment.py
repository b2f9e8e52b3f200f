"""One walk-forward experiment as a TOML-serializable config: data, features, labels, model.

The TOML document (unknown sections or keys raise)::

    seed = 0
    [model]          # name, preset, then the model's own settings (see get_model)
    name = "lstm"
    preset = "default"
    hidden_size = 32
    [train]          # TrainConfig fields (torch models only)
    epochs = 10
    [walk_forward]   # WalkForward fields plus the window length
    train = 500
    val = 120
    test = 250
    lookback = 20
    [features]
    names = ["ret_1", "cs_z_ret_1"]
    [labels]         # the target (LabelSettings): forward_returns arguments by default
    horizon = 1
    entry = "next_open"
    target = "returns"   # or "direction" (dead_zone, ...) or "triple_barrier" (pt, sl, ...)
    [synthetic]      # synthetic_market arguments, for synthetic data
    n_symbols = 40
    [selection]      # SelectionSettings: a static filter, then steps fitted per fold
    exclude = ["obv"]
    steps = [{step = "ic_screen", k = 40}, {step = "cluster", threshold = 0.8}]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphafactory.config_io import check_keys, drop_none, from_section
from alphafactory.errors import ConfigError
from alphafactory.models.selection_config import SelectionSettings
from alphafactory.training.splits import WalkForward
from alphafactory.training.walk_forward import KeepModels, WalkForwardResult, walk_forward

if TYPE_CHECKING:
    from alphafactory.models.artifact import ModelArtifact

DEFAULT_FEATURES: tuple[str, ...] = (
    "ret_1",
    "ret_5",
    "ret_20",
    "cs_z_ret_1",
    "cs_z_ret_5",
    "cs_z_ret_20",
    "rel_volume_20",
    "cc_vol_20",
    "rsi_14",
)


TARGETS: tuple[str, ...] = ("returns", "direction", "triple_barrier")
# The settings each target takes beyond horizon and entry (None fields: the builder's default).
_TARGET_KEYS: dict[str, tuple[str, ...]] = {
    "returns": ("kind", "demean"),
    "direction": ("kind", "demean", "dead_zone", "dead_zone_units", "vol_window"),
    "triple_barrier": ("pt", "sl", "vol_window"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelSettings:
    """The training target: ``target`` and that target's settings.

    ``"returns"`` (default) is :func:`alphafactory.labels.forward_returns` (``horizon``,
    ``kind``, ``entry``, ``demean``). ``"direction"`` is :func:`alphafactory.labels.direction`
    of that return: up (1), down (-1) or flat (0) inside the ``dead_zone``, in return units or,
    with ``dead_zone_units = "volatility"``, in units of the trailing ``vol_window``-bar
    volatility times ``sqrt(horizon)``. ``"triple_barrier"`` is the ``label`` of
    :func:`alphafactory.labels.triple_barrier` (``pt``, ``sl``, ``vol_window``, ``horizon``,
    ``entry``). A setting of another target raises.
    """

    horizon: int = 1
    kind: str = "log"
    entry: str = "next_open"
    demean: bool = True
    target: str = "returns"
    dead_zone: float | None = None
    dead_zone_units: str | None = None
    pt: float | None = None
    sl: float | None = None
    vol_window: int | None = None

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(f"target must be one of {list(TARGETS)}, got {self.target!r}")
        for key in ("dead_zone", "dead_zone_units", "pt", "sl", "vol_window"):
            if getattr(self, key) is not None and key not in _TARGET_KEYS[self.target]:
                users = [t for t, keys in _TARGET_KEYS.items() if key in keys]
                raise ConfigError(f"{key} is a setting of target {' or '.join(users)}, not of "
                                  f"target {self.target!r}")  # fmt: skip
        if self.dead_zone_units not in (None, "return", "volatility"):
            raise ConfigError(f"dead_zone_units must be 'return' or 'volatility', got "
                              f"{self.dead_zone_units!r}")  # fmt: skip

    @property
    def is_classification(self) -> bool:
        """Whether the target is a class (direction, triple barrier) rather than a return."""
        return self.target != "returns"

    def forward_kwargs(self) -> dict[str, Any]:
        """Arguments of :func:`~alphafactory.labels.forward_returns` (the return target)."""
        return {"horizon": self.horizon, "kind": self.kind, "entry": self.entry,
                "demean": self.demean}  # fmt: skip

    def build(self, bars: pd.DataFrame) -> pd.Series:
        """Return the target of ``bars``, indexed like them, with its ``attrs["horizon"]``."""
        from alphafactory.labels import direction, forward_returns

        if self.target == "returns":
            return forward_returns(bars, **self.forward_kwargs())
        if self.target == "direction":
            return direction(
                bars, self.horizon, entry=self.entry, kind=self.kind, demean=self.demean,
                threshold=_or(self.dead_zone, 0.0), vol_window=_or(self.vol_window, 20),
                vol_scaled=self.dead_zone_units == "volatility",
            )  # fmt: skip
        return self._barriers(bars)["label"].rename(f"triple_barrier_{self.horizon}")

    def trade_returns(self, bars: pd.DataFrame) -> pd.Series | None:
        """The return a trade on the target's class makes, for trading metrics (None for the
        return target): the forward return whose sign is the direction, or the triple
        barrier's return from entry to the barrier touched."""
        from alphafactory.labels import forward_returns

        if self.target == "direction":
            return forward_returns(bars, **self.forward_kwargs())
        if self.target == "triple_barrier":
            return self._barriers(bars)["ret"]
        return None

    def _barriers(self, bars: pd.DataFrame) -> pd.DataFrame:
        from alphafactory.labels import triple_barrier

        return triple_barrier(
            bars, pt=_or(self.pt, 2.0), sl=_or(self.sl, 2.0), horizon=self.horizon,
            vol_window=_or(self.vol_window, 20), entry=self.entry,
        )  # fmt: skip


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


@dataclass(frozen=True, kw_only=True, slots=True)
class WalkForwardSettings:
    """:class:`WalkForward` fields plus ``lookback`` (bars per model window)."""

    train: int = 500
    val: int = 120
    test: int = 250
    step: int | None = None
    purge: int | None = None
    embargo: int = 0
    expanding: bool = False
    lookback: int = 20

    def splitter(self) -> WalkForward:
        """Return the splitter these settings describe."""
        return WalkForward(
            train=self.train, val=self.val, test=self.test, step=self.step, purge=self.purge,
            embargo=self.embargo, expanding=self.expanding,
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class SyntheticSettings:
    """Arguments of :func:`alphafactory.data.synthetic_market` for synthetic experiments.

    ``alpha_kind`` picks the planted signal (``"reversal"``, ``"mix"``, ``"interaction"``,
    ``"decay"``: see :class:`alphafactory.data.AlphaSpec`), planted with IC ``alpha_ic``.
    """

    n_symbols: int = 40
    n_bars: int = 1400
    alpha_ic: float = 0.1
    seed: int = 0
    alpha_kind: str = "reversal"

    def __post_init__(self) -> None:
        from alphafactory.data.alpha_spec import ALPHA_KINDS
        from alphafactory.errors import ConfigError

        if self.alpha_kind not in ALPHA_KINDS:
            raise ConfigError(f"[synthetic] alpha_kind must be one of {list(ALPHA_KINDS)}, "
                              f"got {self.alpha_kind!r}")  # fmt: skip
        if not -1.0 < self.alpha_ic < 1.0:
            raise ConfigError(f"[synthetic] alpha_ic must lie in (-1, 1), got {self.alpha_ic!r}")

    def spec(self) -> str:
        """The ``synthetic:...`` bars source spec of these settings."""
        kind = "" if self.alpha_kind == "reversal" else f"alpha_kind={self.alpha_kind},"
        return (f"synthetic:n_symbols={self.n_symbols},n_bars={self.n_bars},{kind}"
                f"alpha_ic={self.alpha_ic},seed={self.seed}")  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class ExperimentConfig:
    """A full walk-forward experiment.

    Parameters
    ----------
    model : str
        Registered model name.
    preset : str
        ``get_model`` preset.
    model_params : mapping
        The model's own settings (``get_model`` keyword arguments).
    train : mapping
        ``TrainConfig`` fields overriding the preset (torch models).
    """

    model: str
    preset: str = "default"
    model_params: Mapping[str, Any] = field(default_factory=dict)
    train: Mapping[str, Any] = field(default_factory=dict)
    walk_forward: WalkForwardSettings = field(default_factory=WalkForwardSettings)
    features: tuple[str, ...] = DEFAULT_FEATURES
    labels: LabelSettings = field(default_factory=LabelSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    synthetic: SyntheticSettings = field(default_factory=SyntheticSettings)
    seed: int = 0

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], *, model: str | None = None) -> ExperimentConfig:
        """Build from a TOML document (see the module docstring); ``model`` overrides its name."""
        known = {"seed", "model", "train", "walk_forward", "features", "labels", "synthetic",
                 "selection"}  # fmt: skip
        check_keys(doc, known, "the experiment config")
        model_doc = dict(doc.get("model", {}))
        name = model or model_doc.pop("name", None)
        model_doc.pop("name", None)
        if not name:
            raise ValueError("No model: give [model] name = ... in the config or --model.")
        preset = model_doc.pop("preset", "default")
        features_doc = dict(doc.get("features", {}))
        check_keys(features_doc, {"names"}, "[features]")
        return cls(
            model=name,
            preset=preset,
            model_params=model_doc,
            train=dict(doc.get("train", {})),
            walk_forward=from_section(
                WalkForwardSettings, doc.get("walk_forward", {}), "[walk_forward]"
            ),
            features=tuple(features_doc.get("names", DEFAULT_FEATURES)),
            labels=from_section(LabelSettings, doc.get("labels", {}), "[labels]"),
            selection=_selection(doc.get("selection", {})),
            synthetic=from_section(SyntheticSettings, doc.get("synthetic", {}), "[synthetic]"),
            seed=int(doc.get("seed", 0)),
        )

    def to_mapping(self) -> dict[str, Any]:
        """Return the TOML document of this config (``None`` fields left out)."""
        return {
            "seed": self.seed,
            "model": {"name": self.model, "preset": self.preset, **dict(self.model_params)},
            "train": dict(self.train),
            "walk_forward": drop_none(dataclasses.asdict(self.walk_forward)),
            "features": {"names": list(self.features)},
            "selection": self.selection.to_mapping(),
            "labels": drop_none(dataclasses.asdict(self.labels)),
            "synthetic": dataclasses.asdict(self.synthetic),
        }

    def model_config(self) -> dict[str, Any]:
        """``get_model`` keyword arguments (``train`` only for torch models)."""
        from alphafactory.models.registry import NEURAL_CONFIGS

        config: dict[str, Any] = {"preset": self.preset, **dict(self.model_params)}
        if self.model in NEURAL_CONFIGS:
            config["train"] = dict(self.train)
        elif self.train:
            raise ValueError(f"[train] applies to torch models; {self.model!r} is not one.")
        return config


def _selection(doc: Any) -> SelectionSettings:
    from alphafactory.errors import ConfigError

    if not isinstance(doc, Mapping):
        raise ConfigError(f"[selection] must be a table, got {doc!r}")
    try:
        return from_section(SelectionSettings, doc, "[selection]")
    except ConfigError as exc:
        message = str(exc) if "[selection]" in str(exc) else f"[selection] {exc}"
        raise ConfigError(message) from None


def prepare_data(bars: pd.DataFrame, config: ExperimentConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Return ``(features, labels)`` of ``bars`` as the config describes."""
    from alphafactory.features import build_features

    features = build_features(bars, config.selection.filter(config.features))
    labels = config.labels.build(bars)
    return features, labels


def run_experiment(
    bars: pd.DataFrame,
    config: ExperimentConfig,
    *,
    executor: Any = None,
    keep_models: KeepModels = "none",
) -> WalkForwardResult:
    """Build features and labels from ``bars`` and walk the model forward.

    ``keep_models`` is walk_forward's (kept artifacts record the bars' fingerprint).
    """
    from alphafactory.data import fingerprint

    features, labels = prepare_data(bars, config)
    return walk_forward(
        features, labels, model=config.model, splitter=config.walk_forward.splitter(),
        lookback=config.walk_forward.lookback, config=config.model_config(), seed=config.seed,
        executor=executor, keep_models=keep_models, selection=config.selection.fold_steps(),
        data_fingerprint=fingerprint(bars) if keep_models != "none" else None,
    )  # fmt: skip


def final_model(
    bars: pd.DataFrame, config: ExperimentConfig, *, oos: pd.DataFrame | None = None
) -> ModelArtifact:
    """Refit the experiment's model once on every labelled bar (see :func:`fit_final`);
    ``oos`` (the walk-forward's predictions) go into its reference statistics."""
    from alphafactory.data import fingerprint
    from alphafactory.training.final import fit_final

    features, labels = prepare_data(bars, config)
    return fit_final(
        features, labels, model=config.model, splitter=config.walk_forward.splitter(),
        lookback=config.walk_forward.lookback, config=config.model_config(), seed=config.seed,
        data_fingerprint=fingerprint(bars), oos=oos, selection=config.selection.fold_steps(),
    )  # fmt: skip
