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


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--workflow``, ``--registry-root`` and ``--tracking-uri`` to ``parser``."""
    group = parser.add_argument_group("model registry")
    group.add_argument("--workflow", default=None,
                       help="workflow whose registered model champion/challenger/vN name")
    group.add_argument("--registry-root", type=Path, default=None,
                       help="folder of the factory's store (default mlruns/)")
    group.add_argument("--tracking-uri", default=None,
                       help="MLflow tracking database: sqlite:///FILE or postgresql://... "
                            "(default: the store's)")  # fmt: skip


def store_from_args(args: argparse.Namespace) -> FactoryStore | None:
    """The store ``--registry-root`` and ``--tracking-uri`` name; None for the default."""
    if args.registry_root is None and args.tracking_uri is None:
        return None
    store = FactoryStore.at(args.registry_root) if args.registry_root else FactoryStore()
    if args.tracking_uri:
        store = replace(store, tracking_uri=args.tracking_uri)
    return store


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
