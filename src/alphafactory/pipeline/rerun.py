"""Reproduce a run from its directory and check that its metrics come out the same."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alphafactory.pipeline.config import DemoConfig
from alphafactory.pipeline.demo import run_demo
from alphafactory.runs import Run

# Wall-clock figures differ between runs by nature; everything else must match.
_VOLATILE_KEYS = frozenset({"seconds"})


@dataclass(frozen=True, slots=True)
class RerunReport:
    """The original run, the new one, and every metric that differs (path, old, new)."""

    original: Run
    rerun: Run
    differences: list[tuple[str, Any, Any]]

    @property
    def ok(self) -> bool:
        return not self.differences


def rerun(
    run_dir: str | Path,
    *,
    root: str | Path | None = None,
    signal_dir: str | Path | None = None,
    rtol: float = 1e-9,
    log: Callable[[str], None] = print,
) -> RerunReport:
    """Run the job of ``run_dir`` again from its ``config.toml`` and compare ``metrics.json``.

    Parameters
    ----------
    run_dir : path
        A run directory written by the demo job.
    root : path, optional
        Where the new run goes; defaults to the original run's parent directory.
    signal_dir : path, optional
        Where the new signal files go; by default a temporary folder (the run keeps copies), so
        a rerun never overwrites the signals a user exported.
    rtol : float
        Relative tolerance per metric (torch on CPU is bit-reproducible; the tolerance only
        absorbs printing of floats through JSON).
    """
    original = Run.open(run_dir)
    manifest = original.manifest or {}
    if not original.metrics:
        raise ValueError(
            f"{run_dir} has no metrics.json: there is nothing to compare a rerun with."
        )
    config = DemoConfig.from_mapping(original.config)
    if "seed" in manifest and int(manifest["seed"]) != config.seed:
        raise ValueError(
            f"{run_dir}: manifest seed {manifest['seed']} differs from the seed {config.seed} "
            "of config.toml."
        )
    root = Path(root) if root is not None else original.path.parent
    with tempfile.TemporaryDirectory(prefix="alphafactory-rerun-") as scratch:
        outcome = run_demo(
            config,
            root=root,
            name=f"rerun-{original.name}"[:80],
            signal_dir=signal_dir or scratch,
            log=log,
        )
    differences = _compare(original.metrics, outcome.run.metrics or {}, rtol, "")
    return RerunReport(original, outcome.run, differences)


def _compare(old: Any, new: Any, rtol: float, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            if key in _VOLATILE_KEYS:
                continue
            where = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append((where, old.get(key), new.get(key)))
            else:
                out.extend(_compare(old[key], new[key], rtol, where))
        return out
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        same = (math.isnan(old) and math.isnan(new)) or math.isclose(
            old, new, rel_tol=rtol, abs_tol=1e-12
        )
        return [] if same else [(path, old, new)]
    if old is None and new is None:
        return []
    return [] if old == new else [(path, old, new)]
