"""`Idempotency-Key` through `crm local` (issue 12): every creating POST of the OpenAPI document,
retried over HTTP with its key, gets its first answer; the key with another body is 422 naming
`Idempotency-Key`. The records the paths name are made over HTTP the way the integration suite
makes them (tests/integration/test_hostile_input.make_world), on a system of this module's own;
that suite also checks that a replay stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import LocalSystem, free_port, start, stop
from tests.integration.harness import ROSTER
from tests.integration.test_hostile_input import AT, caller_for, concrete, make_world
from tests.integration.test_idempotency import BODIES, CREATING, altered

SUPERVISOR = ("supervisor", "sup-1", "B1")


@pytest.fixture(scope="module")
def system() -> Iterator[LocalSystem]:
    system = start(free_port(), log_events=False)
    yield system
    stop(system)


def at_clock(system: LocalSystem, moment: str) -> None:
    reply = system.request("POST", "/_local/clock", {"at": moment}, as_=None)
    assert reply.status == 200, reply.body


@pytest.fixture(scope="module")
def values(system: LocalSystem) -> dict[str, str]:
    def ok(method: str, path: str, body: Any, at: str = AT, as_: Any = SUPERVISOR) -> Any:
        at_clock(system, at)
        reply = system.request(method, path, body, as_=as_)
        assert 200 <= reply.status < 300, (method, path, reply.status, reply.body)
        return reply.body

    def run_callbacks_job(at: str) -> None:
        reply = system.request("POST", "/_local/trigger", {"job": "callbacks", "at": at}, as_=None)
        assert reply.status == 200, reply.body

    for staff_id, role, branch in ROSTER:  # the branch's staff, on the register as `crm token` puts them
        system.token(role, staff_id, branch)
    made = make_world(ok, run_callbacks_job)
    at_clock(system, AT)
    return made


def test_every_creating_post_replays_its_first_answer_through_crm_local(
    system: LocalSystem, values: dict[str, str]
) -> None:
    problems = []
    for number, route in enumerate(CREATING):
        path = concrete(route, values)
        key = {"Idempotency-Key": f"e2e-retry-{number}"}
        caller = caller_for(route)
        first = system.request("POST", path, BODIES[route], as_=caller, headers=key)
        if not 200 <= first.status < 300:
            problems.append(f"{route}: the first request got {first.status} {first.body!r}")
            continue
        replay = system.request("POST", path, BODIES[route], as_=caller, headers=key)
        if (replay.status, replay.body) != (first.status, first.body):
            problems.append(f"{route}: the replay answered {replay.status} {replay.body!r}")
        other = system.request("POST", path, altered(route, BODIES[route]), as_=caller, headers=key)
        field = other.body.get("error", {}).get("field") if isinstance(other.body, dict) else None
        if (other.status, field) != (422, "Idempotency-Key"):
            problems.append(f"{route}: another body under the key got {other.status} {other.body!r}")
    assert len(CREATING) >= 10
    assert not problems, "\n".join(problems)
