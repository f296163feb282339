"""The local HTTP front: what API Gateway does for the deployed stack, on loopback.

It matches the request against the topology's routes, verifies the bearer token as the
Cognito authorizer would, builds an API Gateway REST proxy event (resource, path parameters,
`requestContext.authorizer.claims`, request time) and invokes the real handler. It also
serves the committed OpenAPI document with Swagger UI, and the local-only endpoints that
`crm token` and `crm trigger` call.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from crm import errors, topology
from crm.domain.cors import OriginPolicy, origin_of
from crm.local.invoke import ACCOUNT, Invoker
from crm.local.tokens import TokenIssuer
from crm.observability import logger
from crm.topology import Function, Route

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
STAGE = "local"
SWAGGER_ASSETS = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    function: Function
    pattern: re.Pattern[str]


def _compile(route: Route, function: Function) -> _CompiledRoute:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
    return _CompiledRoute(route=route, function=function, pattern=re.compile(f"^{regex}$"))


class RouteTable:
    """Matches as API Gateway does: a literal path segment wins over a parameter
    (`/clients/at-risk` before `/clients/{client_id}`)."""

    def __init__(self) -> None:
        compiled = [_compile(route, fn) for route, fn in topology.routes()]
        self._routes = sorted(compiled, key=lambda c: [part.startswith("{") for part in c.route.path.split("/")])

    def match(self, method: str, path: str) -> tuple[_CompiledRoute, dict[str, str]] | None:
        resource = self.resource(path)
        for compiled in self._routes:
            found = compiled.pattern.match(path)
            if found and compiled.route.method == method and compiled.route.path == resource:
                return compiled, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def resource(self, path: str) -> str | None:
        """The API resource a path falls under, whatever the method (the most literal one)."""
        return next((c.route.path for c in self._routes if c.pattern.match(path)), None)

    def methods(self, resource: str) -> list[str]:
        """The methods a resource answers (its `Allow`), OPTIONS included."""
        return sorted({c.route.method for c in self._routes if c.route.path == resource} | {"OPTIONS"})


def proxy_event(
    *,
    compiled: _CompiledRoute,
    path: str,
    path_parameters: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
    claims: dict[str, str],
    source_ip: str,
    now_ms: int,
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the deployed RestApi sends it."""
    multi_query = parse_qs(query, keep_blank_values=True)
    text: str | None
    encoded = False
    try:
        text = body.decode("utf-8") if body else None
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": compiled.route.path,
        "path": path,
        "httpMethod": compiled.route.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "resourcePath": compiled.route.path,
            "httpMethod": compiled.route.method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "requestTimeEpoch": now_ms,
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent")},
            "authorizer": {"claims": claims},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _error(
    status: HTTPStatus, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> GatewayResponse:
    body = json.dumps({"error": {"code": code, "message": message, "field": field}}).encode()
    return GatewayResponse(status.value, {"Content-Type": "application/json", **(headers or {})}, body)


class LocalClock:
    """The request time the local API Gateway reports: the wall clock, or a chosen time that
    runs on from when it was set (`crm clock`), so deadlines can be tried out on any date."""

    def __init__(self) -> None:
        self._offset_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self._offset_ms

    def set(self, at_ms: int | None) -> None:
        self._offset_ms = 0 if at_ms is None else at_ms - int(time.time() * 1000)

    def offset_ms(self) -> int:
        """How far the chosen time is from the wall clock (0: none chosen)."""
        return self._offset_ms


class Gateway:
    """What the deployed RestApi does in front of the functions: route, authorise, invoke.

    As the stack's API answers them, without reaching a function: a preflight (OPTIONS) of a known
    path with the CORS headers of an allowed origin, and no authentication; an unknown path 404, a
    known path with another method 405 with `Allow`, a missing or invalid token 401 — each with the
    CORS headers of an allowed origin (crm.domain.cors), so a browser can read why.
    """

    def __init__(
        self,
        invoker: Invoker,
        issuer: TokenIssuer,
        clock: LocalClock | None = None,
        origins: OriginPolicy | None = None,
    ) -> None:
        self.invoker = invoker
        self.issuer = issuer
        self.routes = RouteTable()
        self.clock = clock or LocalClock()
        self.origins = origins or OriginPolicy.parse(topology.LOCAL_ALLOWED_ORIGINS)

    def handle(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
        now_ms: int | None = None,
    ) -> GatewayResponse:
        headers = headers or {}
        cors = self.origins.headers(origin_of(headers))
        resource = self.routes.resource(path)
        if resource is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", f"no route {method} {path}", headers=cors)
        if method == "OPTIONS":  # a preflight: answered here, before any authentication
            return GatewayResponse(
                HTTPStatus.NO_CONTENT.value,
                self.origins.preflight(origin_of(headers), self.routes.methods(resource)),
                b"",
            )
        if self.routes.match(method, path) is None:
            allowed = ", ".join(self.routes.methods(resource))
            return _error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"{path} answers {allowed}, not {method}",
                headers={"Allow": allowed, **cors},
            )
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        try:
            claims = self.issuer.verify(authorization)
        except errors.Unauthenticated as exc:
            return _error(HTTPStatus.UNAUTHORIZED, exc.code, exc.message, headers=cors)
        return self.handle_as(
            claims, method, path, query=query, headers=headers, body=body, source_ip=source_ip, now_ms=now_ms
        )

    def handle_as(
        self,
        claims: dict[str, str],
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
        now_ms: int | None = None,
    ) -> GatewayResponse:
        """The request as the authorizer passes it on with `claims` (verified already, or the
        local system's own identity: `crm.local.staff_register`)."""
        headers = headers or {}
        matched = self.routes.match(method, path)
        if matched is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", f"no route {method} {path}")
        cors = self.origins.headers(origin_of(headers))
        compiled, parameters = matched
        event = proxy_event(
            compiled=compiled,
            path=path,
            path_parameters=parameters,
            query=query,
            headers=headers,
            body=body,
            claims=claims,
            source_ip=source_ip,
            now_ms=now_ms if now_ms is not None else self.clock.now_ms(),
        )
        try:
            response = self.invoker.invoke(compiled.function, event)
        except Exception:  # API Gateway answers 502 when the integration fails
            logger.exception("handler failed", function=compiled.function.name)
            return _error(HTTPStatus.BAD_GATEWAY, "internal", "the function failed; see the local log", headers=cors)
        out_headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        raw = response.get("body") or ""
        payload = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode("utf-8")
        return GatewayResponse(int(response.get("statusCode", 200)), out_headers, payload)


