"""The OpenAPI document of the whole API, generated from the handlers' own route definitions.

Each API function's resolver describes its routes (each with its operation id, set on its
decorator); Powertools' OpenAPIMerge joins them into one document, whose enums are then given
names a generated client can use (`ENUM_NAMES`). The result is committed as
`crm/api/openapi.json` (served by the local front) and a test fails when the committed file and
the code drift apart (`make openapi` rewrites it).
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
DESCRIPTION = """\
Client classification, suitability, contacts, complaints and callbacks of a securities brokerage \
(某某证券客户服务管理制度). Every route needs `Authorization: Bearer <token>`. Times are ISO 8601 \
on the Beijing clock (+08:00); money is CNY as a JSON number.

**Errors.** Every error is `{"error": {"code", "message", "field"}}`. `code` is stable (`ErrorCode`): \
branch on it, never on `message`. A 422 lists every invalid field in `error.details` (`field` is the \
first). A body that is not `application/json` is 415. API Gateway answers some itself: a known path \
with another method is 405 with `Allow`, a throttled request 429, a failed or slow function 5xx. \
Retry those later (after `Retry-After` when given); retry a change only with its `Idempotency-Key` \
or `If-Match`, so that it is not made twice.

**Paging.** A list takes `limit` and `cursor` and answers `next_cursor` (null on the last page). \
A cursor is opaque and signed: pass it back unchanged; an edited one is 400 naming `cursor`. An \
unknown query parameter is 400 naming it; `status` takes several values separated by commas.

**Concurrency.** An answer that returns a single mutable resource carries its `ETag`, the version \
of the stored record (every caller's view of that version shares it). Send it back as `If-Match` \
with a change to that resource (its `PUT`, or a `POST` that changes it): when the resource has \
changed since, the answer is 412 `precondition_failed` and nothing is changed. `If-Match` takes \
`*` or a list of tags, compared strongly (a weak `W/` tag never matches). Without `If-Match` a \
change is accepted.

**Idempotency.** A creating `POST` takes an optional `Idempotency-Key`: a retry with the same key \
and body replays the first answer (headers included) and creates nothing; another body under the \
key is 422 naming `Idempotency-Key`. Keys are scoped by the caller (user, role and branch). A \
`201` of a resource with a URL of its own carries `Location`, relative to the request's URL.

**CORS.** Browsers on the deployment's allowed origins may call every route; `ETag`, `Location` and \
`Retry-After` are exposed to them.
"""
COMMITTED = Path(__file__).with_name("openapi.json")
SCHEMA_REF = "#/components/schemas/"

# Enums named after their domain classes where the class name alone says too little in a document
# of the whole API (a complaint's `Status` beside a callback's): class → name in the document.
ENUM_NAMES = {
    "Kind": "CallbackKind",
    "TaskStatus": "CallbackStatus",
    "Status": "ComplaintStatus",
    "Category": "ComplaintCategory",
    "Channel": "ComplaintChannel",
    "Validity": "ComplaintValidity",
    "CaseKind": "RetentionCaseKind",
    "CaseStatus": "RetentionCaseStatus",
    "Outcome": "RetentionOutcome",
    "Reason": "RetentionReason",
    "Source": "ProspectSource",
    "Scope": "FigureScope",
    "EntryKind": "WorkLogEntryKind",
    "ClockKind": "DeadlineKind",
    "DetailCode": "ErrorDetailCode",
    "ClassCause": "ClassChangeCause",
}


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
    return named_enums(json.loads(merge.get_openapi_json_schema()))


def named_enums(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each enum of `ENUM_NAMES` under its name there: its component, its title
    and every reference to it."""
    schemas = document["components"]["schemas"]
    for old, new in ENUM_NAMES.items():
        if old not in schemas or "enum" not in schemas[old] or new in schemas:
            raise ValueError(f"ENUM_NAMES: {old} is no enum of the document, or {new} is taken")
        schemas[new] = {**schemas.pop(old), "title": new}
    renamed = {SCHEMA_REF + old: SCHEMA_REF + new for old, new in ENUM_NAMES.items()}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: renamed.get(value, value) if key == "$ref" else rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return dict(rewrite(document))


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
