"""The resolver every API function uses: validation, identity and access, one error shape.

Request flow: the authorizer's claims become an `Identity`; the access table turns identity ×
route into a `Grant` (or 401/403) before any validation or business code runs; Powertools
validates the request against the route's pydantic models; domain errors map to the error
body of API.md. Before Powertools sees it, the request is held to the limits of
`rules/requests.toml` (crm.domain.request_limits): its parameters, and its body, parsed once with
those limits and Decimal floats so money never passes through float. Hostile input (1e309, a
5,000-digit integer, 5,000 levels of nesting, duplicate keys, a lone surrogate, NUL or a bidi
override) gets 400/413/422 naming the field, never a 500.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from crm import config, errors, rules
from crm.api.models import ErrorBody
from crm.api.problems import field_of, field_problem
from crm.domain.access import Grant, Identity
from crm.domain.cors import ALLOW_HEADERS, EXPOSE_HEADERS, OriginPolicy, origin_of
from crm.domain.request_limits import parse_body, screen_parameters
from crm.domain.time import from_epoch_ms
from crm.observability import logger

ClientId = Annotated[str, Path(min_length=1, max_length=64, description="The client's account number")]
"""The `{client_id}` of every route under /clients/{client_id}."""

STATUS: dict[type[errors.CrmError], HTTPStatus] = {
    errors.MalformedRequest: HTTPStatus.BAD_REQUEST,
    errors.Unauthenticated: HTTPStatus.UNAUTHORIZED,
    errors.Forbidden: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    errors.Conflict: HTTPStatus.CONFLICT,
    errors.InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    errors.PreconditionFailed: HTTPStatus.PRECONDITION_FAILED,
    errors.Unavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


def status_of(exc: errors.CrmError) -> HTTPStatus:
    """The HTTP status of an error: its class's, or its nearest ancestor's (a file problem of an
    import is an `InvalidInput`: 422)."""
    return next((STATUS[kind] for kind in type(exc).__mro__ if kind in STATUS), HTTPStatus.BAD_REQUEST)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def error_body(exc: errors.CrmError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "field": exc.field}
    if isinstance(exc, errors.InvalidInput):  # a 422 names every invalid field (API.md «Rules»)
        problems = exc.details or (errors.FieldProblem(exc.field or "body", errors.DetailCode.INVALID, exc.message),)
        body["details"] = [{"field": p.field, "code": p.code.value, "message": p.message} for p in problems]
    return {"error": body}


# A service the request needs did not answer: the caller may try again shortly (API.md, 503).
RETRY_AFTER_UNAVAILABLE_S = 5


def error_response(exc: errors.CrmError) -> Response:
    status = status_of(exc)
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(exc),
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)} if status is HTTPStatus.SERVICE_UNAVAILABLE else None,
    )


def _validation_error(exc: RequestValidationError) -> errors.CrmError:
    """Every problem Powertools/pydantic found (a 422 lists each invalid field in `details`; its
    `field` and `message` are the first's), or the body that could not be read at all (400)."""
    problems = exc.errors() or [{"loc": (), "msg": "invalid request", "type": ""}]
    first = problems[0]
    kind = first.get("type", "")
    if kind == "json_invalid":
        return errors.MalformedRequest("the body is not valid JSON", field="body")
    if kind in ("model_attributes_type", "dict_type") and field_of(tuple(first.get("loc", ()))) is None:
        return errors.MalformedRequest("the body must be a JSON object", field="body")
    details = tuple(dict.fromkeys(field_problem(found) for found in problems))
    return errors.InvalidInput(details[0].message, field=details[0].field, details=details)


JSON_MEDIA_TYPE = "application/json"


def _media_type(event: Mapping[str, Any]) -> str:
    """The body's media type, lower case and without parameters (`Application/JSON; charset=utf-8`)."""
    for name, value in (event.get("headers") or {}).items():
        if str(name).lower() == "content-type":
            return str(value).split(";", 1)[0].strip().lower()
    return ""


def _plain_json_headers(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type as Powertools reads it (lower case, `application/json…`):
    it compares case-sensitively and would refuse `application/JSON` that HTTP allows."""
    headers = {str(k): v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"}
    headers["content-type"] = JSON_MEDIA_TYPE
    multi = {str(k): v for k, v in (event.get("multiValueHeaders") or {}).items() if str(k).lower() != "content-type"}
    multi["content-type"] = [JSON_MEDIA_TYPE]
    return {**event, "headers": headers, "multiValueHeaders": multi}


def authorize(event: Mapping[str, Any]) -> Grant:
    """Identity × route → grant, before validation or business code sees the request.

    Also refuses a body that is not `application/json` (any case, with parameters: 415; a
    form-encoded body from `curl -d` would otherwise be read as a half-empty form), oversized
    ones, and path or query parameters beyond the limits of `rules/requests.toml`.
    """
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    identity = Identity.from_claims(claims)
    grant = rules.access().grant(identity, f"{event.get('httpMethod')} {event.get('resource')}")
    limits = rules.requests().limits
    body = str(event.get("body") or "")
    if event.get("isBase64Encoded"):  # measured again once decoded (body_text)
        too_large = len(body) > 4 * (limits.max_body_bytes // 3 + 1)
    else:  # in UTF-8 bytes, as it travelled; a character takes at most four
        too_large = (
            len(body) * 4 > limits.max_body_bytes and len(body.encode("utf-8", "surrogatepass")) > limits.max_body_bytes
        )
    if too_large:
        raise errors.PayloadTooLarge(f"the body exceeds {limits.max_body_bytes // 1024} KiB", field="body")
    if event.get("body"):
        media_type = _media_type(event)
        if media_type != JSON_MEDIA_TYPE:
            raise errors.UnsupportedMediaType(
                f"send the body as JSON with Content-Type: {JSON_MEDIA_TYPE} (not {media_type or 'none'})",
                field="Content-Type",
            )
    screen_parameters(event, limits)
    logger.append_keys(user=identity.user_id, role=identity.role.value, branch=identity.branch_id)
    return grant


def body_text(event: Mapping[str, Any]) -> str | None:
    """The body as text (decoded when API Gateway base64-encoded it), or None without one."""
    body = event.get("body")
    if not body:
        return None
    if not event.get("isBase64Encoded"):
        return str(body)
    try:
        raw = base64.b64decode(body, validate=True)
    except ValueError:
        raise errors.MalformedRequest("the body is not valid base64", field="body") from None
    if len(raw) > rules.requests().limits.max_body_bytes:
        raise errors.PayloadTooLarge(
            f"the body exceeds {rules.requests().limits.max_body_bytes // 1024} KiB", field="body"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.MalformedRequest("the body is not UTF-8 text", field="body") from None


class OriginCors(CORSConfig):
    """Powertools' CORS, held to the function's allowed origins (crm.domain.cors): the exact origins
    of the deployment, or any port of this machine locally. Set per request from the running
    function's settings, read once at its cold start."""

    def __init__(self) -> None:
        super().__init__(allow_origin="", allow_headers=list(ALLOW_HEADERS), expose_headers=list(EXPOSE_HEADERS))
        self.policy = OriginPolicy(())

    def allowed_origin(self, extracted_origin: str) -> str | None:
        return extracted_origin if self.policy.allows(extracted_origin) else None

    def to_dict(self, origin: str | None) -> dict[str, str]:
        return self.policy.headers(origin)


@cache
def _policy(allowed: str) -> OriginPolicy:
    return OriginPolicy.parse(allowed)


class CrmResolver(APIGatewayRestResolver):
    """A REST resolver that authorises the caller, then holds the request to the limits of
    `rules/requests.toml`, before Powertools validates it. The body is parsed once, there, and
    Powertools is handed that parse. Every answer to an allowed origin carries its CORS headers."""

    def __init__(self, *, deferred: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.origin_cors = OriginCors()
        self._known_queries: dict[tuple[str, str], frozenset[str] | None] = {}
        super().__init__(json_body_deserializer=self._json_body, cors=self.origin_cors, **kwargs)
        self._parsed: tuple[str, Any] | None = None
        self.deferred = deferred  # modules imported at the first request needing them (`create_app`)

    def known_query(self, method: str, resource: str) -> frozenset[str] | None:
        """The query parameters the route declares (None: no such route here, Powertools says 404)."""
        key = (method, resource)
        if key not in self._known_queries:
            route = next(
                (r for r in self._static_routes + self._dynamic_routes if (r.method, r.openapi_path) == key), None
            )
            self._known_queries[key] = (
                None if route is None else frozenset(field.alias for field in route.dependant.query_params)
            )
        return self._known_queries[key]

    def _refuse_unknown_query(self, event: Mapping[str, Any]) -> None:
        """A query parameter the route does not take is a mistake, not a filter silently ignored
        (`?id_number=` on a listing that has none would list everyone): 400 naming it."""
        known = self.known_query(str(event.get("httpMethod")), str(event.get("resource")))
        given = {**(event.get("queryStringParameters") or {}), **(event.get("multiValueQueryStringParameters") or {})}
        unknown = sorted(set(given) - known) if known is not None else []
        if unknown:
            listed = ", ".join(sorted(known or ())) or "none"
            raise errors.MalformedRequest(
                f"{unknown[0]} is not a query parameter of this route (it takes: {listed})", field=unknown[0]
            )

    def _json_body(self, text: str) -> Any:
        if self._parsed is not None and self._parsed[0] == text:
            return self._parsed[1]
        return parse_body(text, rules.requests().limits)

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.origin_cors.policy = _policy(config.active().allowed_origins)
        try:
            caller = authorize(event)
            self._refuse_unknown_query(event)
            text = body_text(event)
            self._parsed = None if text is None else (text, parse_body(text, rules.requests().limits))
        except errors.CrmError as exc:
            origin = origin_of(event.get("headers"))
            return {
                "statusCode": status_of(exc).value,
                "headers": {"Content-Type": content_types.APPLICATION_JSON, **self.origin_cors.policy.headers(origin)},
                "body": to_json(error_body(exc)),
                "isBase64Encoded": False,
            }
        self.append_context(grant=caller)
        if text is not None:
            event = _plain_json_headers(dict(event))
        try:
            return super().resolve(event, context)
        finally:
            self._parsed = None


def create_app(*, deferred: tuple[str, ...] = ()) -> CrmResolver:
    """The function's resolver. `deferred`: modules its code imports at the first request that
    needs them (kept out of the cold start), which SnapStart's hook imports before the snapshot."""
    from crm import snapstart  # in Lambda: warm this app before SnapStart's snapshot, reseed after

    app = CrmResolver(deferred=deferred, enable_validation=True, serializer=to_json)
    snapstart.prepare(app)

    @app.exception_handler(errors.CrmError)
    def _domain_error(exc: errors.CrmError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        return error_response(_validation_error(exc))

    @app.not_found
    def _no_route(_: NotFoundError) -> Response:
        return error_response(errors.NotFound("no such route"))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unexpected error")
        return Response(
            status_code=HTTPStatus.INTERNAL_SERVER_ERROR.value,
            content_type=content_types.APPLICATION_JSON,
            body={
                "error": {
                    "code": "internal",
                    "message": "an unexpected error; it has been logged",
                    "field": None,
                }
            },
        )

    return app


def grant(app: APIGatewayRestResolver) -> Grant:
    """The caller's grant for the current route, set by the access middleware."""
    return app.context["grant"]


def request_time(app: APIGatewayRestResolver) -> datetime:
    """'Now' for this request: API Gateway's receipt time on the Beijing clock."""
    return from_epoch_ms(app.current_event.request_context.request_time_epoch)


def request_id(app: APIGatewayRestResolver) -> str:
    return app.current_event.request_context.request_id


# What any route may answer, whatever it does: the edge's refusals (`authorize`: a body too large or
# not JSON, parameters beyond the limits), the gateway's throttling and 5xx, an unexpected error.
ANY_ROUTE_ERRORS = (400, 401, 403, 413, 415, 422, 429, 500, 502, 503, 504)
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: the request cannot be read (`malformed_request`), or API Gateway refused it",
    401: "Unauthorized: no valid bearer token",
    403: "Forbidden: the caller's role or scope does not cover this request",
    409: "Conflict: the request contradicts the current state, or the resource changed meanwhile",
    412: "Precondition Failed: `If-Match` names a version the resource has moved on from; nothing changed",
    413: "Payload Too Large",
    415: "Unsupported Media Type: a body that is not `application/json`",
    422: "Unprocessable Content: `error.details` lists every invalid field",
    429: "Too Many Requests: throttled by API Gateway; retry later",
    500: "Internal Server Error: an unexpected error, logged",
    502: "Bad Gateway: API Gateway could not use the function's answer",
    503: "Service Unavailable: a service the request needs did not answer; nothing changed, retry later",
    504: "Gateway Timeout: the function did not answer in time; the change may or may not have been made",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "When present: the seconds (or HTTP date) to wait before retrying",
        "schema": {"type": "string"},
    }
}
ETAG_HEADER = {
    "ETag": {
        "description": "The resource's version (a strong entity tag): send it as `If-Match` to change it safely",
        "schema": {"type": "string"},
    }
}
LOCATION_HEADER = {
    "Location": {
        "description": "The new resource's URL, relative to the request's (`clients/C001` for `POST /clients`)",
        "schema": {"type": "string"},
    }
}


def documented(
    status: int,
    model: Any,
    description: str,
    *error_statuses: int,
    etag: bool = False,
    location: bool = False,
) -> dict[int, Any]:
    """OpenAPI responses of a route: its success body, with the headers it carries (`etag`: the
    resource's `ETag`; `location`: a created resource's `Location`), and the error bodies it can
    return — its own `error_statuses` (412 for a change that takes `If-Match`) and any route's."""
    headers = {**(ETAG_HEADER if etag else {}), **(LOCATION_HEADER if location else {})}
    described: dict[int, Any] = {
        status: {
            "description": description,
            "content": {"application/json": {"model": model}},
            **({"headers": headers} if headers else {}),
        }
    }
    for code in sorted({*ANY_ROUTE_ERRORS, *error_statuses}):
        described[code] = {
            "description": ERROR_DESCRIPTIONS.get(code) or HTTPStatus(code).phrase,
            "content": {"application/json": {"model": ErrorBody}},
            **({"headers": RETRY_AFTER} if code in (429, 503) else {}),
        }
    return described