class LocalFront(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: a front-end's burst of parallel requests (a page opening a dozen lists)
    # must not overflow it, or the kernel drops connections that the client retries a second later.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        gateway: Gateway,
        local_endpoints: dict[str, Callable[[dict[str, Any]], Any]],
    ) -> None:
        super().__init__(address, _Handler)
        self.host = address[0]
        self.gateway = gateway
        self.local_endpoints = local_endpoints

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: LocalFront
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK held every response back ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the handlers log structured lines; an access log line per request is noise here

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def __getattr__(self, name: str) -> Any:
        # API Gateway answers any other method too (404: no such route), never 501
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _send(self, response: GatewayResponse) -> None:
        self.send_response(response.status)
        sent = {k.lower() for k in response.headers}
        for key, value in response.headers.items():
            self.send_header(key, value)
        if "content-type" not in sent:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            cors = self.server.gateway.origins.headers(origin_of(dict(self.headers.items())))
            self._send(
                _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large", "the body exceeds 10 MB", headers=cors)
            )
            return
        body = self.rfile.read(length) if length else b""
        if url.path.startswith(("/_local/", "/swagger")) or url.path == "/openapi.json":
            self._send(self._serve_local(url.path, body))
            return
        self._send(
            self.server.gateway.handle(
                self.command,
                url.path,
                query=url.query,
                headers=dict(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
        )

    def _serve_local(self, path: str, body: bytes) -> GatewayResponse:
        if path == "/openapi.json":  # a front-end generates its client from it, from its own origin
            cors = self.server.gateway.origins.headers(origin_of(dict(self.headers.items())))
            return GatewayResponse(200, {"Content-Type": "application/json", **cors}, openapi_document().encode())
        if path == "/swagger":
            return GatewayResponse(200, {"Content-Type": "text/html; charset=utf-8"}, swagger_page().encode())
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/swagger/") and name in SWAGGER_ASSETS:
            kind = "application/javascript" if name.endswith(".js") else "text/css"
            return GatewayResponse(200, {"Content-Type": kind}, swagger_asset(name))
        endpoint = self.server.local_endpoints.get(path.removeprefix("/_local/"))
        if endpoint is None:
            return _error(HTTPStatus.NOT_FOUND, "not_found", f"no local endpoint {path}")
        try:
            request = json.loads(body) if body else {}
            if not isinstance(request, dict):
                raise errors.MalformedRequest("the body must be a JSON object", field="body")
            result = endpoint(request)
        except json.JSONDecodeError:
            return _error(HTTPStatus.BAD_REQUEST, "malformed_request", "the body is not valid JSON", "body")
        except errors.CrmError as exc:
            status = HTTPStatus.NOT_FOUND if isinstance(exc, errors.NotFound) else HTTPStatus.BAD_REQUEST
            return _error(status, exc.code, exc.message, exc.field)
        body_out = json.dumps(result, ensure_ascii=False, default=str).encode()
        return GatewayResponse(200, {"Content-Type": "application/json"}, body_out)


def openapi_document() -> str:
    return resources.files("crm.api").joinpath("openapi.json").read_text(encoding="utf-8")


def swagger_asset(name: str) -> bytes:
    return resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui").joinpath(name).read_bytes()


def swagger_page() -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    return generate_swagger_html(
        openapi_document(),
        "/swagger/swagger-ui-bundle.min.js",
        "/swagger/swagger-ui.min.css",
        "/swagger",
        None,
        persist_authorization=True,
    )
