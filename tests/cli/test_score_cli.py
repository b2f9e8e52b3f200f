"""`alphafactory score --out`: checked before any work (no file replaced, no input overwritten)."""

from __future__ import annotations

import pytest

from alphafactory.cli import main

SPEC = "synthetic:n_symbols=4,n_bars=60"


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("alphafactory: error: ") and "\n" not in err, err
    return err


def test_score_out_existing_file_needs_force_and_is_checked_first(tmp_path, capsys):
    out = tmp_path / "scores.csv"
    out.write_text("keep me\n")
    # The artifact does not exist: the --out check comes before loading it.
    code = main(["score", "--artifact", str(tmp_path / "none"), "--bars", SPEC, "--out", str(out)])
    assert code == 2
    assert f"--out {out}: already exists; pass --force" in _error_line(capsys)
    assert out.read_text() == "keep me\n"


def test_score_out_over_the_bars_file_is_refused_even_with_force(tmp_path, capsys):
    bars = tmp_path / "bars.csv"
    bars.write_text("timestamp,symbol,open,high,low,close,volume\n")
    code = main(["score", "--artifact", str(tmp_path / "none"), "--bars", str(bars),
                 "--out", str(bars), "--force"])  # fmt: skip
    assert code == 2
    assert "is the same file as the input --bars" in _error_line(capsys)
    assert bars.read_text().startswith("timestamp,symbol")


@pytest.mark.parametrize("name", ["scores.txt", "scores"])
def test_score_out_bad_suffix_is_one_line(tmp_path, capsys, name):
    code = main(["score", "--artifact", str(tmp_path), "--bars", SPEC,
                 "--out", str(tmp_path / name)])  # fmt: skip
    assert code == 2
    assert "--out must end in .csv or .parquet" in _error_line(capsys)
    assert not (tmp_path / name).exists()


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    """A tiny ridge fold model saved as an artifact directory."""
    from alphafactory.data import synthetic_market
    from alphafactory.features import build_features
    from alphafactory.labels import forward_returns
    from alphafactory.training import WalkForward, walk_forward

    market = synthetic_market(4, 200, seed=3)
    result = walk_forward(build_features(market.bars, ["ret_1", "cs_z_ret_1"]),
                          forward_returns(market.bars, 1), model="ridge",
                          splitter=WalkForward(train=80, val=20, test=40), lookback=3,
                          keep_models="last")  # fmt: skip
    path = tmp_path_factory.mktemp("artifact") / "model"
    next(iter(result.models.values())).save(path)
    return path


@pytest.mark.parametrize("file", ["artifact.json", "estimator/estimator.json",
                                  "estimator/weights.npz"])  # fmt: skip
@pytest.mark.parametrize("damage", ["truncate", "empty", "binary"])
def test_score_damaged_artifact_is_one_line(tmp_path, capsys, artifact, file, damage):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(artifact, copy)
    target = copy / file
    data = target.read_bytes()
    target.write_bytes({"truncate": data[: len(data) // 2], "empty": b"",
                        "binary": b"\x00\xff" * 20}[damage])  # fmt: skip
    assert main(["score", "--artifact", str(copy), "--bars", "synthetic:n_symbols=4,n_bars=200,"
                 "seed=3"]) == 2  # fmt: skip
    assert str(copy) in _error_line(capsys)
