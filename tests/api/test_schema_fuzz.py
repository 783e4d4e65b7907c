"""Schemathesis against the OpenAPI schema: whatever it sends, no 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from gateway.app import create_app
from gateway.db.engine import create_sessionmaker
from gateway.wiring import Gateway
from tests.api.test_committees_api import token


@pytest.fixture
async def organiser_headers(gateway: Gateway) -> dict[str, str]:
    return await token(gateway, "organiser")


@pytest.fixture
def api_schema(gateway: Gateway) -> schemathesis.schemas.BaseSchema:
    # The test client runs the app on its own event loop; pooled connections must not outlive a call.
    engine = create_async_engine(gateway.settings.database_url, poolclass=NullPool)
    fuzz_gateway = Gateway(
        **{**gateway.__dict__, "db_engine": engine, "sessionmaker": create_sessionmaker(engine)}
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(gateway.settings, fuzz_gateway))


def test_no_server_errors(
    api_schema: schemathesis.schemas.BaseSchema, organiser_headers: dict[str, str]
) -> None:
    # schemathesis' own pytest plugin does not run on pytest 9 yet; its strategies are driven here.
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=organiser_headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )

        run()
        checked.append(operation.label)
    assert len(checked) >= 15
