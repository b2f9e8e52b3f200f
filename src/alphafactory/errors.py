"""One exception base for user errors, with a subclass per layer.

Library code raises these for anything a user can fix (a bad file, flag, key or value); the CLI
prints ``alphafactory: error: <message>`` on one line and exits 2 for every one of them. Each
subclass also derives from the built-in exception callers caught before this base existed
(``ValueError`` for bad values, ``FileNotFoundError`` for a missing path), so existing ``except``
clauses keep working.
"""

from __future__ import annotations


class AlphaFactoryError(Exception):
    """A user error: the message names the file, row, field or flag, the rule, and what was got."""


class ConfigError(AlphaFactoryError, ValueError):
    """A configuration file or section is invalid (unknown key, wrong type, bad value)."""


class DataError(AlphaFactoryError, ValueError):
    """Bars or their source are unusable (unparsable, missing, inconsistent)."""


class SourceNotFoundError(DataError, FileNotFoundError):
    """A data source (file, folder, bundled sample) does not exist."""


class SignalError(AlphaFactoryError, ValueError):
    """A signal file or its sidecar is invalid."""


class ModelError(AlphaFactoryError, ValueError):
    """A model artifact or model configuration is invalid."""


class ExecutionError(AlphaFactoryError, ValueError):
    """An order, venue or execution request is invalid."""


class RunError(AlphaFactoryError, ValueError):
    """A run directory is missing, incomplete or cannot be reproduced."""
