"""Authentication (API keys, JWT), rate limits, CORS and the auth defaults."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from alphafactory.errors import ConfigError
from alphafactory.feeds import ManualFeed
from alphafactory.serve import (
    AuthConfig,
    RateLimit,
    ServeConfig,
    create_app,
    hash_key,
    read_api_keys,
)
from alphafactory.serve.auth import RateLimiter

from .conftest import make_config

KEY = "k" * 24
OTHER = "o" * 24
SECRET = "s" * 40


def token(secret: str = SECRET, **claims) -> str:
    return jwt.encode({"sub": "alice", "exp": int(time.time()) + 60, **claims}, secret, "HS256")


@pytest.fixture
def secured(artifact_dir, market, tmp_path):
    config = make_config(artifact_dir, tmp_path, host="0.0.0.0",
                         auth=AuthConfig(api_key_hashes=frozenset({hash_key(KEY), hash_key(OTHER)}),
                                         jwt_secret=SECRET),
                         rate_limit=RateLimit(per_second=0.001, burst=3))  # fmt: skip
    with TestClient(create_app(config, ManualFeed(market.history()))) as client:
        yield client


def predict(client, **headers):
    return client.post("/predict", json={"symbol": "S01"}, headers=headers)


def test_auth_is_on_off_loopback_and_needs_credentials(artifact_dir, tmp_path):
    with pytest.raises(ConfigError, match="no API keys or JWT secret"):
        make_config(artifact_dir, tmp_path, host="0.0.0.0")
    assert not AuthConfig().enabled("127.0.0.1") and not AuthConfig().enabled("::1")
    assert AuthConfig().enabled("0.0.0.0") and AuthConfig(mode="on").enabled("localhost")
    assert not AuthConfig(mode="off").enabled("0.0.0.0")


def test_missing_and_bad_credentials_are_401(secured):
    missing = predict(secured)
    assert missing.status_code == 401 and "missing credentials" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    assert predict(secured, **{"X-API-Key": "wrong" * 5}).status_code == 401
    assert predict(secured, Authorization="Bearer not-a-token").status_code == 401
    assert secured.get("/health").status_code == 200  # probes stay open
    assert secured.get("/metrics").status_code == 401


def test_api_key_in_header_or_bearer_is_accepted(secured):
    assert predict(secured, **{"X-API-Key": KEY}).status_code == 200
    assert predict(secured, Authorization=f"Bearer {KEY}").status_code == 200


def test_jwt_valid_expired_forged_and_without_exp(secured):
    assert predict(secured, Authorization=f"Bearer {token()}").status_code == 200
    expired = predict(secured, Authorization=f"Bearer {token(exp=int(time.time()) - 5)}")
    assert expired.status_code == 401 and expired.json()["detail"] == "token expired"
    forged = predict(secured, Authorization=f"Bearer {token(secret='x' * 40)}")
    assert forged.status_code == 401 and "InvalidSignatureError" in forged.json()["detail"]
    no_exp = jwt.encode({"sub": "bob"}, SECRET, "HS256")
    assert predict(secured, Authorization=f"Bearer {no_exp}").status_code == 401


def test_rate_limit_is_per_key_with_retry_after(secured):
    for _ in range(3):
        assert predict(secured, **{"X-API-Key": KEY}).status_code == 200
    limited = predict(secured, **{"X-API-Key": KEY})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert predict(secured, **{"X-API-Key": OTHER}).status_code == 200


def test_token_bucket_refills_at_its_rate():
    limiter = RateLimiter(RateLimit(per_second=2.0, burst=2))
    assert limiter.take("a", now=0.0) == 0 and limiter.take("a", now=0.0) == 0
    assert limiter.take("a", now=0.0) == pytest.approx(0.5)
    assert limiter.take("a", now=0.5) == 0  # one token back after 1/rate seconds
    assert RateLimiter(RateLimit(per_second=0, burst=0)).take("a") == 0  # off


def test_websocket_refuses_without_credentials_and_accepts_a_token(secured):
    with pytest.raises(WebSocketDisconnect) as info, secured.websocket_connect("/ws/stream"):
        pass
    assert info.value.code == 1008
    with secured.websocket_connect(f"/ws/stream?token={KEY}") as ws:
        ws.send_json({"action": "subscribe", "symbols": ["S01"]})
        assert ws.receive_json()["type"] == "subscribed"


def test_api_keys_file_and_environment_are_hashed(tmp_path):
    path = tmp_path / "keys.txt"
    path.write_text(f"# team keys\n{KEY}\n\n")
    hashes = read_api_keys(path, env={"ALPHAFACTORY_API_KEYS": f"{OTHER}, "})
    assert hashes == {hash_key(KEY), hash_key(OTHER)} and KEY not in "".join(hashes)
    with pytest.raises(ConfigError, match="at least 16 characters"):
        read_api_keys(None, env={"ALPHAFACTORY_API_KEYS": "short"})
    with pytest.raises(ConfigError, match="no file"):
        read_api_keys(tmp_path / "missing.txt", env={})


def test_cors_is_off_unless_origins_are_configured(artifact_dir, market, tmp_path):
    origin = {"Origin": "https://dash.example", "Access-Control-Request-Method": "POST"}
    for origins, allowed in (((), False), (("https://dash.example",), True)):
        config = make_config(artifact_dir, tmp_path, cors_origins=origins)
        with TestClient(create_app(config, ManualFeed(market.history()))) as client:
            response = client.options("/predict", headers=origin)
            assert ("access-control-allow-origin" in response.headers) is allowed


def test_config_rejects_bad_values(artifact_dir):
    with pytest.raises(ConfigError):
        ServeConfig(artifact=artifact_dir, max_body_bytes=10)
    with pytest.raises(ConfigError):
        AuthConfig(mode="maybe")
