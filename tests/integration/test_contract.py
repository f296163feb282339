"""The public contract cannot drift: the committed OpenAPI document is what the code generates,
and the routes of the OpenAPI document, the topology (what API Gateway serves) and the access
table (who may call what) are one and the same set."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

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


def test_no_two_body_models_share_a_name() -> None:
    """The OpenAPI document names each schema after its model class: two of one name would merge into
    one schema, and a response would be checked against the other's."""
    import importlib
    import inspect
    import pkgutil

    from pydantic import BaseModel

    import crm.api
    from crm import topology

    modules = [importlib.import_module(m.name) for m in pkgutil.iter_modules(crm.api.__path__, "crm.api.")]
    modules += [importlib.import_module(fn.module) for fn in topology.FUNCTIONS if fn.routes]
    seen: dict[str, str] = {}
    for module in modules:
        for name, model in inspect.getmembers(module, inspect.isclass):
            if issubclass(model, BaseModel) and model.__module__ == module.__name__:
                assert seen.setdefault(name, module.__name__) == module.__name__, (
                    f"{name}: {seen[name]} and {module.__name__}"
                )


# What a generated client relies on: each operation named, each enum a named type, every status an
# answer can have and the headers it carries declared. Read from the committed document, which the
# first test holds to the code.

DOCUMENT = json.loads(COMMITTED.read_text(encoding="utf-8"))
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
}
CAMEL_CASE = re.compile(r"[a-z]+(?:[A-Z][a-z]+)+")


def headers_of(operation: dict[str, Any], status: str) -> set[str]:
    return set(operation["responses"][status].get("headers", {}))


def success_of(operation: dict[str, Any]) -> str:
    return next(status for status in operation["responses"] if status.startswith("2"))


def takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "header" and p["name"].lower() == "if-match" for p in operation.get("parameters", []))


def test_every_operation_has_a_unique_camel_case_id() -> None:
    ids = {route: operation.get("operationId", "") for route, operation in OPERATIONS.items()}
    assert [route for route, found in ids.items() if not CAMEL_CASE.fullmatch(found)] == []
    assert len(set(ids.values())) == len(ids), sorted(ids.values())
    assert ids["GET /clients/{client_id}"] == "getClient"
    assert ids["GET /clients"] == "listClients"
    assert ids["POST /clients/lookup"] == "lookupClients"


def test_every_enum_is_a_named_component_with_a_name_of_its_own() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    enums = {name for name, schema in schemas.items() if "enum" in schema}

    def inline(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            if "enum" in node:
                yield where
            for key, value in node.items():
                yield from inline(value, f"{where}/{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from inline(value, f"{where}/{n}")

    found = [w for name, schema in schemas.items() if name not in enums for w in inline(schema, name)]
    assert found + list(inline(DOCUMENT["paths"], "paths")) == []
    assert {"ClientClass", "RiskLevel", "Role", "ErrorCode", "CallbackKind", "CallbackStatus"} <= enums
    assert {"ComplaintStatus", "ComplaintCategory", "ComplaintChannel", "ContactChannel"} <= enums
    assert enums.isdisjoint({"Kind", "Status", "Channel", "Category", "Outcome", "Reason", "Source", "Scope"})
    assert all(schemas[name]["title"] == name for name in enums)


def test_every_route_declares_what_the_edge_and_the_gateway_can_answer() -> None:
    for route, operation in OPERATIONS.items():
        assert {"400", "401", "403", "413", "415", "422", "429", "500", "502", "503", "504"} <= set(
            operation["responses"]
        ), route
        assert headers_of(operation, "429") == headers_of(operation, "503") == {"Retry-After"}, route


def test_every_route_with_a_body_documents_415() -> None:
    with_body = [route for route, operation in OPERATIONS.items() if "requestBody" in operation]
    assert with_body
    assert [route for route in with_body if "415" not in OPERATIONS[route]["responses"]] == []


def test_a_change_that_takes_if_match_documents_412_and_the_etag_of_its_resource() -> None:
    changes = [route for route, operation in OPERATIONS.items() if takes_if_match(operation)]
    assert len(changes) >= 16, changes
    for route in changes:
        operation = OPERATIONS[route]
        assert "412" in operation["responses"], route
        assert "ETag" in headers_of(operation, success_of(operation)), route
        path = route.split(" ", 1)[1]
        read = OPERATIONS.get(f"GET {path}") or OPERATIONS.get(f"GET {path.rsplit('/', 1)[0]}")
        if read is not None:  # the resource's GET gives the ETag to send
            assert "ETag" in headers_of(read, "200"), route
    assert [route for route, operation in OPERATIONS.items() if "412" in operation["responses"]] == changes


def test_a_created_resource_with_a_url_of_its_own_documents_its_location_and_etag() -> None:
    for route, operation in OPERATIONS.items():
        if "201" not in operation["responses"]:
            continue
        path = route.split(" ", 1)[1]
        member = [p for p in DOCUMENT["paths"] if p.startswith(f"{path}/{{") and p.count("/") == path.count("/") + 1]
        has_url = any("get" in DOCUMENT["paths"][p] for p in member)
        assert ("Location" in headers_of(operation, "201")) == has_url, route
        if has_url:
            assert "ETag" in headers_of(operation, "201"), route
