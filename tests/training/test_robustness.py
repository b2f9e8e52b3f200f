from __future__ import annotations

import numpy as np
import pytest

from alphafactory.models import get_model
from alphafactory.training.robustness import adversarial_noisy_eval


@pytest.fixture(scope="module")
def fitted(request):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6, 2)).astype(np.float32)
    y = X[:, -1, 0] + 0.5 * rng.normal(size=len(X))
    model = get_model("mlp", preset="ci", train={"epochs": 6, "batch_size": 64})
    return model.fit(X[:1200], y[:1200]), X[1200:], y[1200:]


def test_noisy_eval_ic_degrades_with_gaussian_noise(fitted):
    model, X, y = fitted
    table = adversarial_noisy_eval(model, X, y, eps=(0.0, 0.5, 2.0, 8.0))
    assert list(table.columns) == ["ic", "hit_rate"]
    ic = table["ic"].to_numpy()
    assert ic[0] > 0.5
    assert ic[0] > ic[2] > ic[3]
    assert table.loc[0.0, "ic"] == pytest.approx(np.corrcoef(model.predict(X), y)[0, 1])


def test_fgsm_hurts_more_than_gaussian_noise_of_same_size(fitted):
    model, X, y = fitted
    eps = (0.0, 0.3)
    gaussian = adversarial_noisy_eval(model, X, y, eps=eps, kind="gaussian")
    fgsm = adversarial_noisy_eval(model, X, y, eps=eps, kind="fgsm")
    assert fgsm.loc[0.0, "ic"] == gaussian.loc[0.0, "ic"]
    assert fgsm.loc[0.3, "ic"] < gaussian.loc[0.3, "ic"]
    assert fgsm.loc[0.3, "hit_rate"] < fgsm.loc[0.0, "hit_rate"]


def test_fgsm_on_non_torch_model_raises(fitted):
    _, X, y = fitted
    ridge = get_model("ridge").fit(X, y)
    with pytest.raises(TypeError, match="torch model"):
        adversarial_noisy_eval(ridge, X, y, kind="fgsm")
    with pytest.raises(ValueError, match="kind"):
        adversarial_noisy_eval(ridge, X, y, kind="pgd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="labels"):
        adversarial_noisy_eval(ridge, X)
