from __future__ import annotations

import numpy as np
import pytest

from alphafactory.features.windows import ArrayWindows, PanelWindows, as_windows


def test_panel_windows_gather_matches_naive_slicing():
    rng = np.random.default_rng(0)
    cube = rng.standard_normal((4, 30, 3)).astype(np.float32)
    sym = np.array([0, 3, 2, 1, 3])
    time = np.array([4, 29, 10, 4, 5])
    windows = PanelWindows(cube, sym, time, lookback=5, y=np.arange(5.0))
    got = windows.gather(np.array([4, 0, 1, 2]))
    expected = np.stack(
        [cube[s, t - 4 : t + 1] for s, t in zip(sym[[4, 0, 1, 2]], time[[4, 0, 1, 2]], strict=True)]
    )
    np.testing.assert_array_equal(got, expected)
    got[:] = 0  # a copy: the cube is untouched
    assert cube[3, 1:6].any()
    assert windows.groups is windows.times and windows.lookback == 5 and windows.n_features == 3


def test_panel_windows_sample_without_history_raises():
    cube = np.zeros((2, 10, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="earlier bars"):
        PanelWindows(cube, np.array([0]), np.array([2]), lookback=5)
    with pytest.raises(ValueError, match="float32"):
        PanelWindows(cube.astype(np.float64), np.array([0]), np.array([6]), lookback=5)


def test_as_windows_wraps_arrays_and_checks_shapes():
    X = np.zeros((6, 4, 2))
    w = as_windows(X, np.ones(6))
    assert isinstance(w, ArrayWindows) and w.gather(np.array([1])).dtype == np.float32
    with pytest.raises(ValueError, match="5 entries"):
        ArrayWindows(X, np.ones(5))
    with pytest.raises(ValueError, match=r"\[n, lookback, features\]"):
        ArrayWindows(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="ndarray or a Windows"):
        as_windows([[1.0]])  # type: ignore[arg-type]
