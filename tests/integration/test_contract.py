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
