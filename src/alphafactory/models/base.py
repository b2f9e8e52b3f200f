"""The estimator contract every model follows (after scikit-learn).

``__init__`` only stores its arguments; ``fit`` returns ``self``; learned state lives in
attributes ending in ``_``; ``predict`` before ``fit`` raises :class:`NotFittedError`;
:func:`clone` makes an unfitted copy with the same arguments.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

# One NotFittedError for models and feature normalizers alike.
from alphafactory.features.normalize import NotFittedError
from alphafactory.features.windows import Windows

__all__ = ["AlphaEstimator", "NotFittedError", "clone"]


class AlphaEstimator:
    """Base class: parameters from ``__init__``'s signature, a fitted check, a readable repr."""

    def get_params(self) -> dict[str, Any]:
        """Return the ``__init__`` arguments of this estimator by name."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def _check_fitted(self) -> None:
        if not any(k.endswith("_") and not k.startswith("_") for k in vars(self)):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(X, y) before predict."
            )

    def fit(self, X: Windows | np.ndarray, y: np.ndarray | None = None, **kwargs: Any) -> Any:
        raise NotImplementedError

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def clone(estimator: AlphaEstimator) -> AlphaEstimator:
    """Return an unfitted estimator of the same type with the same ``__init__`` arguments."""
    params = {
        k: clone(v) if isinstance(v, AlphaEstimator) else v
        for k, v in estimator.get_params().items()
    }
    for k, v in params.items():
        if isinstance(v, (list, tuple)) and any(isinstance(m, AlphaEstimator) for m in v):
            params[k] = type(v)(clone(m) for m in v)
    return type(estimator)(**params)
