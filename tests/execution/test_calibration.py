from __future__ import annotations

import numpy as np

from alphafactory.execution import calibrate_square_root


def test_calibrate_square_root_fits_order_one_eta_on_simulated_flow():
    fit = calibrate_square_root(participations=(0.02, 0.1, 0.2), n_sessions=6, seed=0)
    assert 0.2 < fit.eta < 20
    assert fit.sigma > 0 and fit.session_volume > 0
    assert list(fit.points["lots"]) == sorted(fit.points["lots"])


def test_calibrated_model_is_usable_and_labelled():
    model = calibrate_square_root(participations=(0.05, 0.2), n_sessions=4, seed=1).cost_model()
    assert model.eta > 0
    assert "simulat" in model.calibration["note"]
    again = calibrate_square_root(participations=(0.05, 0.2), n_sessions=4, seed=1).cost_model()
    assert np.isclose(model.eta, again.eta)
