"""API robustness: schemathesis drives `crm local` from the committed OpenAPI document with
thousands of generated requests — valid and invalid — and finds no server error, no response
outside the documented status codes and no body that breaks its schema."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import LocalSystem, free_port, start, stop

OPENAPI = "layers/core/python/crm/api/openapi.json"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
MINIMUM_REQUESTS = 2000


@pytest.fixture(scope="module")
def target() -> Iterator[LocalSystem]:
    """A system of its own: fuzzing fills it with odd data the other tests should not meet. Its
    thousands of events are not logged in full (the other systems' logs are, and checked for
    personal data): redacting every line would slow the tests running beside it."""
    system = start(free_port(), log_events=False)
    yield system
    stop(system)


def fuzz(target: LocalSystem, who: tuple[str, str, str | None], *, examples: int, paths: str | None = None) -> int:
    """Run schemathesis as one caller; returns how many test cases passed (fails on any failure)."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        OPENAPI,
        "--url",
        target.base_url,
        "-H",
        f"Authorization: Bearer {target.token(*who)}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(examples),
        "--seed",
        "20261128",
        "--request-timeout",
        "30",
    ]
    if paths:
        command += ["--include-path-regex", paths]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    summary = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert run.returncode == 0, run.stdout[-6000:]
    assert summary, run.stdout[-6000:]
    generated, passed = int(summary[1]), int(summary[2])
    assert passed == generated, run.stdout[-6000:]
    return passed


def test_thousands_of_generated_requests_find_no_server_error_and_no_schema_violation(target: LocalSystem) -> None:
    requests = fuzz(target, ("supervisor", "fuzz-sup", "B1"), examples=8)
    requests += fuzz(target, ("hq", "fuzz-hq", None), examples=20, paths="^/(calendar|settings|callbacks/samples)")
    requests += fuzz(target, ("compliance", "fuzz-cmp", None), examples=20, paths="^/audit")
    assert requests >= MINIMUM_REQUESTS
