"""The model registry: MLflow registered models with the aliases ``champion`` and ``challenger``.

Contract (what the factory writes and the server, the CLI and the dashboard read):

* One registered model per workflow, ``alphafactory-<workflow>`` (:func:`model_name`), and one
  experiment of the same name whose artifacts live under the store's ``artifact_root``.
* A candidate is a model artifact directory (:meth:`alphafactory.models.ModelArtifact.save`)
  logged under its MLflow run at the artifact path ``model``; its model version's ``source`` is
  ``<run artifact uri>/model`` and its ``run_id`` that run (:meth:`Registry.register_candidate`).
  No MLflow "logged model" (``mlflow.<flavor>.log_model``) is created: the artifact is our own
  format, loaded with :func:`alphafactory.models.load`, so the version points at plain run
  artifacts, which ``MlflowClient.create_model_version`` accepts with any backend.
* The gate's decision of a version: tags ``af.gate.passed`` (``true``/``false``) and
  ``af.gate.failed`` (JSON list of rule names) on the model version, and the whole decision as
  ``gate/v<version>.json`` among the artifacts of the version's run
  (:meth:`Registry.record_decision`).
* Audit of alias moves. MLflow aliases keep no history, so every change made through
  :meth:`Registry.set_alias` (and ``promote``, ``rollback``) is also written as one finished run
  in the experiment ``alphafactory-<workflow>-events``, tagged ``af.event = alias`` with the tags
  ``af.alias``, ``af.version``, ``af.previous``, ``af.kind``, ``af.reason``, ``af.time_ns`` and
  the artifact ``event.json`` (the same fields plus the gate decision). It lives in the
  tracking database (SQLite or PostgreSQL) and the artifact root, so it survives restarts;
  :meth:`Registry.history` reads it back.
* Downloads are cached by version in ``<store.cache_root>/<model name>/<version>`` (written to
  a temporary sibling and renamed into place).

Needs the ``track`` extra (``mlflow``); it is imported only when a registry is used.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError, ModelError
from alphafactory.factory.audit import read_history, record_event
from alphafactory.factory.store import FactoryStore

__all__ = ["ALIASES", "ALIAS_KINDS", "Registry", "is_registry_ref", "model_name",
           "resolve_artifact"]

log = logging.getLogger("alphafactory.factory")

ALIASES = ("champion", "challenger")
ALIAS_KINDS = ("gate", "manual", "rollback", "challenger")
MODEL_PATH = "model"
_VERSION = re.compile(r"^v?(\d+)$")


def model_name(workflow: str) -> str:
    """The registered model (and experiment) name of ``workflow``."""
    if not workflow or not re.fullmatch(r"[A-Za-z0-9_.\-]+", workflow):
        raise ConfigError(
            f"workflow name {workflow!r} must be letters, digits, '_', '.' or '-' (non-empty)."
        )
    return f"alphafactory-{workflow}"


def _mlflow():
    try:
        import mlflow
    except ImportError as exc:
        raise ConfigError(
            "the model registry needs MLflow: pip install 'alphafactory[track]' "
            f"({exc.name} is missing)."
        ) from None
    return mlflow


def _missing(exc: Exception) -> bool:
    return getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST"


class Registry:
    """The factory's model registry over ``mlflow.MlflowClient`` (see the module docstring).

    Parameters
    ----------
    store : FactoryStore, optional
        Tracking database and artifact root (default ``FactoryStore()``: ``mlruns/`` here).
    """

    def __init__(self, store: FactoryStore | None = None) -> None:
        self.store = (store or FactoryStore()).prepare()
        mlflow = _mlflow()
        # MLflow draws a tqdm bar per download; a server's log is no place for them (an
        # explicit setting wins).
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        with warnings.catch_warnings():
            # Opening the stores imports MLflow's SQLAlchemy models and runs its migrations,
            # which warn about SQLAlchemy and Alembic deprecations that are not ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            self.client = mlflow.MlflowClient(tracking_uri=self.store.tracking_uri,
                                              registry_uri=self.store.tracking_uri)
            self.client.search_experiments(max_results=1)
            self.client.search_registered_models(max_results=1)

    # -- experiments and versions -----------------------------------------------------------------
    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = f"{self.store.artifact_location.rstrip('/')}/{name}"
        try:
            return self.client.create_experiment(name, artifact_location=location)
        except Exception as exc:  # created meanwhile by another process
            found = self.client.get_experiment_by_name(name)
            if found is None:
                raise
            log.debug("experiment %s created concurrently (%s)", name, exc)
            return found.experiment_id

    def experiment_id(self, workflow: str) -> str:
        """Id of the experiment ``alphafactory-<workflow>``, created when missing."""
        return self._experiment(model_name(workflow))

    def _ensure_model(self, name: str) -> None:
        try:
            self.client.get_registered_model(name)
        except Exception as exc:
            if not _missing(exc):
                raise
            try:
                self.client.create_registered_model(name)
            except Exception:
                self.client.get_registered_model(name)  # created meanwhile: fine

    def register_candidate(self, workflow: str, artifact_dir: Path, *, run_id: str,
                           tags: Mapping[str, str] | None = None) -> str:  # fmt: skip
        """Log the artifact directory under run ``run_id`` at ``model`` and register it as a
        new version of ``alphafactory-<workflow>``; return the version (``"1"``, ``"2"``...)."""
        artifact_dir = Path(artifact_dir)
        if not (artifact_dir / "artifact.json").is_file():
            raise ModelError(f"{artifact_dir}: no model artifact here (missing artifact.json).")
        name = model_name(workflow)
        self.client.log_artifacts(run_id, str(artifact_dir), artifact_path=MODEL_PATH)
        source = f"{self.client.get_run(run_id).info.artifact_uri.rstrip('/')}/{MODEL_PATH}"
        self._ensure_model(name)
        version = self.client.create_model_version(
            name, source=source, run_id=run_id, tags={k: str(v) for k, v in (tags or {}).items()}
        )
        log.info("registered %s version %s from run %s", name, version.version, run_id)
        return str(version.version)

    def _version(self, workflow: str, ref: str | int):
        """The model version ``ref`` names: an alias or a number (``3`` or ``v3``)."""
        name = model_name(workflow)
        text = str(ref).strip()
        match = _VERSION.match(text)
        try:
            if match:
                return self.client.get_model_version(name, match.group(1))
            return self.client.get_model_version_by_alias(name, text)
        except Exception as exc:
            if not _missing(exc) and "not found" not in str(exc).lower():
                raise
            what = f"version {match.group(1)}" if match else f"alias {text!r}"
            raise ModelError(f"registry {name}: no {what} ({self._summary(name)}).") from None

    def _summary(self, name: str) -> str:
        try:
            model = self.client.get_registered_model(name)
        except Exception as exc:
            if _missing(exc):
                return "no model registered yet; run the factory first"
            raise
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted(model.aliases.items())) or "none"
        return f"aliases: {aliases}"

    def version_of(self, workflow: str, ref: str) -> str:
        """The version number ``ref`` (an alias, ``3`` or ``v3``) names; ModelError if none."""
        return str(self._version(workflow, ref).version)

    # -- aliases and their audit ------------------------------------------------------------------
    def alias_version(self, workflow: str, alias: str) -> str | None:
        """The version ``alias`` points at, or None (no such alias or no model)."""
        try:
            return str(self.client.get_model_version_by_alias(model_name(workflow), alias).version)
        except Exception as exc:
            if _missing(exc) or "not found" in str(exc).lower():
                return None
            raise

    def set_alias(self, workflow: str, alias: str, version: str, *, kind: str, reason: str,
                  decision: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        """Point ``alias`` at ``version`` and record the move as an audit event.

        ``kind`` is one of ``gate``, ``manual``, ``rollback``, ``challenger``.
        """
        if kind not in ALIAS_KINDS:
            raise ConfigError(f"alias change kind must be one of {list(ALIAS_KINDS)}; "
                              f"got {kind!r}.")
        if not alias or _VERSION.match(alias):
            raise ConfigError(f"alias {alias!r} is empty or looks like a version number.")
        name = model_name(workflow)
        version = str(self._version(workflow, version).version)
        previous = self.alias_version(workflow, alias)
        self.client.set_registered_model_alias(name, alias, version)
        self._record_event(workflow, {"alias": alias, "version": version, "previous": previous,
                                      "kind": kind, "reason": reason,
                                      "decision": None if decision is None else dict(decision)})
        log.info("%s: %s %s -> %s (%s: %s)", name, alias, previous, version, kind, reason)

    def _record_event(self, workflow: str, event: dict[str, Any]) -> None:
        experiment = self._experiment(f"{model_name(workflow)}-events")
        record_event(self.client, experiment, event)

    def history(self, workflow: str) -> pd.DataFrame:
        """Every recorded alias change, oldest first (columns ``time, alias, version, previous,
        kind, reason``)."""
        return read_history(self.client, f"{model_name(workflow)}-events")

    # -- gate decisions ---------------------------------------------------------------------------
    def record_decision(self, workflow: str, version: str, decision: Mapping[str, Any]) -> None:
        """Store the gate's ``decision`` (``passed`` bool, ``failed`` list of rule names, ...)
        as version tags and as ``gate/v<version>.json`` in the version's run."""
        if not isinstance(decision.get("passed"), bool):
            raise ConfigError(f"a gate decision needs a bool 'passed'; got {decision!r}.")
        mv = self._version(workflow, version)
        name = model_name(workflow)
        failed = [str(rule) for rule in decision.get("failed", [])]
        self.client.set_model_version_tag(name, mv.version, "af.gate.passed",
                                          "true" if decision["passed"] else "false")
        self.client.set_model_version_tag(name, mv.version, "af.gate.failed", json.dumps(failed))
        if mv.run_id:
            self.client.log_text(mv.run_id, json.dumps(dict(decision), indent=1, default=str),
                                 f"gate/v{mv.version}.json")  # fmt: skip

    def decision(self, workflow: str, version: str) -> dict[str, Any] | None:
        """The gate decision recorded for ``version`` (None when none was)."""
        mv = self._version(workflow, version)
        if "af.gate.passed" not in mv.tags:
            return None
        summary = {"passed": mv.tags["af.gate.passed"] == "true",
                   "failed": json.loads(mv.tags.get("af.gate.failed", "[]"))}  # fmt: skip
        if not mv.run_id:
            return summary
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = self.client.download_artifacts(mv.run_id, f"gate/v{mv.version}.json", tmp)
                return {**json.loads(Path(path).read_text()), **summary}
        except Exception as exc:  # the tags are the record; the JSON adds detail
            log.warning("%s v%s: gate decision JSON unreadable (%s)", workflow, mv.version, exc)
            return summary

    def status(self, workflow: str) -> dict[str, Any]:
        """Champion and challenger (version, run, gate decision) and the last alias event."""
        out: dict[str, Any] = {"model": model_name(workflow)}
        for alias in ALIASES:
            version = self.alias_version(workflow, alias)
            if version is None:
                out[alias] = None
                continue
            mv = self._version(workflow, version)
            out[alias] = {"version": version, "run_id": mv.run_id, "source": mv.source,
                          "decision": self.decision(workflow, version)}  # fmt: skip
        events = self.history(workflow)
        out["last_event"] = None if events.empty else {
            **events.iloc[-1].to_dict(), "time": events.iloc[-1]["time"].isoformat()}
        return out

    # -- promotion and rollback -------------------------------------------------------------------
    def promote(self, workflow: str, version: str, *, reason: str, force: bool = False) -> None:
        """Make ``version`` the champion: only one whose gate decision passed, unless ``force``
        (which needs a reason)."""
        decision = self.decision(workflow, version)
        if force:
            if not reason.strip():
                raise ModelError("a forced promotion needs a reason (--reason TEXT).")
        elif decision is None:
            raise ModelError(f"{model_name(workflow)} v{version} has no gate decision recorded; "
                             "--force overrides (with a --reason).")  # fmt: skip
        elif not decision["passed"]:
            failed = ", ".join(decision["failed"]) or "unnamed rule"
            raise ModelError(f"{model_name(workflow)} v{version} failed the gate ({failed}); "
                             "--force overrides (with a --reason).")  # fmt: skip
        text = f"forced: {reason}" if force and not (decision or {}).get("passed") else reason
        self.set_alias(workflow, "champion", version, kind="manual", reason=text,
                       decision=decision)  # fmt: skip

    def rollback(self, workflow: str, *, reason: str) -> str:
        """Make the champion before the current one champion again; return its version."""
        current = self.alias_version(workflow, "champion")
        chain: list[str] = []
        for row in self.history(workflow).itertuples():
            if row.alias != "champion":
                continue
            if row.kind == "rollback" and chain and chain[-1] == row.previous:
                chain.pop()
            if row.kind != "rollback" or not chain or chain[-1] != row.version:
                chain.append(row.version)
        while chain and chain[-1] == current:
            chain.pop()
        if not chain:
            raise ModelError(f"{model_name(workflow)}: no earlier champion to roll back to "
                             f"(champion is {'v' + current if current else 'unset'}).")  # fmt: skip
        target = chain[-1]
        self.set_alias(workflow, "champion", target, kind="rollback", reason=reason)
        return target

    # -- artifacts --------------------------------------------------------------------------------
    def download(self, workflow: str, ref: str, dst: Path | None = None) -> Path:
        """A local directory holding the model artifact ``ref`` (alias or version) names.

        Without ``dst`` the version is cached in ``<store.cache_root>/<name>/<version>`` and
        downloaded once; with ``dst`` it is written there (replacing what was there).
        """
        mv = self._version(workflow, ref)
        name = model_name(workflow)
        target = Path(dst) if dst is not None else self.store.cache_root / name / str(mv.version)
        if dst is None and (target / "artifact.json").is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex}"
        try:
            tmp.mkdir()
            if mv.run_id:
                got = self.client.download_artifacts(mv.run_id, MODEL_PATH, str(tmp))
            else:
                got = _mlflow().artifacts.download_artifacts(artifact_uri=mv.source,
                                                             dst_path=str(tmp))  # fmt: skip
            got = Path(got)
            if not (got / "artifact.json").is_file():
                raise ModelError(f"{name} v{mv.version}: {mv.source} holds no model artifact.")
            _install(got, target, replace=dst is not None)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target


