from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import FeatureSpec, build_features, list_features, rsi
from alphafactory.features.registry import resolve_spec


def test_list_features_default_has_200_plus_unique_rows():
    table = list_features()
    assert len(table) >= 200
    assert table["name"].is_unique
    assert len(table) == 253
    assert list(table.columns) == [
        "name", "family", "params", "warmup", "convergence", "description"
    ]
    assert set(table["family"]) >= {"returns", "trend", "momentum", "volume", "volatility",
                                    "microstructure", "cross_section"}
    assert (table["description"].str.len() > 10).all()


def test_build_features_default_columns_are_registry(bars):
    feats = build_features(bars)
    assert list(feats.columns) == list(list_features()["name"])
    assert feats.index.equals(bars.index)
    assert (feats.dtypes == np.float32).all()


def test_declared_warmup_is_first_finite_row(bars_factory):
    """On a clean single symbol, each feature is NaN for exactly its declared warm-up."""
    bars = bars_factory(n_symbols=3, n_bars=400, seed=4, ragged=False)
    feats = build_features(bars, dtype=np.float64)
    table = list_features().set_index("name")
    first = feats.xs("S0", level="symbol").reset_index(drop=True).apply(
        lambda col: col.first_valid_index())
    wrong = {n: (int(first[n]), int(table.loc[n, "warmup"])) for n in table.index
             if first[n] != table.loc[n, "warmup"]}
    assert not wrong, f"(first finite row, declared warmup): {wrong}"


def test_build_features_values_match_indicator_functions(bars):
    feats = build_features(bars, ["rsi_14", "ret_5", "cc_vol_20"], dtype=np.float64)
    close = bars["close"].unstack("symbol")
    expected_rsi = (rsi(close, 14) / 100 - 0.5).stack().reindex(bars.index)
    np.testing.assert_allclose(feats["rsi_14"], expected_rsi, rtol=1e-12, equal_nan=True)
    logc = np.log(close)
    expected_ret = (logc - logc.shift(5)).stack().reindex(bars.index)
    np.testing.assert_allclose(feats["ret_5"], expected_ret, rtol=1e-9, equal_nan=True)
    expected_vol = logc.diff().rolling(20).std().stack().reindex(bars.index)
    np.testing.assert_allclose(feats["cc_vol_20"], expected_vol, rtol=1e-7, equal_nan=True)


def test_build_features_single_symbol_frame(single_bars):
    feats = build_features(single_bars, FeatureSpec(families=("returns", "volatility")))
    assert isinstance(feats.index, pd.DatetimeIndex)
    assert len(feats) == len(single_bars)
    assert feats["ret_1"].notna().sum() == len(single_bars) - 1


def test_feature_spec_selects_families_windows_and_patterns():
    spec = FeatureSpec(families=("volatility",), windows={"volatility": (7,)},
                       exclude=("kurt_*", "skew_*"))
    names = [d.name for d in resolve_spec(spec)]
    assert "parkinson_7" in names and "parkinson_20" not in names
    assert not any(n.startswith(("kurt_", "skew_")) for n in names)
    only = resolve_spec(FeatureSpec(include=("rsi_*",)))
    assert {d.name for d in only} == {"rsi_6", "rsi_14", "rsi_28"}


def test_unknown_family_or_name_raises():
    with pytest.raises(ValueError, match="Unknown feature families"):
        resolve_spec(FeatureSpec(families=("astrology",)))
    with pytest.raises(KeyError, match="Unknown feature names"):
        resolve_spec(["rsi_14", "not_a_feature"])
