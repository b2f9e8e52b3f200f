"""``alphafactory serve``: flags into a ServeConfig, user errors as one line with exit 2."""

from __future__ import annotations

import pytest

from alphafactory.cli import main
from alphafactory.serve import hash_key


@pytest.fixture
def captured(monkeypatch):
    import alphafactory.serve.server as server

    calls = []
    monkeypatch.setattr(server, "run_server",
                        lambda config, source, feed, **kw: calls.append((config, source, feed, kw)))
    return calls


def test_help_explains_paths_and_registry_aliases(capsys):
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "registry alias is followed" in text and "X-API-Key" in text


def test_registry_flags_build_the_config(captured, tmp_path):
    code = main(["serve", "--artifact", "champion", "--challenger", "v2", "--workflow", "daily",
                 "--registry-root", str(tmp_path / "reg"), "--bars", "synthetic:n_symbols=4"])
    assert code == 0
    ((config, _, _, _),) = captured
    assert (config.artifact, config.challenger, config.workflow) == ("champion", "v2", "daily")
    assert config.store.tracking_uri == f"sqlite:///{tmp_path / 'reg' / 'mlflow.db'}"
    assert config.follows() == {"champion": "champion"}


def test_registry_alias_without_workflow_is_one_line_exit_2(captured, capsys):
    assert main(["serve", "--artifact", "champion"]) == 2
    err = capsys.readouterr().err
    assert "--workflow" in err and err.count("\n") == 1 and not captured


def test_flags_build_the_config(captured, artifact_dir, tmp_path, monkeypatch):
    keys = tmp_path / "keys.txt"
    keys.write_text("k" * 20 + "\n")
    monkeypatch.setenv("ALPHAFACTORY_JWT_SECRET", "j" * 40)
    code = main(["serve", "--artifact", str(artifact_dir), "--bars", "synthetic:n_symbols=4",
                 "--host", "0.0.0.0", "--port", "9999", "--api-keys", str(keys),
                 "--rate-limit", "5", "--burst", "7", "--replay-rate", "3", "--cors-origin",
                 "https://a.example", "--cache", "off"])  # fmt: skip
    assert code == 0
    ((config, source, feed, kw),) = captured
    assert config.auth.enabled(config.host) and config.auth.api_key_hashes == {hash_key("k" * 20)}
    assert config.auth.jwt_secret == "j" * 40
    assert (config.rate_limit.per_second, config.rate_limit.burst) == (5.0, 7)
    assert config.cors_origins == ("https://a.example",)
    assert source.spec == "synthetic:n_symbols=4" and feed.bars_per_second == 3.0
    assert kw == {"port": 9999, "cache": "off", "monitor": None}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--host", "0.0.0.0"], "authentication is on"),
        (["--buy-rank", "0.1"], "sell_rank < buy_rank"),
        (["--api-keys", "/nonexistent/keys"], "no file"),
    ],
)
def test_user_errors_are_one_line_exit_2(captured, artifact_dir, capsys, extra, message,
                                         monkeypatch):  # fmt: skip
    monkeypatch.delenv("ALPHAFACTORY_API_KEYS", raising=False)
    monkeypatch.delenv("ALPHAFACTORY_JWT_SECRET", raising=False)
    assert main(["serve", "--artifact", str(artifact_dir), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not captured
