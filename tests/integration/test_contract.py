"""The public contract cannot drift: the committed OpenAPI document is what the code generates,
and the routes of the OpenAPI document, the topology (what API Gateway serves) and the access
table (who may call what) are one and the same set."""

from __future__ import annotations

from crm import rules, topology
from crm.api.openapi import COMMITTED, build_document, render


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(build_document()), "run `make openapi` and commit"


def test_openapi_topology_and_access_table_list_the_same_routes() -> None:
    document = build_document()
    documented = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    served = {route.key for route, _ in topology.routes()}
    governed = set(rules.access().routes)
    assert documented == served
    assert governed == served


def test_every_operation_requires_the_bearer_token() -> None:
    document = build_document()
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "401" in operation["responses"], f"{method} {path}"
