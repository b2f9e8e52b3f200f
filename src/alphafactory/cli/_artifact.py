"""The model arguments of the commands that load a stored model: ``--artifact REF`` and the
registry it may name.

REF is a model artifact directory, or a reference into the factory's model registry for
``--workflow NAME``: ``champion``, ``challenger`` (the version the alias points at) or ``v<N>``.
The registry lives in ``mlruns/`` of the working directory unless ``--registry-root DIR``
(tracking database, artifacts and cache under DIR) or ``--tracking-uri URI`` (a
``sqlite:///`` file or a ``postgresql://`` server) says otherwise.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from alphafactory.factory.store import FactoryStore

ARTIFACT_HELP = ("model artifact directory, or a registry reference of --workflow: champion, "
                 "challenger or v<N>")  # fmt: skip


def add_store_arguments(parser: argparse.ArgumentParser, *, workflow: bool = True,
                        search: bool = False) -> None:  # fmt: skip
    """Add the registry's location (``--registry-root``, ``--tracking-uri``) to ``parser``;
    ``--workflow`` unless the command names the workflow itself, and ``--optuna-storage`` and
    ``--artifact-root`` for the commands that run a search."""
    group = parser.add_argument_group("model registry")
    if workflow:
        group.add_argument("--workflow", default=None,
                           help="workflow whose registered model champion/challenger/vN name")
    group.add_argument("--registry-root", type=Path, default=None,
                       help="folder of the factory's store (default mlruns/)")
    group.add_argument("--tracking-uri", default=None,
                       help="MLflow tracking database: sqlite:///FILE or postgresql://... "
                            "(default: the store's)")  # fmt: skip
    if search:
        group.add_argument("--optuna-storage", default=None,
                           help="Optuna storage URL (its own database, never MLflow's)")
        group.add_argument("--artifact-root", default=None,
                           help="MLflow artifact folder or URI (default: the store's)")


def store_from_args(args: argparse.Namespace) -> FactoryStore | None:
    """The store the registry flags name; None for the default (``mlruns/``)."""
    overrides = {key: value for key in ("tracking_uri", "optuna_storage", "artifact_root")
                 if (value := getattr(args, key, None))}  # fmt: skip
    if args.registry_root is None and not overrides:
        return None
    store = FactoryStore.at(args.registry_root) if args.registry_root else FactoryStore()
    return replace(store, **overrides) if overrides else store


def add_artifact_arguments(parser: argparse.ArgumentParser, *, challenger: bool = False,
                           aliases: tuple[str, ...] = ()) -> None:  # fmt: skip
    """Add ``--artifact REF`` (required; also under the flags ``aliases``), optionally
    ``--challenger REF``, and the registry arguments to ``parser``."""
    parser.add_argument("--artifact", *aliases, dest="artifact", metavar="REF", required=True,
                        help=ARTIFACT_HELP)  # fmt: skip
    if challenger:
        parser.add_argument("--challenger", metavar="REF", default=None,
                            help="a second model served as challenger (same forms as --artifact)")
    add_store_arguments(parser)


def artifact_from_args(args: argparse.Namespace, name: str = "artifact") -> Path:
    """The local artifact directory of ``args.<name>``: a path as given, a registry reference
    downloaded (cached by version) through the registry the arguments name."""
    from alphafactory.factory.registry import resolve_artifact

    return resolve_artifact(getattr(args, name), workflow=args.workflow,
                            store=store_from_args(args))  # fmt: skip
