"""Browsers on the allowed origins may call every route (API.md «Rules»: CORS), through the local
gateway and the real handlers: the preflight without authentication, every answer — the gateway's
own errors and the handlers' — with the origin it came from, another origin with none."""

from __future__ import annotations

import pytest

from crm import topology
from crm.domain.cors import OriginPolicy
from crm.local.front import Gateway
from tests.integration.harness import Harness, new_client

LOCAL_PAGE = "http://localhost:5173"
OTHER = "https://evil.example.com"


def preflight(gateway: Gateway, path: str, origin: str, method: str = "POST") -> tuple[int, dict[str, str]]:
    answer = gateway.handle(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type,if-match",
        },
    )
    return answer.status, answer.headers


@pytest.mark.parametrize("route", sorted({route.path for route, _ in topology.routes()}))
def test_every_resource_answers_a_preflight_without_a_token(harness: Harness, route: str) -> None:
    path = route.replace("{", "").replace("}", "")  # any value of each parameter
    status, headers = preflight(harness.gateway, path, LOCAL_PAGE)
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == LOCAL_PAGE
    methods = {m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")}
    assert {r.method for r, _ in topology.routes() if r.path == route} | {"OPTIONS"} == methods
    assert {"Authorization", "Content-Type", "If-Match", "Idempotency-Key"} <= set(
        headers["Access-Control-Allow-Headers"].split(",")
    )
    status, headers = preflight(harness.gateway, path, OTHER)
    assert status == 204
    assert "Access-Control-Allow-Origin" not in headers


def test_answers_carry_the_origin_they_came_from_and_expose_the_headers_a_page_reads(harness: Harness) -> None:
    created = harness.call("POST", "/clients", new_client(), headers={"Origin": LOCAL_PAGE})
    assert created.status == 201
    assert created.headers["Access-Control-Allow-Origin"] == LOCAL_PAGE
    assert set(created.headers["Access-Control-Expose-Headers"].split(",")) >= {"ETag", "Location", "Retry-After"}
    assert "Origin" in created.headers["Vary"]
    for status, answer in (
        (404, harness.call("GET", "/clients/NONE", headers={"Origin": LOCAL_PAGE})),  # the handler's error
        (422, harness.call("POST", "/clients", {"client_id": "x"}, headers={"Origin": LOCAL_PAGE})),
        (
            415,
            harness.call("POST", "/clients", new_client(), headers={"Origin": LOCAL_PAGE, "Content-Type": "text/json"}),
        ),
        (401, harness.gateway.handle("GET", "/clients", headers={"Origin": LOCAL_PAGE})),  # the gateway's
        (404, harness.gateway.handle("GET", "/nowhere", headers={"Origin": LOCAL_PAGE})),
    ):
        assert answer.status == status, answer.body
        assert answer.headers.get("Access-Control-Allow-Origin") == LOCAL_PAGE, (status, answer.headers)
    for answer in (
        harness.call("GET", "/clients/C001", headers={"Origin": OTHER}),
        harness.gateway.handle("GET", "/clients", headers={"Origin": OTHER}),
    ):
        assert "Access-Control-Allow-Origin" not in answer.headers
        assert "Access-Control-Expose-Headers" not in answer.headers


def test_a_known_path_with_another_method_is_405_with_allow(harness: Harness) -> None:
    answer = harness.gateway.handle("DELETE", "/clients/C001", headers={"Origin": LOCAL_PAGE})
    assert answer.status == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == {"GET", "OPTIONS"}
    assert answer.headers["Access-Control-Allow-Origin"] == LOCAL_PAGE
    assert harness.gateway.handle("PATCH", "/clients").headers["Allow"] == "GET, OPTIONS, POST"


def test_configured_origins_replace_this_machines(harness: Harness) -> None:
    configured = OriginPolicy(("https://crm.example.com",))
    gateway = Gateway(harness.gateway.invoker, harness.issuer, origins=configured)
    assert preflight(gateway, "/clients", "https://crm.example.com")[1]["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in preflight(gateway, "/clients", LOCAL_PAGE)[1]
