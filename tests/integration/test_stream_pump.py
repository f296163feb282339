"""The stream pump behaves as Lambda's event source mapping: partial batch failures, bounded
retries, bisection, and the on-failure queue, without holding back the rest of the shard."""

from __future__ import annotations

from typing import Any

from crm import topology
from crm.local.invoke import Invoker
from crm.local.pump import StreamPump
from tests.integration.harness import Harness, new_client, stream_arn


def seed_clients(harness: Harness, *client_ids: str) -> None:
    for client_id in client_ids:
        assert harness.call("POST", "/clients", new_client(client_id)).status == 201
        body = b'{"assets": 6000000, "avg_assets": 1000000, "trade_volume": 4000000}'
        assert harness.call("PUT", f"/clients/{client_id}/metrics/2025", raw=body).status == 200


def poison_metrics(harness: Harness, client_id: str) -> None:
    """A metrics item the API would never accept, written behind its back: the handler fails on it."""
    harness.clients["dynamodb"].put_item(
        TableName=topology.CLIENTS.local_name,
        Item={
            "pk": {"S": f"CLIENT#{client_id}"},
            "sk": {"S": "METRICS#2025"},
            "client_id": {"S": client_id},
            "year": {"N": "2025"},
            "assets": {"N": "-5"},
            "avg_assets": {"N": "1"},
            "trade_volume": {"N": "1"},
            "updated_at": {"S": "2026-03-02T09:00:00.000+08:00"},
            "updated_by": {"S": "someone"},
        },
    )


def class_of(harness: Harness, client_id: str) -> str | None:
    return harness.call("GET", f"/clients/{client_id}").json()["client_class"]


def test_a_poison_record_goes_to_the_failure_queue_and_the_rest_is_processed(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("BAD")).status == 201
    seed_clients(harness, "OK1")
    poison_metrics(harness, "BAD")
    seed_clients(harness, "OK2")

    harness.drain()

    pump = harness.pumps["reclassify:clients"]
    source = topology.function("reclassify").streams[0]
    assert pump.stats.dead_lettered == 1
    assert pump.stats.delivered == 2
    assert (class_of(harness, "OK1"), class_of(harness, "OK2"), class_of(harness, "BAD")) == ("A+", "A+", None)
    messages = harness.failure_messages("reclassify")
    assert len(messages) == 1
    info = messages[0]["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert messages[0]["requestContext"]["approximateInvokeCount"] == source.retry_attempts + 1


class CrashingOnce(Invoker):
    """The function crashes on its first invocation (after doing nothing), then recovers."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def invoke(self, function: topology.Function, event: dict[str, Any]) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("Lambda runtime crashed")
        return super().invoke(function, event)


def test_a_crashed_batch_is_retried_and_applied_once(harness: Harness) -> None:
    seed_clients(harness, "R1", "R2", "R3")
    invoker = CrashingOnce()
    pump = StreamPump(
        topology.function("reclassify"),
        topology.function("reclassify").streams[0],
        streams=harness.clients["dynamodbstreams"],
        sqs=harness.clients["sqs"],
        stream_arn=stream_arn(harness.clients["dynamodb"], topology.CLIENTS),
        failure_queue_url=harness.queues["reclassify"],
        invoker=invoker,
    )
    while pump.poll_once():
        pass
    assert invoker.calls > 1
    assert pump.stats.retries >= 1
    assert pump.stats.dead_lettered == 0
    for client_id in ("R1", "R2", "R3"):
        assert class_of(harness, client_id) == "A+"
        assert len(harness.call("GET", f"/clients/{client_id}/class-history").json()["items"]) == 1
