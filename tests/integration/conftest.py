"""Fixtures of the integration suite: moto in-process, the harness, a registered client.

moto and the topology's resources are set up once per worker for the whole package and emptied
between tests (items, stream records, queued messages, objects, SMS): creating eight tables with
their indexes for every test cost more than most tests themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.bench import moto_speedups
from tests.integration.harness import (
    Harness,
    build_harness,
    empty_backends,
    new_client,
    provisioned_clients,
)


@pytest.fixture(scope="package")
def moto_resources() -> Iterator[dict[str, Any]]:
    # moto's habits that cost time and change no answer (a transaction deep-copying whole tables
    # to roll back, each page re-sorting the table, responses serialised field by field): the
    # benchmarks' replacements, which tests.bench.moto_speedups holds to the same answers.
    with mock_aws(), moto_speedups.installed():
        yield provisioned_clients()


@pytest.fixture
def aws(moto_resources: dict[str, Any]) -> dict[str, Any]:
    empty_backends()
    return moto_resources


@pytest.fixture
def harness(aws: dict[str, Any]) -> Harness:
    return build_harness(aws)


@pytest.fixture
def client(harness: Harness) -> dict[str, Any]:
    """One registered client of branch B1, managed by mgr-1."""
    body = new_client()
    response = harness.call("POST", "/clients", body)
    assert response.status == 201, response.body
    return body