def _install(src: Path, target: Path, *, replace: bool) -> None:
    """Rename the directory ``src`` to ``target``. An existing complete ``target`` is replaced
    only when ``replace`` (a cache entry written meanwhile by another process is the same
    version); an incomplete one always is."""
    if not replace and (target / "artifact.json").is_file():
        return
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex}"
        os.replace(target, old)
        os.replace(src, target)
        shutil.rmtree(old, ignore_errors=True)
        return
    try:
        os.replace(src, target)
    except OSError:
        if not (target / "artifact.json").is_file():  # not a concurrent download that won
            raise


def is_registry_ref(ref: str | Path) -> bool:
    """True when ``ref`` names a registry model (``champion``, ``challenger``, ``v<N>``) rather
    than an existing directory."""
    text = str(ref)
    return (text in ALIASES or bool(_VERSION.match(text))) and not Path(text).exists()


def resolve_artifact(ref: str | Path, *, workflow: str | None = None,
                     store: FactoryStore | None = None) -> Path:  # fmt: skip
    """The local model artifact directory ``ref`` names.

    ``champion``, ``challenger`` or ``v<N>`` that is not an existing path is resolved through
    the registry of ``workflow`` (downloaded to the store's cache); anything else is a path and
    returned as is.
    """
    text = str(ref)
    if not is_registry_ref(text):
        return Path(ref)  # a directory (loading it says when it holds no artifact)
    if not workflow:
        raise ConfigError(f"artifact {text!r} is a registry reference: name the workflow "
                          "(--workflow NAME).")  # fmt: skip
    store = store or FactoryStore()
    database = store.sqlite_path
    if database is not None and not database.is_file():  # reading must not create a registry
        raise ModelError(f"artifact {text!r}: no model registry at {database} (run the factory "
                         "first, or name the store: --registry-root DIR or --tracking-uri URI).")
    return Registry(store).download(workflow, text)
