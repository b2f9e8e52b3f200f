"""schemathesis over the OpenAPI schema of a live server: generated requests never get a 500."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from alphafactory.feeds import ManualFeed  # noqa: E402
from alphafactory.serve import RateLimit, create_app  # noqa: E402

from .conftest import live_server, make_config  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(trained, market, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    path = trained.save(tmp / "run" / "model")
    config = make_config(path, tmp, rate_limit=RateLimit(per_second=0, burst=0),
                         backtest_queue=64)  # fmt: skip
    app = create_app(config, ManualFeed(market.history()))
    with live_server(app) as host:
        yield schemathesis.openapi.from_url(f"http://{host}/openapi.json")


def test_generated_requests_never_get_a_server_error(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/predict", "/signals", "/backtest", "/models"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def check(case) -> None:
            case.call_and_validate(checks=[not_a_server_error], timeout=30)

        check()
