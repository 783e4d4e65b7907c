"""`/docs`: Swagger UI over the app's OpenAPI schema, loaded from files the package ships.

FastAPI's own `/docs` fetches Swagger UI from a CDN, so offline (a border town's connection, or
none) the page stayed blank; the same files are vendored under static/swagger/ (its README says
from where) and served by the app at `/static/swagger/`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
# The whole static/ folder is mounted here, so the console's own assets can sit beside Swagger's.
STATIC_PATH = "/static"
SWAGGER_PATH = f"{STATIC_PATH}/swagger"
OPENAPI_PATH = "/openapi.json"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    # Behind a proxy that strips a prefix, every address the page loads carries it back.
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}{OPENAPI_PATH}",
        title="Border feedback gateway: API",
        swagger_js_url=f"{root}{SWAGGER_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{SWAGGER_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{SWAGGER_PATH}/favicon-32x32.png",
        # No validator badge: it would send the schema to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)
