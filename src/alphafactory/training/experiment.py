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
    [labels]         # forward_returns arguments
    horizon = 1
    entry = "next_open"
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


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelSettings:
    """Arguments of :func:`alphafactory.labels.forward_returns`."""

    horizon: int = 1
    kind: str = "log"
    entry: str = "next_open"
    demean: bool = True


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
            "labels": dataclasses.asdict(self.labels),
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
    from alphafactory.labels import forward_returns

    features = build_features(bars, config.selection.filter(config.features))
    labels = forward_returns(bars, **dataclasses.asdict(config.labels))
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
