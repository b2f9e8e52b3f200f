"""The causal reading of a Gaussian HMM, and its fit: forward filter, emissions, restarted EM.

:func:`forward_filter` gives ``p(s_t | x_1..x_t)``: the alpha recursion normalized at every
step, so row ``t`` depends on rows ``<= t`` only and truncating or rewriting the future leaves it
bit-identical (emissions are computed row by row elementwise, never through BLAS blocking that
depends on the number of rows). hmmlearn's ``predict_proba`` is forward-backward (smoothed): its
row ``t`` uses every observation and must not become a feature. The filter needs numpy only;
:func:`fit_gaussian_hmm` imports hmmlearn (extra ``strategies``) when called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GaussianHMMParams", "fit_gaussian_hmm", "forward_filter", "gaussian_log_likelihood"]

_INSTALL = "pip install 'alphafactory[strategies]'"


def gaussian_log_likelihood(x: np.ndarray, means: np.ndarray, covars: np.ndarray) -> np.ndarray:
    """Log density of each row of ``x`` (``[T, d]``) under each state's Gaussian, ``[T, k]``.

    Row by row elementwise (no BLAS blocking), so a row's value does not depend on the others.
    NaN where a row has a non-finite value.
    """
    x = np.asarray(x, dtype=np.float64)
    n_states, d = means.shape
    out = np.empty((len(x), n_states))
    for j in range(n_states):
        chol = np.linalg.cholesky(covars[j])
        inv = np.linalg.inv(chol)
        diff = [x[:, m] - means[j, m] for m in range(d)]
        maha = np.zeros(len(x))
        for i in range(d):
            z = inv[i, 0] * diff[0]
            for m in range(1, i + 1):
                z = z + inv[i, m] * diff[m]
            maha += z * z
        log_det = 2.0 * np.log(np.diag(chol)).sum()
        out[:, j] = -0.5 * (d * np.log(2.0 * np.pi) + log_det + maha)
    return out


def forward_filter(log_lik: np.ndarray, startprob: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """Filtered state probabilities ``p(s_t | x_1..x_t)``, ``[T, k]``.

    The alpha recursion normalized at each step, on likelihoods scaled by their row maximum (the
    log-space values never leave ``[0, 1]``). A row with a missing observation (non-finite
    ``log_lik``) only propagates the previous one through ``transmat``; rows before the first
    observation are NaN. Row ``t`` depends on rows ``<= t`` only.
    """
    log_lik = np.asarray(log_lik, dtype=np.float64)
    n_time, n_states = log_lik.shape
    out = np.full((n_time, n_states), np.nan)
    valid = np.isfinite(log_lik).all(axis=1)
    if not valid.any():
        return out
    lik = np.ones_like(log_lik)
    rows = log_lik[valid]
    lik[valid] = np.exp(rows - rows.max(axis=1, keepdims=True))
    first = int(np.argmax(valid))
    prob = np.asarray(startprob, dtype=np.float64)
    trans = np.asarray(transmat, dtype=np.float64)
    for t in range(first, n_time):
        joint = (prob if t == first else prob @ trans) * lik[t]
        total = joint.sum()
        if not total > 0.0:  # every likely state had no prior mass: start over from lik alone
            joint, total = lik[t], lik[t].sum()
        prob = joint / total
        out[t] = prob
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class GaussianHMMParams:
    """A fitted Gaussian HMM: ``startprob [k]``, ``transmat [k, k]``, ``means [k, d]``,
    ``covars [k, d, d]`` (full matrices whatever the fitted type) and the data's log-likelihood.
    """

    startprob: np.ndarray
    transmat: np.ndarray
    means: np.ndarray
    covars: np.ndarray
    log_likelihood: float


def _sticky(n_states: int, stay: float) -> np.ndarray:
    off = (1.0 - stay) / (n_states - 1)
    return np.full((n_states, n_states), off) + np.eye(n_states) * (stay - off)


def fit_gaussian_hmm(
    x: np.ndarray,
    n_states: int,
    init_key: np.ndarray,
    *,
    seed: int = 0,
    n_restarts: int = 3,
    n_iter: int = 100,
    tol: float = 1e-4,
    covariance_type: str = "full",
) -> GaussianHMMParams:
    """Fit a Gaussian HMM on ``x`` (``[T, d]``, finite, roughly unit scale) by restarted EM.

    Each run starts from ``x`` split into ``n_states`` groups along ``init_key`` (``[T]``): equal
    quantiles for the first run, random cuts drawn from ``seed`` for the others, with sticky
    transitions; the run with the best log-likelihood is returned. Deterministic in ``seed``.
    """
    try:
        from hmmlearn.hmm import GaussianHMM
        from threadpoolctl import threadpool_limits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"Fitting a regime HMM needs hmmlearn: {_INSTALL}.") from exc
    if int(n_restarts) != n_restarts or n_restarts < 1:
        raise ValueError(
            f"fit_gaussian_hmm: n_restarts must be an integer >= 1; got {n_restarts!r}."
        )
    n_time, d = x.shape
    # one dimension: 'diag' is the same model and avoids scipy's slow 1x1 triangular solves
    cov_type = "diag" if d == 1 else covariance_type
    order = np.argsort(init_key, kind="stable")
    rng = np.random.default_rng(seed)
    runs: list[GaussianHMMParams] = []
    for restart in range(n_restarts):
        if restart == 0:
            shares, stay = np.full(n_states, 1.0 / n_states), 0.95
        else:  # every group keeps at least a fifth of its equal share
            shares = 0.2 / n_states + 0.8 * rng.dirichlet(np.ones(n_states))
            stay = rng.uniform(0.8, 0.99)
        groups = np.split(order, (np.cumsum(shares)[:-1] * n_time).astype(int))
        hmm = GaussianHMM(
            n_components=n_states,
            covariance_type=cov_type,
            n_iter=n_iter,
            tol=tol,
            init_params="",
            random_state=seed,
        )
        hmm.n_features = d
        hmm.startprob_ = np.full(n_states, 1.0 / n_states)
        hmm.transmat_ = _sticky(n_states, stay)
        hmm.means_ = np.stack([x[g].mean(axis=0) for g in groups])
        covs = np.stack([np.atleast_2d(np.cov(x[g].T)) + 1e-3 * np.eye(d) for g in groups])
        hmm.covars_ = covs if cov_type == "full" else np.diagonal(covs, 0, 1, 2)
        with threadpool_limits(1):  # BLAS threads only cost time on these tiny matrices
            hmm.fit(x)
            score = float(hmm.score(x))
        runs.append(
            GaussianHMMParams(
                startprob=hmm.startprob_,
                transmat=hmm.transmat_,
                means=hmm.means_,
                covars=hmm.covars_,
                log_likelihood=score,
            )
        )
    return max(runs, key=lambda run: run.log_likelihood)  # the first of equal ones
