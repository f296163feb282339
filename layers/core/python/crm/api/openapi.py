"""The OpenAPI document of the whole API, generated from the handlers' own route definitions.

Each API function's resolver describes its routes; Powertools' OpenAPIMerge joins them into
one document. The result is committed as `crm/api/openapi.json` (served by the local front)
and a test fails when the committed file and the code drift apart (`make openapi` rewrites it).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from crm import topology

TITLE = "Brokerage client-service API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Client classification, suitability, contacts, complaints and callbacks of a securities "
    "brokerage (某某证券客户服务管理制度). Every route needs `Authorization: Bearer <token>`; "
    'errors are `{"error": {"code", "message", "field"}}`; times are ISO 8601 on the '
    "Beijing clock (+08:00); money is CNY as a JSON number."
)
COMMITTED = Path(__file__).with_name("openapi.json")


def build_document() -> dict[str, Any]:
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
        on_conflict="error",
    )
    for function in topology.FUNCTIONS:
        if function.routes:
            app = importlib.import_module(function.module).app
            merge.add_schema(app.get_openapi_schema())
    return json.loads(merge.get_openapi_json_schema())


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
