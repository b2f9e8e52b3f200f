"""The demo job's configuration: frozen dataclasses, serialized as ``config.toml`` in its run.

``alphafactory rerun RUN_DIR`` rebuilds a :class:`DemoConfig` from that file, so every field that
changes a result lives here, and unknown keys raise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alphafactory.config_io import check_keys, drop_none, from_section
from alphafactory.training.experiment import DEFAULT_FEATURES, LabelSettings, WalkForwardSettings


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetSettings:
    """One dataset of the demo and its walk-forward geometry.

    Parameters
    ----------
    source : {"synthetic", "sample"}
        A planted-alpha synthetic panel, or a bundled real sample.
    sample : str
        Bundled sample name when ``source="sample"``.
    n_symbols, n_bars, alpha_ic : int, int, float
        ``synthetic_market`` arguments when ``source="synthetic"``.
    walk_forward : WalkForwardSettings
        Fold sizes in unique timestamps and the window length.
    """

    source: str
    sample: str = "us-equities-daily"
    n_symbols: int = 24
    n_bars: int = 1000
    alpha_ic: float = 0.1
    walk_forward: WalkForwardSettings = field(default_factory=WalkForwardSettings)

    def __post_init__(self) -> None:
        if self.source not in ("synthetic", "sample"):
            raise ValueError(
                f"dataset source must be 'synthetic' or 'sample', got {self.source!r}."
            )


@dataclass(frozen=True, kw_only=True, slots=True)
class PortfolioSettings:
    """How scores become weights and what trading costs.

    The portfolio is dollar neutral: long the top of ``quantiles`` score buckets, short the bottom
    one, gross exposure ``gross``, rebalanced every ``rebalance_every`` bars, traded at the next
    open.
    Costs follow the square-root law: ``half_spread_bps + eta * sigma * sqrt(q / ADV)``.
    """

    quantiles: int = 5
    gross: float = 1.0
    rebalance_every: int = 5
    cash: float = 1e6
    eta: float = 1.0
    half_spread_bps: float = 2.0


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecutionSettings:
    """Book execution of the ensemble's rebalances through the C++ matching engine.

    Every order of the ensemble's backtest becomes a parent order split by ``algo`` into
    ``slices`` child orders over ``horizon_seconds`` of simulated Poisson order flow (see
    :func:`alphafactory.backtest.lob.lob_backtest`).
    """

    algo: str = "twap"
    style: str = "passive"
    slices: int = 5
    horizon_seconds: float = 300.0


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoConfig:
    """Everything the demo does, reproducible from this and the seed."""

    seed: int = 0
    models: tuple[str, ...] = ("lstm", "tcn", "transformer")
    preset: str = "demo"
    features: tuple[str, ...] = DEFAULT_FEATURES
    labels: LabelSettings = field(default_factory=LabelSettings)
    datasets: Mapping[str, DatasetSettings] = field(default_factory=lambda: dict(DEFAULT_DATASETS))
    portfolio: PortfolioSettings = field(default_factory=PortfolioSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)

    @property
    def n_trials(self) -> int:
        """Strategies evaluated per dataset (every model plus the ensemble), for the DSR."""
        return len(self.models) + 1

    def to_mapping(self) -> dict[str, Any]:
        """Return the TOML document of this config."""
        doc = dataclasses.asdict(self)
        doc["models"] = list(self.models)
        doc["features"] = list(self.features)
        doc["datasets"] = {
            name: {
                **dataclasses.asdict(ds),
                "walk_forward": drop_none(dataclasses.asdict(ds.walk_forward)),
            }
            for name, ds in self.datasets.items()
        }
        return doc

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any]) -> DemoConfig:
        """Build from a TOML document such as ``to_mapping`` writes; unknown keys raise."""
        check_keys(doc, {f.name for f in dataclasses.fields(cls)}, "the demo config")
        datasets = {}
        for name, ds in dict(doc.get("datasets", {})).items():
            ds = dict(ds)
            wf = from_section(
                WalkForwardSettings, ds.pop("walk_forward", {}), f"[datasets.{name}.walk_forward]"
            )
            datasets[name] = from_section(
                DatasetSettings, {**ds, "walk_forward": wf}, f"[datasets.{name}]"
            )
        return cls(
            seed=int(doc.get("seed", 0)),
            models=tuple(doc.get("models", cls.models)),
            preset=str(doc.get("preset", "demo")),
            features=tuple(doc.get("features", DEFAULT_FEATURES)),
            labels=from_section(LabelSettings, doc.get("labels", {}), "[labels]"),
            datasets=datasets or dict(DEFAULT_DATASETS),
            portfolio=from_section(PortfolioSettings, doc.get("portfolio", {}), "[portfolio]"),
            execution=from_section(ExecutionSettings, doc.get("execution", {}), "[execution]"),
        )


DEFAULT_DATASETS: dict[str, DatasetSettings] = {
    "synthetic": DatasetSettings(
        source="synthetic",
        n_symbols=24,
        n_bars=1000,
        alpha_ic=0.1,
        walk_forward=WalkForwardSettings(train=400, val=100, test=150, lookback=20),
    ),
    "sample": DatasetSettings(
        source="sample",
        sample="us-equities-daily",
        walk_forward=WalkForwardSettings(train=1000, val=250, test=500, lookback=20),
    ),
}
