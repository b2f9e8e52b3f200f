"""Refuse output paths that would destroy an input, another output or an existing file.

Every command and library function that writes files a user names calls
:func:`check_output_paths` before any work: an output equal to an input (the simulator once
replaced its orders file with trades), two outputs on one path (trades lost under events), or an
existing file without ``overwrite`` is a :class:`ConfigError` naming the flag and the path. Paths
are compared after resolving symlinks and ``..``, and by inode where both exist, so a hard link or
``./x.csv`` against ``x.csv`` is caught too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from alphafactory.errors import ConfigError

__all__ = ["check_output_paths", "same_file"]


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name one file (resolved path, or inode when both exist)."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        try:
            return os.path.samefile(a, b)
        except OSError:
            pass
    return a.resolve() == b.resolve()


def _items(paths: Mapping[str, Path | str | None] | Iterable[Path | str | None]):
    if isinstance(paths, Mapping):
        return [(str(label), Path(p)) for label, p in paths.items() if p is not None]
    return [(str(p), Path(p)) for p in paths if p is not None]


def check_output_paths(
    outputs: Mapping[str, Path | str | None] | Iterable[Path | str | None],
    *,
    inputs: Mapping[str, Path | str | None] | Iterable[Path | str | None] = (),
    overwrite: bool = False,
) -> None:
    """Raise :class:`ConfigError` before anything is written if an output path is unsafe.

    ``outputs`` and ``inputs`` map a label (the flag or field, e.g. ``"--trades"``) to a path;
    plain iterables of paths are accepted and labelled by the path. ``None`` entries are skipped.
    Rules, in order: an output is not a directory; an output is not an input; no two outputs share
    a path; an existing output is replaced only with ``overwrite`` (``--force`` in the CLI).
    """
    outs = _items(outputs)
    ins = _items(inputs)
    for label, path in outs:
        if path.is_dir():
            raise ConfigError(f"{label} {path}: is a directory; an output must be a file path")
        for in_label, in_path in ins:
            if same_file(path, in_path):
                raise ConfigError(
                    f"{label} {path}: is the same file as the input {in_label}; "
                    "writing there would destroy the input, choose another path"
                )
    for i, (label, path) in enumerate(outs):
        for other_label, other in outs[i + 1:]:
            if same_file(path, other):
                raise ConfigError(
                    f"{label} and {other_label} are both {path}; each output needs its own path"
                )
    if not overwrite:
        for label, path in outs:
            if path.exists():
                raise ConfigError(
                    f"{label} {path}: already exists; pass --force (overwrite=True) to replace it"
                )
