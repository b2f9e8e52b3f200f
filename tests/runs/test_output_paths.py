"""check_output_paths: outputs never replace an input, each other, or an existing file unasked."""

from __future__ import annotations

import os

import pytest

from alphafactory.errors import ConfigError
from alphafactory.runs.output_paths import check_output_paths


def test_output_equal_to_input_is_refused(tmp_path):
    orders = tmp_path / "x.csv"
    orders.write_text("data")
    with pytest.raises(ConfigError, match=r"--trades .*same file as the input --orders"):
        check_output_paths({"--trades": tmp_path / "." / "x.csv"}, inputs={"--orders": orders},
                           overwrite=True)
    assert orders.read_text() == "data"


def test_hard_link_to_input_is_refused(tmp_path):
    orders = tmp_path / "x.csv"
    orders.write_text("data")
    os.link(orders, tmp_path / "y.csv")
    with pytest.raises(ConfigError, match="same file"):
        check_output_paths({"--trades": tmp_path / "y.csv"}, inputs={"--orders": orders},
                           overwrite=True)


def test_two_outputs_on_one_path_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="--trades and --events are both"):
        check_output_paths({"--trades": tmp_path / "t.csv", "--events": tmp_path / "t.csv"})


def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("keep")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        check_output_paths({"--trades": out})
    check_output_paths({"--trades": out}, overwrite=True)
    assert out.read_text() == "keep"


def test_directory_output_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        check_output_paths({"--out": tmp_path}, overwrite=True)


def test_fresh_distinct_outputs_pass(tmp_path):
    check_output_paths([tmp_path / "a.csv", tmp_path / "b.csv", None],
                       inputs=[tmp_path / "in.csv"])
