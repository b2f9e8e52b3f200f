"""In-fold ensembles: voting, blending, BMA and stacking fit nothing on rows they must not see."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alphafactory.features.windows import ArrayWindows, as_windows
from alphafactory.models import NotFittedError, RidgeAlpha, StackingEnsemble, clone, get_model
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.ensemble_methods import ENSEMBLE_METHODS
from alphafactory.models.ensemble_weights import (
    BayesianAveragingEnsemble,
    BlendEnsemble,
    bma_weights,
    nnls_weights,
)
from alphafactory.models.serialize import load_estimator, save_estimator
from alphafactory.models.voting import VotingEnsemble, up_down_score

N_TRAIN, N_VAL, N_TEST = 400, 100, 100


class Spy(AlphaEstimator):
    """Scores one channel of the last bar; logs the row ids (channel 0) it fits and predicts."""

    def __init__(self, column: int = 1, log: list | None = None, seed: int = 0):
        self.column = column
        self.log = log
        self.seed = seed

    def fit(self, X, y=None, *, X_val=None, y_val=None):
        ids = _ids(as_windows(X, y))
        val = None if X_val is None else _ids(as_windows(X_val, y_val))
        if self.log is not None:
            self.log.append(("fit", ids, val))
        self.fitted_ = True
        return self

    def predict(self, X):
        self._check_fitted()
        windows = as_windows(X)
        if self.log is not None:
            self.log.append(("predict", _ids(windows), None))
        return windows.gather(np.arange(len(windows)))[:, -1, self.column].astype(np.float64)


class ChannelClassifier(Spy):
    """Classes -1/1 with ``P(up) = sigmoid(4 * channel)``, or rows of a fixed ``table``."""

    def __init__(self, column: int = 1, table: tuple | None = None, classes: tuple = (-1, 1)):
        self.column = column
        self.table = table
        self.classes = classes

    def fit(self, X, y=None, *, X_val=None, y_val=None):
        self.classes_ = np.asarray(self.classes, dtype=np.float64)
        return self

    def predict_proba(self, X):
        self._check_fitted()
        windows = as_windows(X)
        if self.table is not None:
            return np.asarray(self.table, dtype=np.float64)[_ids(windows)]
        up = 1 / (1 + np.exp(-4 * windows.gather(np.arange(len(windows)))[:, -1, self.column]))
        return np.column_stack([1 - up, up])

    def predict(self, X):
        return up_down_score(self.predict_proba(X), self.classes_)


def _ids(windows) -> np.ndarray:
    return windows.gather(np.arange(len(windows)))[:, -1, 0].astype(np.int64)


@pytest.fixture(scope="module")
def planted():
    """Windows [600, 2, 3]: channel 0 the row id, 1 the signal, 2 noise; label = signal + noise."""
    rng = np.random.default_rng(1)
    n = N_TRAIN + N_VAL + N_TEST
    X = rng.normal(size=(n, 2, 3)).astype(np.float32)
    X[:, :, 0] = np.arange(n)[:, None]
    y = X[:, -1, 1] + 0.5 * rng.normal(size=n)
    cut = [0, N_TRAIN, N_TRAIN + N_VAL, n]
    return [(X[a:b], y[a:b]) for a, b in itertools.pairwise(cut)]


WEIGHTED = [StackingEnsemble, BlendEnsemble, BayesianAveragingEnsemble]


@pytest.mark.parametrize("cls", WEIGHTED)
def test_weighted_ensemble_members_never_fit_on_rows_the_weights_use(cls, planted):
    (X, y), (Xv, yv), (Xt, _) = planted
    log: list = []
    ens = cls([Spy(1, log), Spy(2, log)]).fit(X, y, X_val=Xv, y_val=yv)
    train_ids, val_ids = set(range(N_TRAIN)), set(range(N_TRAIN, N_TRAIN + N_VAL))
    fits = [e for e in log if e[0] == "fit"]
    assert len(fits) == 2 and all(set(e[1]) == train_ids and e[2] is None for e in fits)
    predicted = [set(e[1]) for e in log if e[0] == "predict"]
    assert predicted and all(p == val_ids for p in predicted)  # the weights see validation only
    ens.predict(Xt)
    assert set(log[-1][1]) == set(range(N_TRAIN + N_VAL, N_TRAIN + N_VAL + N_TEST))


@pytest.mark.parametrize("cls", WEIGHTED)
def test_stopping_fraction_lends_early_validation_rows_and_weights_on_the_rest(cls, planted):
    (X, y), (Xv, yv), _ = planted
    log: list = []
    cls([Spy(1, log), Spy(2, log)], stopping_fraction=0.3).fit(X, y, X_val=Xv, y_val=yv)
    lent = set(range(N_TRAIN, N_TRAIN + 30))
    assert all(set(e[2]) == lent for e in log if e[0] == "fit")
    weighed = [set(e[1]) for e in log if e[0] == "predict"]
    assert weighed and all(w == set(range(N_TRAIN + 30, N_TRAIN + N_VAL)) for w in weighed)


def test_stopping_fraction_skips_horizon_timestamps_between_the_parts(planted):
    (X, y), (Xv, yv), _ = planted
    groups = np.repeat(np.arange(N_VAL // 4), 4)
    val = ArrayWindows(Xv, yv, groups=groups)
    val.horizon = 2  # PanelWindows carry the label horizon
    log: list = []
    BlendEnsemble([Spy(1, log)], stopping_fraction=0.2).fit(X, y, X_val=val)
    lent = next(e[2] for e in log if e[0] == "fit")
    weighed = next(e[1] for e in log if e[0] == "predict")
    assert lent.max() == N_TRAIN + 19 and weighed.min() == N_TRAIN + 20 + 2 * 4


@pytest.mark.parametrize("cls", WEIGHTED)
def test_weights_move_with_validation_labels_only(cls, planted):
    (X, y), (Xv, yv), _ = planted
    members = [Spy(1), Spy(2)]
    base = cls(members).fit(X, y, X_val=Xv, y_val=yv).weights_
    poisoned_train = cls(members).fit(X, -y * 100, X_val=Xv, y_val=yv).weights_
    np.testing.assert_array_equal(base, poisoned_train)
    flipped = cls(members).fit(X, y, X_val=Xv, y_val=Xv[:, -1, 2] + yv * 0.01).weights_
    assert not np.allclose(base, flipped)


@pytest.mark.parametrize("cls", [BlendEnsemble, BayesianAveragingEnsemble])
def test_weights_go_to_the_informative_member_when_the_other_is_noise(cls, planted):
    (X, y), (Xv, yv), (Xt, yt) = planted
    ens = cls([Spy(2), Spy(1)]).fit(X, y, X_val=Xv, y_val=yv)
    assert ens.weights_[1] > 0.9 and ens.weights_.sum() == pytest.approx(1.0)
    assert np.corrcoef(ens.predict(Xt), yt)[0, 1] > 0.8


def test_bma_classifier_weights_follow_log_loss(planted):
    (X, y), (Xv, yv), (Xt, _) = planted
    members = [ChannelClassifier(2), ChannelClassifier(1)]
    ens = BayesianAveragingEnsemble(members).fit(X, np.sign(y), X_val=Xv, y_val=np.sign(yv))
    assert ens.weights_[1] > 0.99 and np.all(ens.calibration_ == [0.0, 1.0])
    expected = ens.weights_ @ np.vstack([m.predict(Xt) for m in ens.members_])
    np.testing.assert_allclose(ens.predict(Xt), expected)


def test_bma_temperature_and_prior_flatten_and_tilt_the_weights():
    ll = np.array([-100.0, -110.0])
    assert bma_weights(ll)[0] == pytest.approx(1 / (1 + np.exp(-10)))
    assert bma_weights(ll, temperature=10.0)[0] == pytest.approx(1 / (1 + np.exp(-1)))
    tilted = bma_weights(ll, temperature=10.0, prior=np.array([0.5, 0.5 * np.e]))
    np.testing.assert_allclose(tilted, [0.5, 0.5])


def test_nnls_weights_are_non_negative_and_equal_when_nothing_helps():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(200, 2))
    np.testing.assert_allclose(nnls_weights(s, -s[:, 0] - s[:, 1]), [0.5, 0.5])
    w = nnls_weights(s, s[:, 0] - s[:, 1])
    assert w[0] == pytest.approx(1.0) and w[1] == 0.0


A = ((0.2, 0.3, 0.5), (0.6, 0.3, 0.1), (0.1, 0.8, 0.1))  # classes -1, 0, 1
B = ((0.4, 0.6), (0.7, 0.3), (0.45, 0.55))  # classes -1, 1


@pytest.mark.parametrize(
    ("voting", "weights", "proba", "score"),
    [
        ("soft", None, [[0.3, 0.15, 0.55], [0.65, 0.15, 0.2], [0.275, 0.4, 0.325]],
         [0.25, -0.45, 0.05]),
        ("hard", None, [[0, 0, 1], [1, 0, 0], [0, 0.5, 0.5]], [1.0, -1.0, 0.5]),
        ("hard", (3, 1), [[0, 0, 1], [1, 0, 0], [0, 0.75, 0.25]], [1.0, -1.0, 0.25]),
    ],
)  # fmt: skip
def test_voting_matches_hand_computed_values(voting, weights, proba, score):
    X = np.zeros((3, 1, 1), dtype=np.float32)
    X[:, 0, 0] = np.arange(3)
    members = [ChannelClassifier(0, A, (-1, 0, 1)), ChannelClassifier(0, B, (-1, 1))]
    ens = VotingEnsemble(members, voting=voting, weights=weights).fit(X, np.zeros(3))
    np.testing.assert_array_equal(ens.classes_, [-1, 0, 1])
    np.testing.assert_allclose(ens.predict_proba(X), proba)
    np.testing.assert_allclose(ens.predict(X), score)


def test_voting_rejects_regressors_and_bad_weights(planted):
    (X, y), _, _ = planted
    with pytest.raises(ValueError, match="classifiers"):
        VotingEnsemble([RidgeAlpha()]).fit(X, y)
    with pytest.raises(ValueError, match="weights"):
        VotingEnsemble([ChannelClassifier()], weights=(1.0, 2.0)).fit(X, y)
    with pytest.raises(ValueError, match="voting"):
        VotingEnsemble([ChannelClassifier()], voting="majority").fit(X, y)


def _registry_model(method: str, seed: int = 0):
    if method.startswith("vote"):
        return get_model("ensemble", method=method, members=["logistic", "lightgbm_classifier"],
                         preset="ci", seed=seed)  # fmt: skip
    return get_model("ensemble", method=method, members=["ridge", "lightgbm"], preset="ci",
                     seed=seed)  # fmt: skip


def _contract_data(method: str, planted):
    (X, y), (Xv, yv), (Xt, _) = planted
    if method.startswith("vote"):
        y, yv = np.sign(y), np.sign(yv)
    return (X[:, :, 1:], y), (Xv[:, :, 1:], yv), Xt[:, :, 1:]


@pytest.mark.parametrize("method", list(ENSEMBLE_METHODS))
def test_registered_ensemble_contract_and_artifact_round_trip(method, planted, tmp_path):
    pytest.importorskip("lightgbm")
    (X, y), (Xv, yv), Xt = _contract_data(method, planted)
    model = _registry_model(method, seed=5)
    with pytest.raises(NotFittedError):
        model.predict(Xt)
    fitted = model.fit(X, y, X_val=Xv, y_val=yv)
    assert fitted is model and model.weights_.shape == (2,)
    first = model.predict(Xt)
    again = _registry_model(method, seed=5).fit(X, y, X_val=Xv, y_val=yv).predict(Xt)
    np.testing.assert_array_equal(first, again)
    copy = clone(model)
    assert repr(copy) == repr(model) and not hasattr(copy, "members_")
    save_estimator(model, tmp_path)
    stored = load_estimator(tmp_path)
    assert type(stored) is type(model) and repr(stored) == repr(model)
    np.testing.assert_array_equal(stored.weights_, model.weights_)
    np.testing.assert_array_equal(stored.predict(Xt), first)


def test_registry_ensemble_seeds_members_and_checks_its_settings():
    ens = get_model("ensemble", method="bma", members=["ridge", "lightgbm"], preset="ci",
                    seed=7, temperature=5.0,
                    member_params={"lightgbm": {"max_depth": 2}})  # fmt: skip
    assert isinstance(ens, BayesianAveragingEnsemble) and ens.temperature == 5.0
    assert ens.seed == 7 and ens.members[1].seed == 8 and ens.members[1].max_depth == 2
    with pytest.raises(ValueError, match="Unknown ensemble method"):
        get_model("ensemble", method="median")
    with pytest.raises(ValueError, match="distinct"):
        get_model("ensemble", members=["ridge", "ridge"])
    with pytest.raises(ValueError, match="not members"):
        get_model("ensemble", members=["ridge"], member_params={"lstm": {}})
    with pytest.raises(ValueError, match="valid keys"):
        get_model("ensemble", method="blend", members=["ridge"], alpha=1.0)


def test_real_classifiers_soft_vote_is_their_mean_probability(planted):
    (X, y), (Xv, yv), Xt = _contract_data("vote_soft", planted)
    ens = _registry_model("vote_soft").fit(X, y, X_val=Xv, y_val=yv)
    mean = np.mean([m.predict_proba(Xt) for m in ens.members_], axis=0)
    np.testing.assert_allclose(ens.predict_proba(Xt), mean)
    np.testing.assert_allclose(ens.predict(Xt), mean[:, -1] - mean[:, 0])  # classes -1, 1
    assert np.corrcoef(ens.predict(Xt), planted[2][1])[0, 1] > 0.5
