from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.signals import (
    SignalFileError,
    SignalMetadata,
    export_signals,
    load_signals,
    scores_wide,
    sidecar_path,
)


@pytest.fixture
def scores() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC", name="timestamp")
    rng = np.random.default_rng(1)
    return pd.DataFrame(rng.normal(size=(5, 3)), index=index, columns=["AAA", "BBB", "CCC"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_then_load_roundtrip_exact(tmp_path, scores, suffix):
    path = export_signals(
        scores,
        tmp_path / f"sig{suffix}",
        model="lstm",
        metadata={"model_config": {"hidden": 32}, "data_fingerprint": "abc"},
    )
    loaded = load_signals(path)
    assert list(loaded.columns[:4]) == ["timestamp", "symbol", "model", "score"]
    assert (loaded["model"] == "lstm").all()
    pd.testing.assert_frame_equal(scores_wide(loaded), scores, check_names=False, check_freq=False)
    meta = loaded.attrs["metadata"]
    assert meta["model_config"] == {"hidden": 32}
    assert meta["data_fingerprint"] == "abc"
    assert meta["schema_version"] == 1
    assert meta["package_version"]
    assert meta["created_at"].endswith("+00:00")


def test_export_long_series_keeps_model_column(tmp_path, scores):
    long = scores.stack().rename("score")
    long.index = long.index.set_names(["timestamp", "symbol"])
    frame = long.reset_index().assign(model="tcn")
    path = export_signals(frame, tmp_path / "s.csv", metadata=SignalMetadata(description="x"))
    assert set(load_signals(path)["model"]) == {"tcn"}


def _write(tmp_path, text: str):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


def test_load_missing_column_names_it(tmp_path):
    path = _write(tmp_path, "timestamp,symbol\n2024-01-01,A\n")
    with pytest.raises(SignalFileError, match=r"missing column\(s\) \['score'\]"):
        load_signals(path, require_sidecar=False)


def test_load_duplicate_key_names_rows(tmp_path):
    text = "timestamp,symbol,model,score\n2024-01-01,A,m,1\n2024-01-02,A,m,2\n2024-01-01,A,m,3\n"
    with pytest.raises(SignalFileError, match=r"duplicate .* row\(s\) 2, 4"):
        load_signals(_write(tmp_path, text), require_sidecar=False)


def test_load_nan_score_names_row(tmp_path):
    text = "timestamp,symbol,score\n2024-01-01,A,1\n2024-01-02,A,\n"
    with pytest.raises(SignalFileError, match=r"NaN.*row\(s\) 3"):
        load_signals(_write(tmp_path, text), require_sidecar=False)


def test_load_bad_timestamp_names_row(tmp_path):
    text = "timestamp,symbol,score\n2024-01-01,A,1\nyesterday,A,2\n"
    with pytest.raises(SignalFileError, match=r"unparsable timestamp in row\(s\) 3"):
        load_signals(_write(tmp_path, text), require_sidecar=False)


def test_load_timestamp_beyond_bars_rejected(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    prices = scores.iloc[:3].abs() + 1.0
    with pytest.raises(SignalFileError, match="after the last bar"):
        load_signals(path, bars=prices)


def test_load_unknown_symbol_rejected(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    prices = (scores.abs() + 1.0).drop(columns="CCC")
    with pytest.raises(SignalFileError, match="CCC"):
        load_signals(path, bars=prices)


def test_load_against_long_bars_accepts_matching(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    close = (scores.abs() + 1.0).stack().rename("close")
    close.index = close.index.set_names(["timestamp", "symbol"])
    bars = close.to_frame()
    assert len(load_signals(path, bars=bars)) == scores.size


def test_load_edited_file_fails_checksum(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    path.write_text(path.read_text().replace("AAA", "ZZZ"))
    with pytest.raises(SignalFileError, match="SHA-256"):
        load_signals(path)
    assert set(load_signals(path, verify_checksum=False)["symbol"]) == {"BBB", "CCC", "ZZZ"}


def test_load_missing_sidecar_rejected_unless_allowed(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    sidecar_path(path).unlink()
    with pytest.raises(SignalFileError, match="no sidecar"):
        load_signals(path)
    assert load_signals(path, require_sidecar=False).attrs["metadata"] is None


def test_load_future_schema_version_rejected(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv")
    side = sidecar_path(path)
    meta = json.loads(side.read_text())
    meta["schema_version"] = 99
    side.write_text(json.dumps(meta))
    with pytest.raises(SignalFileError, match="schema_version 99"):
        load_signals(path)


def test_export_unknown_metadata_key_rejected(tmp_path, scores):
    with pytest.raises(ValueError, match="Unknown signal metadata"):
        export_signals(scores, tmp_path / "s.csv", metadata={"colour": "red"})


def test_export_nan_scores_in_long_frame_rejected(tmp_path):
    frame = pd.DataFrame(
        {"timestamp": ["2024-01-01"], "symbol": ["A"], "score": [np.nan]}
    )
    with pytest.raises(SignalFileError, match="NaN"):
        export_signals(frame, tmp_path / "s.csv")


def test_export_existing_file_needs_overwrite(tmp_path, scores):
    path = export_signals(scores, tmp_path / "s.csv", model="a")
    with pytest.raises(SignalFileError, match=r"s\.csv: a signal file already exists.*overwrite"):
        export_signals(scores * 2, path, model="a")
    assert load_signals(path)["score"].abs().max() == pytest.approx(scores.abs().max().max())
    export_signals(scores * 2, path, model="a", overwrite=True)
    assert load_signals(path)["score"].abs().max() == pytest.approx(2 * scores.abs().max().max())


def test_export_drops_label_and_fold_of_predictions(tmp_path, scores):
    long = scores.stack().rename("score").to_frame()
    long.index = long.index.set_names(["timestamp", "symbol"])
    predictions = long.assign(label=1.0, fold=np.int64(3))
    path = export_signals(predictions, tmp_path / "s.parquet", model="m")
    loaded = load_signals(path)
    assert list(loaded.columns) == ["timestamp", "symbol", "model", "score"]
    assert json.loads(sidecar_path(path).read_text())["columns"] == list(loaded.columns)


def test_export_unknown_column_rejected(tmp_path, scores):
    frame = scores.stack().rename("score").reset_index().rename(
        columns={"level_0": "timestamp", "level_1": "symbol"}
    )
    frame["fwd_ret"] = 0.0
    with pytest.raises(SignalFileError, match=r"^predictions: column 'fwd_ret' is not a signal"):
        export_signals(frame, tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("column", "rule"), [("fold", "carry no answers"), ("label", "carry no answers"),
                         ("extra", "not a signal column")]
)
def test_load_answer_or_unknown_column_rejected(tmp_path, column, rule):
    text = f"timestamp,symbol,score,{column}\n2024-01-01,A,1,0\n"
    path = _write(tmp_path, text)
    with pytest.raises(SignalFileError, match=rf"bad\.csv: column '{column}' .*{rule}"):
        load_signals(path, require_sidecar=False)


def test_load_optional_columns_are_typed_and_checked(tmp_path):
    text = "timestamp,symbol,score,target_weight,horizon\n2024-01-01,A,1,0.5,5\n2024-01-01,B,2,,5\n"
    loaded = load_signals(_write(tmp_path, text), require_sidecar=False)
    assert loaded["horizon"].dtype == np.int64 and loaded["horizon"].tolist() == [5, 5]
    assert loaded["target_weight"].iloc[0] == 0.5 and np.isnan(loaded["target_weight"].iloc[1])
    bad = "timestamp,symbol,score,horizon\n2024-01-01,A,1,5\n2024-01-02,A,1,0.5\n"
    with pytest.raises(SignalFileError, match=r"horizon must be a whole number.*row\(s\) 3"):
        load_signals(_write(tmp_path, bad), require_sidecar=False)
    bad = "timestamp,symbol,score,target_weight\n2024-01-01,A,1,big\n"
    with pytest.raises(SignalFileError, match=r"target_weight .* row\(s\) 2"):
        load_signals(_write(tmp_path, bad), require_sidecar=False)
