"""Fixtures of the integration suite: moto in-process, the harness, a registered client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from tests.integration.harness import Harness, build_harness, new_client, provisioned_clients


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield provisioned_clients()


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
