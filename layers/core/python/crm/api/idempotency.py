"""`Idempotency-Key` on creating requests: a retry with the same key gets the first answer.

A mobile client that times out and retries must not create a second complaint, case or attempt.
With the header, the first answer (status, body, and its `ETag` and `Location`) is kept by Powertools
Idempotency in the `idempotency` table, keyed by caller (user, role and branch), route and key; a
replay within the expiry (a rules table) returns it unchanged, and the same key with a different
body is refused (422 naming `Idempotency-Key`).
Errors are not kept: a request refused once may be sent again, corrected, under the same key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

from crm import rules
from crm.api.etag import kept_headers
from crm.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=200,
        description="Optional: a retry with the same key returns the first answer and creates nothing",
    ),
]


@cache
def config() -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[caller, route, key]",
        payload_validation_jmespath="request",
        # rules/requests.toml: longer than any client's retries, shorter than a second intent
        expires_after_seconds=rules.requests().idempotency.expires_after_s,
    )


def once(
    app: APIGatewayRestResolver,
    key: str | None,
    request: Any,
    produce: Callable[[], Response[Any]],
    serialize: Callable[[Any], str],
) -> Response[Any]:
    """`produce()` the answer, or, for a key seen before on this route by this caller, the answer
    it produced then."""
    if not key:
        return produce()
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from crm.data.idempotency import persistence

    settings = config()
    settings.register_lambda_context(app.lambda_context)

    @idempotent_function(data_keyword_argument="submission", config=settings, persistence_store=persistence())
    def answer(submission: dict[str, Any]) -> dict[str, Any]:
        response = produce()
        return {
            "status": response.status_code,
            "body": json.loads(serialize(response.body)),
            "headers": kept_headers(response.headers),
        }

    event = app.current_event
    identity = app.context["grant"].identity
    submission = {
        # The caller as a whole: the same user name under another role or branch is another caller,
        # who must not be handed an answer shaped (masked or not) for the first (API.md «Rules»).
        "caller": [identity.user_id, identity.role.value, identity.branch_id],
        "route": f"{event.http_method} {event.path}",
        "key": key,
        "request": json.loads(serialize(request)),
    }
    try:
        kept = answer(submission=submission)
    except IdempotencyValidationError:
        raise InvalidInput(f"this {HEADER} was used with a different request", field=HEADER) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(f"a request with this {HEADER} is in progress", field=HEADER) from None
    return Response(
        status_code=int(kept["status"]),
        content_type=content_types.APPLICATION_JSON,
        body=kept["body"],
        headers=kept.get("headers") or {},  # answers kept before headers were: none
    )
