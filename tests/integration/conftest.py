"""Fixtures of the integration suite: moto in-process, the harness, a registered client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from crm import topology
from crm.local import provision
from crm.local.buslog import BusLog
from crm.local.front import Gateway
from crm.local.invoke import Invoker
from crm.local.pump import StreamPump
from crm.local.tokens import TokenIssuer
from tests.integration.harness import Harness, new_client, stream_arn


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        clients = {name: boto3.client(name) for name in ("dynamodb", "dynamodbstreams", "sqs", "events", "s3")}
        provision.create_tables(clients["dynamodb"])
        provision.create_buckets(clients["s3"])
        yield clients


@pytest.fixture
def harness(aws: dict[str, Any]) -> Harness:
    issuer = TokenIssuer(secret=b"integration-tests-secret-32bytes", issuer="https://crm.test")
    invoker = Invoker()
    queues = provision.create_queues(aws["sqs"])
    pumps = {
        f"{fn.name}:{source.table.name}": StreamPump(
            fn,
            source,
            streams=aws["dynamodbstreams"],
            sqs=aws["sqs"],
            stream_arn=stream_arn(aws["dynamodb"], source.table),
            failure_queue_url=queues[fn.name],
            invoker=invoker,
        )
        for fn in topology.FUNCTIONS
        for source in fn.streams
    }
    bus_log = BusLog(aws["sqs"], provision.create_bus(aws["events"], aws["sqs"]))
    return Harness(
        gateway=Gateway(invoker, issuer), issuer=issuer, pumps=pumps, clients=aws, queues=queues, bus_log=bus_log
    )


@pytest.fixture
def client(harness: Harness) -> dict[str, Any]:
    """One registered client of branch B1, managed by mgr-1."""
    body = new_client()
    response = harness.call("POST", "/clients", body)
    assert response.status == 201, response.body
    return body
