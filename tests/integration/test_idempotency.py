"""`Idempotency-Key` on every creating request (every POST of the OpenAPI document): a retry with
the key gets the first answer and stores nothing more; the key with another body is 422 naming
`Idempotency-Key`; the header is documented on each. Bodies and the world are the hostile-input
corpus's valid ones (tests/integration/test_hostile_input.py), on a world of this module's own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from crm import rules
from tests.integration.test_hostile_input import (
    AT,
    DOCUMENT,
    TEMPLATES,
    World,
    body_schema,
    caller_for,
    concrete,
    kinds,
    stored,
    world,  # noqa: F401  (the fixture: a world of this module's own)
)

# A business is enabled only after its risk disclosure (第49条): that one goes last. A lookup is a
# POST that creates nothing (its key travels in the body, not the URL); an import's start and abort
# carry no body and happen once (a second is 409, changing nothing).
READING_POSTS = frozenset({"POST /clients/lookup"})
ONCE_ONLY = frozenset({"POST /imports/{import_id}/start", "POST /imports/{import_id}/abort"})
CREATING = sorted(
    (
        f"POST {path}"
        for path, operations in DOCUMENT["paths"].items()
        if "post" in operations and f"POST {path}" not in READING_POSTS | ONCE_ONLY
    ),
    key=lambda route: (route.endswith("/businesses"), route),
)
BODIES = TEMPLATES | {
    "POST /clients/{client_id}/risk-disclosures": {
        "business": "margin",
        "document_ref": "RD-2",
        "signed_on": "2026-06-01",
    },
    "POST /prospects": TEMPLATES["POST /prospects"] | {"manager_id": "mgr-1"},
}


def altered(route: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with one free-text value changed, still valid: another request than the first."""
    changed = copy.deepcopy(body)
    properties = body_schema(route).get("properties", {})
    for name, value in body.items():
        schema = kinds(properties.get(name, {}))[0]
        if isinstance(value, str) and not {"enum", "pattern", "format"} & schema.keys():
            changed[name] = value[:-1] + ("乙" if value[-1:] != "乙" else "丙")
            return changed
        if isinstance(value, bool):
            changed[name] = not value
            return changed
        if isinstance(value, int) and not isinstance(value, bool) and value > 1:
            changed[name] = value - 1
            return changed
    for name, value in body.items():  # no free text: another option of an enumerated field
        options = kinds(properties.get(name, {}))[0].get("enum", [])
        if isinstance(value, str) and len(options) > 1:
            changed[name] = next(option for option in options if option != value)
            return changed
    raise AssertionError(f"{route}: no field to change in {body}")


def test_every_creating_post_documents_the_header() -> None:
    assert CREATING
    for route in CREATING:
        method, path = route.split(" ", 1)
        parameters = DOCUMENT["paths"][path][method.lower()].get("parameters", [])
        assert any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters), route


def test_the_keys_are_kept_a_day_by_the_rules_table() -> None:
    from crm.api.idempotency import config

    assert config().expires_after_seconds == rules.requests().idempotency.expires_after_s == 24 * 3600


def test_every_creating_post_replays_its_first_answer(world: World) -> None:  # noqa: F811
    harness = world.harness
    problems = []
    for number, route in enumerate(CREATING):
        path = concrete(route, world.values)
        key = {"Idempotency-Key": f"retry-{number}"}
        caller = caller_for(route)
        first = harness.call("POST", path, BODIES[route], as_=caller, headers=key, at=AT)
        if not 200 <= first.status < 300:
            problems.append(f"{route}: the first request got {first.status} {first.body!r}")
            continue
        harness.drain()
        before = stored()
        replay = harness.call("POST", path, BODIES[route], as_=caller, headers=key, at=AT)
        harness.drain()
        if (replay.status, replay.json()) != (first.status, first.json()):
            problems.append(f"{route}: the replay answered {replay.status} {replay.body!r}")
        if stored() != before:
            problems.append(f"{route}: the replay stored something")
        other = harness.call("POST", path, altered(route, BODIES[route]), as_=caller, headers=key, at=AT)
        error = json.loads(other.body)["error"] if other.status >= 400 else {}
        if (other.status, error.get("field")) != (422, "Idempotency-Key"):
            problems.append(f"{route}: another body under the key got {other.status} {other.body!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", ["POST /contacts", "POST /clients/{client_id}/questionnaires"])
def test_without_the_header_each_request_creates_anew(world: World, route: str) -> None:  # noqa: F811
    path = concrete(route, world.values)
    first = world.harness.call("POST", path, BODIES[route], as_=caller_for(route), at=AT)
    second = world.harness.call("POST", path, BODIES[route], as_=caller_for(route), at=AT)
    assert first.status == second.status == 201
    assert first.json() != second.json()  # two contacts, two assessments: the retry-safe way is the key
