"""/docs: Swagger UI from the package's own files, with the bearer scheme that makes Authorize work."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page, expect

from gateway.wiring import Gateway
from tests.api.test_committees_api import token
from tests.web.browser import Traffic, screenshot
from tests.web.conftest import Served

API_PATH = "/api/v1/committees"
HOP_PATH = "/callbacks/africastalking/ussd"


async def test_schema_declares_the_bearer_scheme_on_the_api_only(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearer"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    api = [op for path, _method, op in operations if path.startswith("/api/v1/")]
    assert api, "no API operation in the schema"
    assert all(op.get("security") == [{"bearer": []}] for op in api)
    # Callbacks authenticate with ?token=, health checks with nothing: no Authorize for them.
    others = [
        (path, method) for path, method, op in operations if not path.startswith("/api/") and "security" in op
    ]
    assert others == []
    assert "post" in schema["paths"][HOP_PATH], "the USSD hop (answered by HopRoute) must stay documented"


async def test_docs_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "://" not in page.text, "an absolute address in /docs would load from outside the gateway"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3  # the script, the stylesheet and the icon
    for asset in assets:
        assert asset.startswith("/static/swagger/"), asset
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert served.content
    assert (await client.get("/redoc")).status_code == 404  # ReDoc only ever loaded from a CDN


async def test_authorize_in_swagger_ui_calls_the_api_offline(
    page: Page, traffic: Traffic, live_gateway: Served, gateway: Gateway, screenshots_dir: Path
) -> None:
    organiser = (await token(gateway, "organiser"))["Authorization"].removeprefix("Bearer ")
    await page.goto(live_gateway.url("/docs"))
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Border feedback gateway")
    committees = page.locator(".opblock-get", has=page.locator(f'[data-path="{API_PATH}"]'))
    await expect(committees).to_be_visible()
    await expect(page.locator(f'.opblock-post [data-path="{HOP_PATH}"]')).to_be_visible()
    assert traffic.console_errors == []
    assert traffic.page_errors == []
    await screenshot(page, screenshots_dir, "api-docs")

    await _authorize(page, organiser)
    await committees.locator(".opblock-summary").click()
    await committees.get_by_role("button", name="Try it out").click()
    assert await _execute(page, committees) == (200, f"Bearer {organiser}")
    await expect(committees.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")

    await _authorize(page, "gw_not-a-token", logout_first=True)
    assert await _execute(page, committees) == (401, "Bearer gw_not-a-token")

    assert live_gateway.url("/static/swagger/swagger-ui-bundle.js") in traffic.requests
    assert traffic.off_loopback() == []
    assert traffic.page_errors == []


async def _authorize(page: Page, value: str, *, logout_first: bool = False) -> None:
    await page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    if logout_first:
        await dialog.get_by_role("button", name="Remove authorization").click()
    await dialog.locator('input[aria-label="auth-bearer-value"]').fill(value)
    await dialog.get_by_role("button", name="Apply credentials").click()
    await dialog.get_by_role("button", name="Close").first.click()
    await expect(dialog).to_be_hidden()


async def _execute(page: Page, operation: Locator) -> tuple[int, str | None]:
    """Presses Execute; the status of the call it made, and the Authorization header it sent."""
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith(API_PATH)) as answered:
        await operation.locator("button.execute").click()
    response = await answered.value
    return response.status, await response.request.header_value("authorization")
