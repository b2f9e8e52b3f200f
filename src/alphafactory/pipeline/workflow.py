"""A workflow file: the typed config of one job, from bars to report, read from TOML.

Top-level keys ``job`` (``run``, or ``demo`` for the bundled demo; ``alphafactory rerun``
dispatches on it), ``name`` (the run's name) and ``seed``, then one table per section of
:data:`SECTIONS`, in the order the steps run. ``[data]`` is one table or an array of tables
(``[[data]]``, each with a ``name``): every later step runs once per dataset. Unknown sections
and keys, and values of the wrong type, raise :class:`~alphafactory.errors.ConfigError` naming
the key and the file.

A section is a frozen dataclass of :mod:`alphafactory.pipeline.sections`; adding one (the
factory's ``[search]``, the monitor's ``[monitor]``) is its dataclass, a field of
:class:`WorkflowConfig` and one entry ``dataclass_section("search", SearchSection)`` of
:data:`SECTIONS`; its step goes into :func:`alphafactory.pipeline.runner.run_workflow`.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alphafactory.config_io import check_keys, drop_none
from alphafactory.errors import ConfigError
from alphafactory.factory.gate import GateConfig
from alphafactory.factory.search import SearchConfig
from alphafactory.monitor.policy import MonitorPolicy
from alphafactory.pipeline.sections import (
    BacktestSection,
    DataSection,
    EnsembleSection,
    ExecutionSection,
    FeaturesSection,
    LabelSettings,
    ModelsSection,
    PortfolioSection,
    ReportSection,
    RiskSection,
    SelectionSection,
    SignalsSection,
    StrategiesSection,
    ValidationSection,
    WalkForwardSettings,
    default_features,
)

# The job kinds a workflow file runs as (train, backtest and execute have their own configs).
JOBS: tuple[str, ...] = ("run", "demo")


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowConfig:
    """Everything a workflow job does, reproducible from this and its seed.

    Optional sections are ``None`` when the file leaves them out, and their step is skipped.
    """

    job: str = "run"
    name: str = "run"
    seed: int = 0
    data: tuple[DataSection, ...]
    validation: ValidationSection = field(default_factory=ValidationSection)
    features: FeaturesSection = field(default_factory=default_features)
    labels: LabelSettings = field(default_factory=LabelSettings)
    models: ModelsSection | None = None
    strategies: StrategiesSection | None = None
    selection: SelectionSection | None = None
    ensemble: EnsembleSection | None = None
    signals: SignalsSection = field(default_factory=SignalsSection)
    portfolio: PortfolioSection = field(default_factory=PortfolioSection)
    risk: RiskSection | None = None
    backtest: BacktestSection | None = None
    execution: ExecutionSection | None = None
    report: ReportSection = field(default_factory=ReportSection)
    search: SearchConfig | None = None
    gate: GateConfig | None = None
    monitor: MonitorPolicy | None = None

    def __post_init__(self) -> None:
        if self.job not in JOBS:
            raise ConfigError(f"job must be one of {list(JOBS)}, got {self.job!r}")
        if not self.data:
            raise ConfigError("a workflow needs a [data] section")
        names = [d.name for d in self.data]
        if len(set(names)) != len(names):
            raise ConfigError(f"[data] names must be distinct, got {names}")
        if (self.models is None and self.strategies is None) == (self.signals.source is None):
            raise ConfigError(
                "a workflow needs exactly one source of scores: [models] and/or [strategies], "
                "or [signals] source"
            )
        if self.execution is not None:
            if self.backtest is None:
                raise ConfigError("[execution] needs a [backtest] section")
            if self.backtest.cost.get("model", "sqrt") != "sqrt":
                raise ConfigError(
                    "[execution] compares the book with the square-root cost model: "
                    "[backtest] cost.model must be 'sqrt'"
                )

    def to_mapping(self) -> dict[str, Any]:
        """Return the TOML document of this config (a workflow file that reruns it)."""
        doc: dict[str, Any] = {"job": self.job, "name": self.name, "seed": self.seed}
        for section in SECTIONS.values():
            value = getattr(self, section.name)
            if value is not None:
                doc[section.name] = section.dump(value)
        return doc


@dataclass(frozen=True, slots=True)
class Section:
    """How one TOML table maps to one field of :class:`WorkflowConfig`."""

    name: str
    parse: Callable[[Any, str], Any]
    dump: Callable[[Any], Any]


def _is_tuple(annotation: str) -> bool:
    return annotation.startswith("tuple[")


def check_value(value: Any, annotation: str, key: str, where: str) -> Any:
    """Check a TOML value against a field annotation; return it in the field's type."""
    kinds = {part.strip() for part in annotation.split("|")}
    if value is None:
        return value
    if annotation.startswith("tuple[Mapping"):  # an array of tables ([selection] steps)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, Mapping) for v in value):
            raise ConfigError(f"{key} in {where} must be a list of tables, got {value!r}")
        return tuple(dict(v) for v in value)
    if _is_tuple(annotation):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} in {where} must be a list of strings, got {value!r}")
        return tuple(value)
    if annotation.startswith("Mapping["):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} in {where} must be a table, got {value!r}")
        return dict(value)
    if isinstance(value, bool):
        ok = "bool" in kinds or "Any" in kinds
    elif isinstance(value, int):
        ok = bool(kinds & {"int", "float", "Any"})
        value = float(value) if "int" not in kinds and "float" in kinds else value
    elif isinstance(value, float):
        ok = bool(kinds & {"float", "Any"})
    elif isinstance(value, str):
        ok = bool(kinds & {"str", "Any"})
    else:
        ok = "Any" in kinds
    if not ok:
        raise ConfigError(f"{key} in {where} must be {annotation}, got {value!r}")
    return value


