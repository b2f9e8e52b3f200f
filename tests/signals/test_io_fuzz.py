"""Fuzz the signal reader and its sidecar: every failure is one SignalFileError line.

Random bytes as CSV and Parquet, and mutations of a valid exported pair (truncation, flipped
bytes, duplicated rows, NaN symbols and model names, wrong dtypes, a sidecar with fields
dropped, retyped or a foreign checksum). Loading either succeeds with a valid frame or raises
:class:`SignalFileError` with a one-line message; the only warning allowed is
:class:`SignalSidecarWarning`; a pristine copy always still reads.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphafactory.signals import (
    SignalFileError,
    SignalSidecarWarning,
    export_signals,
    load_signals,
    sidecar_path,
)

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict[str, Path]:
    """A valid CSV and Parquet signal file with sidecars (two models, target weights)."""
    root = tmp_path_factory.mktemp("pristine")
    stamps = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    rows = [(t, s, m) for t in stamps for s in ("AAA", "BBB", "NA") for m in ("lstm", "ridge")]
    frame = pd.DataFrame(rows, columns=["timestamp", "symbol", "model"])
    frame["score"] = np.random.default_rng(0).normal(size=len(frame))
    frame["target_weight"] = 0.1
    return {fmt: export_signals(frame, root / f"sig.{fmt}") for fmt in ("csv", "parquet")}


def _load_or_signal_error(path: Path, **kwargs) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = load_signals(path, **kwargs)
        except SignalFileError as exc:
            message = str(exc)
            assert message and "\n" not in message, message
        else:
            assert len(frame) > 0
            assert np.isfinite(frame["score"].to_numpy()).all()
            assert not frame.duplicated(["timestamp", "symbol", "model"]).any()
            assert frame["symbol"].map(lambda s: isinstance(s, str) and s.strip() != "").all()
            assert frame["model"].map(lambda s: isinstance(s, str) and s.strip() != "").all()
    unexpected = [w for w in caught if not issubclass(w.category, SignalSidecarWarning)]
    assert not unexpected, [str(w.message) for w in unexpected]


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".parquet"]))
def test_fuzz_random_bytes_as_a_signal_file(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"x{suffix}"
        path.write_bytes(data)
        _load_or_signal_error(path, require_sidecar=False)


_CELLS = st.sampled_from(["", "NaN", "nan", "None", "inf", "-inf", "1e999", "abc", "2024-13-45",
                          "1", "0", "-0.5", "\"a,b\"", "NA", " ", "2024-01-02"])  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip
_SIDECAR_FIELDS = ["schema_version", "format", "rows", "models", "columns", "sha256",
                   "model_config", "data_fingerprint"]  # fmt: skip


def _mutate_csv(text: str, draw) -> str:
    lines = text.splitlines()
    kind = draw(st.sampled_from(["cell", "duplicate", "drop_column", "extra_field", "swap"]))
    row = draw(st.integers(1, len(lines) - 1))
    cells = lines[row].split(",")
    if kind == "cell":
        cells[draw(st.integers(0, len(cells) - 1))] = draw(_CELLS)
        lines[row] = ",".join(cells)
    elif kind == "duplicate":
        lines.insert(row, lines[row])
    elif kind == "drop_column":
        col = draw(st.integers(0, len(cells) - 1))
        lines = [",".join(c for i, c in enumerate(line.split(",")) if i != col) for line in lines]
    elif kind == "extra_field":
        lines[row] += "," + draw(_CELLS)
    else:
        lines[0] = ",".join(reversed(lines[0].split(",")))
    return "\n".join(lines) + "\n"


def _mutate_parquet(path: Path, draw) -> None:
    frame = pd.read_parquet(path)
    kind = draw(st.sampled_from(["nan_model", "nan_symbol", "dtype", "duplicate", "drop"]))
    row = draw(st.integers(0, len(frame) - 1))
    if kind == "nan_model":
        frame["model"] = frame["model"].astype(object)
        frame.loc[row, "model"] = draw(st.sampled_from([None, "NaN", "", " "]))
    elif kind == "nan_symbol":
        frame.loc[row, "symbol"] = draw(st.sampled_from([None, "nan", ""]))
    elif kind == "dtype":
        column = draw(st.sampled_from(["timestamp", "score", "symbol", "target_weight"]))
        frame[column] = draw(st.sampled_from([1, "x", 2.5, True]))
    elif kind == "duplicate":
        frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    else:
        frame = frame.drop(columns=draw(st.sampled_from(list(frame.columns))))
    frame.to_parquet(path, index=False)


def _mutate_bytes(path: Path, draw) -> None:
    data = path.read_bytes()
    kind = draw(st.sampled_from(["truncate", "flip", "append"]))
    at = draw(st.integers(0, len(data)))
    if kind == "truncate":
        data = data[:at]
    elif kind == "flip" and at < len(data):
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    else:
        data = data + draw(st.binary(min_size=1, max_size=20))
    path.write_bytes(data)


def _mutate_sidecar(side: Path, draw) -> None:
    kind = draw(st.sampled_from(["field", "drop", "truncate", "bytes", "foreign_sha"]))
    text = side.read_text()
    if kind == "truncate":
        side.write_text(text[: draw(st.integers(0, len(text)))])
        return
    if kind == "bytes":
        side.write_bytes(draw(st.binary(max_size=60)))
        return
    meta = json.loads(text)
    name = draw(st.sampled_from(_SIDECAR_FIELDS))
    if kind == "field":
        meta[name] = draw(_JSON)
    elif kind == "drop":
        meta.pop(name, None)
    else:
        meta["sha256"] = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
    side.write_text(json.dumps(meta))


@FUZZ
@given(fmt=st.sampled_from(["csv", "parquet"]), target=st.sampled_from(["file", "sidecar", "both"]),
       data=st.data())  # fmt: skip
def test_fuzz_mutated_signal_file_and_sidecar(pristine, fmt, target, data):
    draw = data.draw
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / pristine[fmt].name
        shutil.copyfile(pristine[fmt], path)
        shutil.copyfile(sidecar_path(pristine[fmt]), sidecar_path(path))
        if target in ("file", "both"):
            if fmt == "csv" and draw(st.booleans()):
                path.write_text(_mutate_csv(path.read_text(), draw))
            elif fmt == "parquet" and draw(st.booleans()):
                _mutate_parquet(path, draw)
            else:
                _mutate_bytes(path, draw)
        if target in ("sidecar", "both"):
            _mutate_sidecar(sidecar_path(path), draw)
        verify = draw(st.booleans())
        _load_or_signal_error(path, verify_checksum=verify)
    assert len(load_signals(pristine[fmt])) == 24  # the valid file still reads
