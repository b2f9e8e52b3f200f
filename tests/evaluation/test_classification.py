"""Classification metrics against scikit-learn on random inputs, trading metrics by hand, and
the report's bootstrap intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from alphafactory.evaluation import (
    accuracy,
    balanced_accuracy,
    brier_score,
    classification_report,
    expectancy,
    log_loss,
    precision_long,
    predicted_class,
    profit_factor,
    recall_long,
    trade_returns,
    win_loss_ratio,
    win_rate,
)

CLASSES = np.array([-1.0, 0.0, 1.0])


def _sample(seed: int, n: int, classes: np.ndarray = CLASSES) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(len(classes)), size=n)
    y = classes[rng.integers(0, len(classes), n)]
    return y, proba


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(5, 200))
def test_classification_metrics_match_sklearn_on_random_inputs(seed, n):
    y, proba = _sample(seed, n)
    pred = predicted_class(proba, CLASSES)
    assert accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred))
    with warnings.catch_warnings():  # a predicted class absent from y_true: both ignore it
        warnings.simplefilter("ignore", UserWarning)
        expected = skm.balanced_accuracy_score(y, pred)
    assert balanced_accuracy(y, pred) == pytest.approx(expected)
    for ours, theirs in ((precision_long, skm.precision_score), (recall_long, skm.recall_score)):
        expected = theirs(y, pred, labels=[1.0], average="micro", zero_division=np.nan)
        np.testing.assert_allclose(ours(y, pred), expected)
    assert log_loss(y, proba, CLASSES) == pytest.approx(skm.log_loss(y, proba, labels=CLASSES))
    onehot = (y[:, None] == CLASSES).astype(float)
    assert brier_score(y, proba, CLASSES) == pytest.approx(
        np.mean(np.sum((proba - onehot) ** 2, axis=1))
    )


def test_brier_score_matches_sklearn_binary_and_multiclass():
    y, proba = _sample(3, 300)
    # scikit-learn's multi-class Brier score is the same sum over classes, averaged over rows
    assert brier_score(y, proba, CLASSES) == pytest.approx(
        skm.brier_score_loss(y, proba, labels=CLASSES)
    )
    y2, proba2 = _sample(4, 300, np.array([0.0, 1.0]))
    # binary: the sum over both columns is twice scikit-learn's positive-class score
    assert brier_score(y2, proba2, [0.0, 1.0]) == pytest.approx(
        2 * skm.brier_score_loss(y2, proba2[:, 1])
    )


def test_trading_metrics_on_hand_built_trades():
    proba = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8],
                      [0.5, 0.1, 0.4]])  # fmt: skip
    returns = np.array([0.02, 0.01, 0.05, -0.01, -0.03])
    trades = trade_returns(proba, CLASSES, returns)
    np.testing.assert_allclose(trades, [0.02, -0.01, -0.01, 0.03])  # flat row 3 is no trade
    assert win_rate(trades) == pytest.approx(0.5)
    assert profit_factor(trades) == pytest.approx(0.05 / 0.02)
    assert win_loss_ratio(trades) == pytest.approx(0.025 / 0.01)
    assert expectancy(trades) == pytest.approx(0.0075)
    assert profit_factor([0.01, 0.02]) == np.inf
    assert np.isnan(win_rate([])) and np.isnan(expectancy([])) and np.isnan(win_loss_ratio([1.0]))


def test_binary_classifier_goes_long_only():
    proba = np.array([[0.3, 0.7], [0.8, 0.2]])
    np.testing.assert_allclose(trade_returns(proba, [0.0, 1.0], [0.05, 0.04]), [0.05])


def test_classification_report_is_tidy_with_intervals_around_the_estimate():
    rng = np.random.default_rng(0)
    n_time, n_sym = 120, 10
    y, proba = _sample(1, n_time * n_sym)
    proba[:, 2] += 0.5 * (y == 1)  # some skill on the long class
    proba /= proba.sum(axis=1, keepdims=True)
    returns = 0.01 * y + 0.02 * rng.normal(size=len(y))
    stamps = np.repeat(np.arange(n_time), n_sym)
    y_nan = y.copy()
    y_nan[:5] = np.nan  # unlabelled rows are left out
    report = classification_report(y_nan, proba, CLASSES, returns=returns, timestamps=stamps,
                                   n_boot=50, seed=1)  # fmt: skip
    assert list(report.columns) == ["metric", "value", "low", "high", "n"]
    assert report["metric"].tolist() == [
        "accuracy", "balanced_accuracy", "precision_long", "recall_long", "log_loss", "brier",
        "win_rate", "profit_factor", "win_loss_ratio", "expectancy", "n_trades",
    ]  # fmt: skip
    assert (report["n"] == len(y) - 5).all()
    body = report.set_index("metric").drop("n_trades")
    assert (body["low"] <= body["value"]).all() and (body["value"] <= body["high"]).all()
    assert body.loc["accuracy", "value"] == pytest.approx(
        accuracy(y[5:], predicted_class(proba[5:], CLASSES))
    )
    assert body.loc["expectancy", "low"] > 0
    again = classification_report(y_nan, proba, CLASSES, returns=returns, timestamps=stamps,
                                  n_boot=50, seed=1)  # fmt: skip
    assert again.equals(report)
    without = classification_report(y, proba, CLASSES, n_boot=20)
    assert "win_rate" not in without["metric"].tolist()


def test_classification_report_rejects_unknown_classes_and_bad_shapes():
    y, proba = _sample(0, 20)
    with pytest.raises(ValueError, match="not among classes"):
        classification_report(y * 2, proba, CLASSES, n_boot=10)
    with pytest.raises(ValueError, match="proba must be"):
        log_loss(y, proba[:, :2], CLASSES)