def parse_dataclass(
    cls: type, doc: Any, where: str, nested: Mapping[str, type] | None = None
) -> Any:
    """Build the frozen dataclass ``cls`` from a TOML table; unknown keys and bad types raise.

    ``nested`` maps a field to the dataclass its sub-table is (e.g. ``walk_forward``).
    """
    if isinstance(doc, cls):
        return doc
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{where} must be a table, got {doc!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    check_keys(doc, set(fields), where)
    kwargs: dict[str, Any] = {}
    for key, value in doc.items():
        sub = (nested or {}).get(key)
        if sub is not None:
            kwargs[key] = parse_dataclass(sub, value, _inner(where, key))
        else:
            kwargs[key] = check_value(value, str(fields[key].type), key, where)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(f"{where}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def dump_dataclass(value: Any) -> dict[str, Any]:
    """Return the TOML table of a section (``None`` fields left out, tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if dataclasses.is_dataclass(item):
            item = drop_none(dataclasses.asdict(item))
        elif isinstance(item, tuple):
            item = [dict(v) if isinstance(v, Mapping) else v for v in item]
        elif isinstance(item, Mapping):
            item = {k: dict(v) if isinstance(v, Mapping) else v for k, v in item.items()}
        if item is not None:
            out[f.name] = item
    return out


def _inner(where: str, key: str) -> str:
    """``"[models] of f.toml"`` + ``walk_forward`` -> ``"[models.walk_forward] of f.toml"``."""
    table, sep, rest = where.partition(" of ")
    inner = f"[{table[1:-1]}.{key}]" if table.startswith("[") and table.endswith("]") else (
        f"{table} {key}")
    return f"{inner}{sep}{rest}"


def dataclass_section(name: str, cls: type, nested: Mapping[str, type] | None = None) -> Section:
    """A section that is one frozen dataclass (sub-tables of ``nested`` fields included)."""
    return Section(name, lambda doc, where: parse_dataclass(cls, doc, where, nested),
                   dump_dataclass)


def _parse_data(doc: Any, where: str) -> tuple[DataSection, ...]:
    from alphafactory.data.sources import BarsSource

    tables = [doc] if isinstance(doc, Mapping) else doc
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{where} must be a table or an array of tables")
    out = []
    for k, table in enumerate(tables):
        at = where if len(tables) == 1 else where.replace("[data]", f"[[data]] #{k + 1}", 1)
        if not isinstance(table, Mapping):
            raise ConfigError(f"{at} must be a table, got {table!r}")
        table = dict(table)
        name = table.pop("name", "data" if len(tables) == 1 else None)
        if not isinstance(name, str) or not name:
            raise ConfigError(f"name in {at} is required when there are several datasets")
        if len(tables) > 1:
            at = at.replace(f"#{k + 1}", f"{name!r}", 1)
        wf = table.pop("walk_forward", None)
        walk = None if wf is None else parse_dataclass(WalkForwardSettings, wf,
                                                       _inner(at, "walk_forward"))
        out.append(DataSection(name=name, source=BarsSource.from_config(table, where=at),
                               walk_forward=walk))  # fmt: skip
    return tuple(out)


def _dump_data(data: tuple[DataSection, ...]) -> list[dict[str, Any]]:
    out = []
    for d in data:
        table: dict[str, Any] = {"name": d.name, **d.source.to_config()}
        if d.walk_forward is not None:
            table["walk_forward"] = drop_none(dataclasses.asdict(d.walk_forward))
        out.append(table)
    return out


# The sections in the order their steps run. Later work adds its own here.
SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section("data", _parse_data, _dump_data),
        dataclass_section("validation", ValidationSection),
        dataclass_section("features", FeaturesSection),
        dataclass_section("labels", LabelSettings),
        dataclass_section("models", ModelsSection, {"walk_forward": WalkForwardSettings}),
        dataclass_section("strategies", StrategiesSection, {"walk_forward": WalkForwardSettings}),
        dataclass_section("selection", SelectionSection),
        dataclass_section("ensemble", EnsembleSection),
        dataclass_section("signals", SignalsSection),
        dataclass_section("portfolio", PortfolioSection),
        dataclass_section("risk", RiskSection),
        dataclass_section("backtest", BacktestSection),
        dataclass_section("execution", ExecutionSection),
        dataclass_section("report", ReportSection),
        # A factory file (``alphafactory factory run``) is a workflow file plus these two.
        dataclass_section("search", SearchConfig),
        dataclass_section("gate", GateConfig),
        # What monitoring the workflow's models does on drift (``alphafactory monitor``).
        dataclass_section("monitor", MonitorPolicy),
    )
}


def parse_workflow(doc: Mapping[str, Any], source: str = "the workflow") -> WorkflowConfig:
    """Build a :class:`WorkflowConfig` from a TOML document; ``source`` names it in errors."""
    check_keys(doc, {"job", "name", "seed", *SECTIONS}, source)
    kwargs: dict[str, Any] = {}
    for key, annotation in (("job", "str"), ("name", "str"), ("seed", "int")):
        if key in doc:
            kwargs[key] = check_value(doc[key], annotation, key, source)
    if "data" not in doc:
        raise ConfigError(f"{source} has no [data] section")
    for name, section in SECTIONS.items():
        if name in doc:
            kwargs[name] = section.parse(doc[name], f"[{name}] of {source}")
    try:
        config = WorkflowConfig(**kwargs)
        check_references(config)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return config


def check_references(config: WorkflowConfig) -> list[str] | None:
    """Check the names a config refers to; return the feature names its models train on.

    Feature names and families, the cost model and its fields, the weight rule and its
    parameters are checked here, before any data is loaded.

    Raises
    ------
    ConfigError
        Naming the section and the key.
    """
    from alphafactory.pipeline.steps import feature_names
    from alphafactory.pipeline.strategies import cost_model
    from alphafactory.portfolio import build_rule

    names = feature_names(config.features, config.selection) if config.models else None
    if config.backtest is not None:
        cost_model(config.backtest)
        try:
            build_rule(config.portfolio.rule, dict(config.portfolio.params))
        except ConfigError as exc:
            raise ConfigError(f"[portfolio] {exc}") from None
    return names


def load_workflow(path: str | Path) -> WorkflowConfig:
    """Read a workflow file (TOML); errors name the key and ``path``."""
    from alphafactory.runs import read_toml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no workflow file at {path}")
    return parse_workflow(read_toml(path), str(path))


def bundled_workflow_text(name: str) -> str:
    """Return the text of a workflow file shipped with the package (e.g. ``"demo"``)."""
    folder = importlib.resources.files("alphafactory.pipeline").joinpath("workflows")
    resource = folder.joinpath(f"{name}.toml")
    if not resource.is_file():
        names = sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                       if p.name.endswith(".toml"))  # fmt: skip
        raise ConfigError(f"no bundled workflow named {name!r}; bundled: {names}")
    return resource.read_text(encoding="utf-8")


def bundled_workflow(name: str) -> WorkflowConfig:
    """Return the bundled workflow ``name`` as a config."""
    from alphafactory.runs.toml_io import tomllib

    doc = tomllib.loads(bundled_workflow_text(name))
    return parse_workflow(doc, f"the bundled workflow {name!r}")
