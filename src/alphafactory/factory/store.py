"""Where the training factory keeps its state: MLflow tracking, MLflow artifacts, Optuna studies.

Three locations, one record (:class:`FactoryStore`). The defaults are embedded SQLite databases
and a folder under ``mlruns/`` in the working directory; :meth:`FactoryStore.at` puts all three
under another folder; PostgreSQL URIs (``postgresql://user@127.0.0.1:5432/mlflow``) are passed to
MLflow and Optuna, with one change: a URI that names no driver gets ``+psycopg2``
(``postgresql+psycopg2://...``), the driver the ``track`` extra installs, because SQLAlchemy 2.1
made psycopg 3 the default for a bare ``postgresql://``.

MLflow and Optuna must use different databases: both manage their schema with Alembic and keep
the revision in a table named ``alembic_version``, so sharing one database corrupts one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from alphafactory.errors import ConfigError

__all__ = ["FactoryStore"]

_SQLITE = "sqlite:///"


@dataclass(frozen=True, kw_only=True, slots=True)
class FactoryStore:
    """The tracking database, the artifact root and the Optuna storage of the factory.

    Attributes
    ----------
    tracking_uri : str
        MLflow tracking and registry store: ``sqlite:///PATH`` or ``postgresql://...``.
    artifact_root : str
        Folder (or ``file://`` URI) where MLflow stores run artifacts; the registry's download
        cache lives in its sibling ``cache/``.
    optuna_storage : str
        Optuna RDB storage URL; a different database than ``tracking_uri``.
    """

    tracking_uri: str = "sqlite:///mlruns/mlflow.db"
    artifact_root: str = "mlruns/artifacts"
    optuna_storage: str = "sqlite:///mlruns/optuna.db"

    def __post_init__(self) -> None:
        for name in ("tracking_uri", "artifact_root", "optuna_storage"):
            if not str(getattr(self, name)).strip():
                raise ConfigError(f"factory store: {name} is empty.")
        if _database(self.tracking_uri) == _database(self.optuna_storage):
            raise ConfigError(
                f"factory store: tracking_uri {self.tracking_uri!r} and optuna_storage "
                f"{self.optuna_storage!r} are the same database; MLflow and Optuna both keep an "
                "alembic_version table there, so give each its own database."
            )
        for name in ("tracking_uri", "optuna_storage"):
            uri = getattr(self, name)
            if uri.startswith(("postgresql://", "postgres://")):
                object.__setattr__(self, name, "postgresql+psycopg2://" + uri.split("://", 1)[1])

    @classmethod
    def at(cls, root: str | Path) -> FactoryStore:
        """All three locations under the folder ``root`` (``mlflow.db``, ``artifacts/``,
        ``optuna.db``)."""
        root = Path(root).absolute()
        return cls(
            tracking_uri=f"{_SQLITE}{root / 'mlflow.db'}",
            artifact_root=str(root / "artifacts"),
            optuna_storage=f"{_SQLITE}{root / 'optuna.db'}",
        )

    @property
    def artifact_location(self) -> str:
        """:attr:`artifact_root` as a URI MLflow accepts for an experiment's artifacts."""
        if "://" in self.artifact_root:
            return self.artifact_root
        return Path(self.artifact_root).absolute().as_uri()

    @property
    def sqlite_path(self) -> Path | None:
        """The tracking database's file when it is SQLite, else None."""
        if self.tracking_uri.startswith(_SQLITE):
            return Path(self.tracking_uri[len(_SQLITE):]).absolute()
        return None

    @property
    def cache_root(self) -> Path:
        """Local folder of downloaded model versions (``<artifact_root>/../cache``)."""
        local = _local_path(self.artifact_root)
        base = local.parent if local is not None else Path("mlruns")
        return base.absolute() / "cache"

    def prepare(self) -> FactoryStore:
        """Create the local folders the SQLite databases and the artifact root live in."""
        for uri in (self.tracking_uri, self.optuna_storage):
            if uri.startswith(_SQLITE):
                Path(uri[len(_SQLITE):]).absolute().parent.mkdir(parents=True, exist_ok=True)
        local = _local_path(self.artifact_root)
        if local is not None:
            local.mkdir(parents=True, exist_ok=True)
        self.cache_root.mkdir(parents=True, exist_ok=True)
        return self


def _local_path(location: str) -> Path | None:
    """The local folder of a plain path or ``file://`` URI; None for a remote store."""
    if "://" not in location:
        return Path(location)
    parts = urlsplit(location)
    return Path(parts.path) if parts.scheme == "file" else None


def _database(uri: str) -> str:
    """A comparable identity of a database URI (SQLite file resolved; user and password
    dropped from a server URI)."""
    if uri.startswith(_SQLITE):
        return f"sqlite:{Path(uri[len(_SQLITE):]).absolute()}"
    parts = urlsplit(uri)
    scheme = parts.scheme.split("+")[0]
    host = parts.hostname or ""
    if host in ("localhost", "::1"):
        host = "127.0.0.1"
    return f"{scheme}://{host}:{parts.port or ''}{parts.path}"
