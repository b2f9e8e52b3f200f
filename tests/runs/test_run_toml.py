"""TOML round trip of run configs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from alphafactory.runs import read_toml, write_toml


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class _ModelConfig:
    name: str = "tcn"
    channels: tuple[int, ...] = (8, 8)
    dropout: float = 0.1


def test_write_toml_round_trips_nested_dataclass_and_numpy(tmp_path):
    doc = {"model": _ModelConfig(), "seed": np.int64(3), "eps": np.array([0.0, 0.1]),
           "data": {"path": Path("data/x.csv")}}
    write_toml(tmp_path / "c.toml", doc)
    assert read_toml(tmp_path / "c.toml") == {
        "model": {"name": "tcn", "channels": [8, 8], "dropout": 0.1},
        "seed": 3, "eps": [0.0, 0.1], "data": {"path": "data/x.csv"},
    }


def test_write_toml_unsupported_type_names_the_key(tmp_path):
    with pytest.raises(TypeError, match=r"key 'a\.fn'"):
        write_toml(tmp_path / "c.toml", {"a": {"fn": print}})


def test_read_toml_invalid_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("a = = 1\n")
    with pytest.raises(ValueError, match=r"bad\.toml"):
        read_toml(path)
