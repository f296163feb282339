"""The queue pump behaves as Lambda's SQS event source mapping with batch item failures: the
event's shape, deletion of what succeeded, a failed message (or a whole failed batch) left on the
queue, the local backoff standing in for the visibility timeout, and the redrive to the dead-letter
queue after `max_receive_count` receives; and the harness drains the queues with the streams.

The topology's queue consumers are tested through their own suites; here a probe function stands
in for them, a Powertools BatchProcessor handler as theirs are, on a queue of its own made in moto
the way `crm.local.provision` makes the topology's."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import time
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsModel

from crm import topology
from crm.local import provision
from crm.local.invoke import Invoker
from crm.local.queues import QueuePump, failed_messages
from crm.topology import Queue, QueueSource
from tests.integration.harness import Harness

PROBE_QUEUE = Queue(name="queue-probe", purpose="the queue pump's tests", visibility_timeout_s=30, max_receive_count=3)
PROBE = topology.Function(
    name="queue_probe",
    description="Queue: the queue pump's test consumer",
    queues=(QueueSource(PROBE_QUEUE, batch_size=3, max_concurrency=2),),
    timeout_s=5,
)


class Probe:
    """The probe function: a record whose body starts with "fail" fails; "send:<body>" sends <body>
    to the probe queue; with `crash`, the whole invocation raises before any record is looked at."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self.sqs, self.queue_url = sqs, queue_url
        self.events: list[dict[str, Any]] = []
        self.done: list[str] = []
        self.crash = False

    def lambda_handler(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(copy.deepcopy(event))
        if self.crash:
            raise RuntimeError("the function crashed")
        processor = BatchProcessor(event_type=EventType.SQS)
        return process_partial_response(event=event, record_handler=self.record, processor=processor, context=context)

    def record(self, record: SQSRecord) -> None:
        if record.body.startswith("fail"):
            raise ValueError(f"cannot process {record.body}")
        if record.body.startswith("send:"):
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=record.body.removeprefix("send:"))
        self.done.append(record.body)


class ProbeInvoker(Invoker):
    """Runs the probe in place of a handler module of functions/."""

    def __init__(self, probe: Probe) -> None:
        super().__init__()
        self.probe = probe

    def load(self, function: topology.Function) -> ModuleType:
        module = ModuleType("queue_probe")
        module.lambda_handler = self.probe.lambda_handler  # type: ignore[attr-defined]
        return module


@pytest.fixture
def probe_queue(aws: dict[str, Any]) -> provision.WorkQueue:
    return provision.create_work_queues(aws["sqs"], (PROBE_QUEUE,))[PROBE_QUEUE.name]


@pytest.fixture
def probe(aws: dict[str, Any], probe_queue: provision.WorkQueue) -> Probe:
    return Probe(aws["sqs"], probe_queue.url)


def make_pump(
    aws: dict[str, Any], queue: provision.WorkQueue, probe: Probe, *, backoff_s: int = 0, sqs: Any = None
) -> QueuePump:
    return QueuePump(
        PROBE, PROBE.queues[0], sqs=sqs or aws["sqs"], queue=queue, invoker=ProbeInvoker(probe), backoff_s=backoff_s
    )


def send(aws: dict[str, Any], queue: provision.WorkQueue, *bodies: str) -> None:
    for body in bodies:
        aws["sqs"].send_message(QueueUrl=queue.url, MessageBody=body)


def bodies_left(aws: dict[str, Any], url: str) -> list[str]:
    """The bodies on a queue, visible or not (moto's own view: receiving would change them)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_queue(url.rsplit("/", 1)[-1])
    return sorted(message.body for message in queue._messages)


def test_the_topology_queues_are_made_with_their_dead_letter_queues_and_redrive(aws: dict[str, Any]) -> None:
    made = provision.create_work_queues(aws["sqs"])
    assert provision.create_work_queues(aws["sqs"]) == made  # made once, then reused
    assert set(made) == {queue.name for queue in topology.QUEUES}
    for queue in topology.QUEUES:
        work = made[queue.name]
        attributes = aws["sqs"].get_queue_attributes(QueueUrl=work.url, AttributeNames=["All"])["Attributes"]
        dead = aws["sqs"].get_queue_attributes(QueueUrl=work.dead_letter_url, AttributeNames=["All"])["Attributes"]
        assert work.url.endswith(f"/{queue.local_name}")
        assert work.dead_letter_url.endswith(f"/{queue.dead_letter_name}")
        assert attributes["QueueArn"] == work.arn
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout_s
        assert int(attributes["MessageRetentionPeriod"]) == queue.retention_s
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": dead["QueueArn"],
            "maxReceiveCount": queue.max_receive_count,
        }
        assert int(dead["MessageRetentionPeriod"]) == provision.DEAD_LETTER_RETENTION_S
        # what a sending function is given locally names the queue, which it finds by name
        assert aws["sqs"].get_queue_url(QueueName=queue.local_name)["QueueUrl"] == work.url


def test_the_harness_has_a_pump_per_queue_source(harness: Harness) -> None:
    expected = {f"{fn.name}:{source.queue.name}" for fn in topology.FUNCTIONS for source in fn.queues}
    assert set(harness.queue_pumps) == expected
    for pump in harness.queue_pumps.values():
        assert pump.backoff_s == 0
        assert pump.queue.url == harness.work_queues[pump.source.queue.name].url
    harness.drain()  # nothing waiting: returns at once


def test_the_event_is_lambdas_sqs_event(aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe) -> None:
    aws["sqs"].send_message(
        QueueUrl=probe_queue.url,
        MessageBody='{"import_id": "I1", "chunk": 3}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "metrics"},
            "rows": {"DataType": "Number", "StringValue": "500"},
            "digest": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    send(aws, probe_queue, "plain")
    pump = make_pump(aws, probe_queue, probe)

    assert pump.poll_once()

    (event,) = probe.events
    parsed = SqsModel.model_validate(event)  # Powertools' parser model of Lambda's SQS event
    assert len(parsed.Records) == 2
    records = {record["body"]: record for record in event["Records"]}
    record, plain = records['{"import_id": "I1", "chunk": 3}'], records["plain"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert "md5OfMessageAttributes" not in plain
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == probe_queue.arn == f"arn:aws:sqs:us-east-1:123456789012:{PROBE_QUEUE.local_name}"
    assert record["awsRegion"] == "us-east-1"
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()  # noqa: S324 - SQS's digest
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "metrics", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "rows": {"stringValue": "500", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "digest": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    # Powertools' data class reads it as a handler would
    first = next(r for r in SQSEvent(event).records if r.message_id == record["messageId"])
    assert first.json_body == {"import_id": "I1", "chunk": 3}
    assert first.attributes.approximate_receive_count == "1"
    kind = first.message_attributes["kind"]
    assert kind is not None
    assert kind.string_value == "metrics"
    assert first.queue_url.endswith(f"/{PROBE_QUEUE.local_name}")


def test_a_batch_that_succeeds_is_deleted(aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe) -> None:
    send(aws, probe_queue, "a", "b", "c", "d")
    pump = make_pump(aws, probe_queue, probe)

    assert pump.poll_once()  # a batch of three (the source's batch size)
    assert pump.poll_once()
    assert not pump.poll_once()

    assert [len(event["Records"]) for event in probe.events] == [3, 1]
    assert sorted(probe.done) == ["a", "b", "c", "d"]
    assert bodies_left(aws, probe_queue.url) == []
    stats = pump.stats.as_dict()
    assert stats | {"recent_errors": []} == {
        "received": 4,
        "deleted": 4,
        "failed": 0,
        "dead_lettered": 0,
        "invocations": 2,
        "recent_errors": [],
    }
    assert pump.depth() == {"waiting": 0, "in_flight": 0, "dead_letters": 0}


def test_a_partial_failure_leaves_exactly_the_failed_message(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    send(aws, probe_queue, "ok-1", "fail-1", "ok-2")
    pump = make_pump(aws, probe_queue, probe)

    assert pump.poll_once()

    assert bodies_left(aws, probe_queue.url) == ["fail-1"]
    assert (pump.stats.deleted, pump.stats.failed) == (2, 1)
    assert pump.poll_once()  # the failed message alone comes back, received a second time
    (record,) = probe.events[-1]["Records"]
    assert (record["body"], record["attributes"]["ApproximateReceiveCount"]) == ("fail-1", "2")


def test_a_function_that_raises_leaves_the_whole_batch(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    send(aws, probe_queue, "ok-1", "ok-2", "ok-3")
    pump = make_pump(aws, probe_queue, probe)
    probe.crash = True

    assert pump.poll_once()

    assert bodies_left(aws, probe_queue.url) == ["ok-1", "ok-2", "ok-3"]
    assert (pump.stats.deleted, pump.stats.failed, pump.stats.invocations) == (0, 3, 1)
    assert pump.stats.errors == ["RuntimeError: the function crashed"]
    probe.crash = False
    assert pump.poll_once()  # all back at once (backoff 0, as in the harness), now processed
    assert sorted(probe.done) == ["ok-1", "ok-2", "ok-3"]
    assert bodies_left(aws, probe_queue.url) == []


def test_after_max_receive_count_receives_the_message_is_on_the_dead_letter_queue(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    send(aws, probe_queue, "fail-poison", "ok")
    pump = make_pump(aws, probe_queue, probe)

    polls = 0
    while pump.poll_once():
        polls += 1

    assert polls == PROBE_QUEUE.max_receive_count  # the first with "ok", then the poison alone
    assert probe.done == ["ok"]
    assert bodies_left(aws, probe_queue.url) == []
    assert bodies_left(aws, probe_queue.dead_letter_url) == ["fail-poison"]
    assert (pump.stats.failed, pump.stats.dead_lettered) == (PROBE_QUEUE.max_receive_count, 1)
    assert pump.depth() == {"waiting": 0, "in_flight": 0, "dead_letters": 1}


class RecordingSqs:
    """The SQS client, with the visibility timeouts the pump gives failed messages written down."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.visibility: list[tuple[str, int]] = []

    def change_message_visibility(self, **arguments: Any) -> Any:
        self.visibility.append((arguments["ReceiptHandle"], arguments["VisibilityTimeout"]))
        return self._sqs.change_message_visibility(**arguments)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


def test_locally_a_failed_message_comes_back_after_a_growing_backoff_then_goes_to_the_dead_letter_queue(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    send(aws, probe_queue, "fail-again")
    recording = RecordingSqs(aws["sqs"])
    pump = make_pump(aws, probe_queue, probe, backoff_s=1, sqs=recording)

    for _ in range(PROBE_QUEUE.max_receive_count):
        assert pump.poll_once()
        assert not pump.poll_once() or recording.visibility[-1][1] == 0  # hidden for its backoff
        if recording.visibility[-1][1]:  # the test waits the backoff out, without sleeping
            aws["sqs"].change_message_visibility(
                QueueUrl=probe_queue.url, ReceiptHandle=recording.visibility[-1][0], VisibilityTimeout=0
            )

    # 1 s after the first receive, 2 s after the second; after the last allowed one at once, so
    # that the next receive moves it to the dead-letter queue
    assert [seconds for _, seconds in recording.visibility] == [1, 2, 0]
    assert not pump.poll_once()
    assert bodies_left(aws, probe_queue.dead_letter_url) == ["fail-again"]


def test_a_batch_larger_than_one_receive_is_gathered(aws: dict[str, Any], probe_queue: provision.WorkQueue) -> None:
    big = topology.Function(
        name="queue_probe", description="Queue: a big batch", queues=(QueueSource(PROBE_QUEUE, batch_size=25),)
    )
    probe = Probe(aws["sqs"], probe_queue.url)
    send(aws, probe_queue, *(f"m{n:02d}" for n in range(23)))
    pump = QueuePump(big, big.queues[0], sqs=aws["sqs"], queue=probe_queue, invoker=ProbeInvoker(probe), backoff_s=0)

    assert pump.poll_once()

    assert len(probe.events[0]["Records"]) == 23
    assert pump.stats.deleted == 23


def test_the_batch_response_is_read_by_lambdas_rules() -> None:
    ids = ["m1", "m2", "m3"]
    assert failed_messages(None, ids) == (set(), None)
    assert failed_messages({}, ids) == (set(), None)
    assert failed_messages({"batchItemFailures": []}, ids) == (set(), None)
    assert failed_messages({"batchItemFailures": None}, ids) == (set(), None)
    assert failed_messages({"batchItemFailures": [{"itemIdentifier": "m2"}]}, ids) == ({"m2"}, None)
    for wrong in ({"itemIdentifier": ""}, {"itemIdentifier": None}, {"id": "m2"}, {"itemIdentifier": "m9"}):
        failed, problem = failed_messages({"batchItemFailures": [{"itemIdentifier": "m1"}, wrong]}, ids)
        assert failed == set(ids), wrong
        assert problem
    assert failed_messages("done", ids)[0] == set(ids)


def test_the_pump_requires_its_functions_source_and_queue(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    other = QueueSource(topology.IMPORT_ROWS)
    with pytest.raises(ValueError, match="no queue source"):
        QueuePump(PROBE, other, sqs=aws["sqs"], queue=probe_queue, invoker=ProbeInvoker(probe))
    rows = provision.create_work_queues(aws["sqs"], (topology.IMPORT_ROWS,))[topology.IMPORT_ROWS.name]
    with pytest.raises(ValueError, match="is not the queue"):
        QueuePump(PROBE, PROBE.queues[0], sqs=aws["sqs"], queue=rows, invoker=ProbeInvoker(probe))


def test_the_pump_thread_delivers_and_stops(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    pump = make_pump(aws, probe_queue, probe)
    pump.start()
    try:
        send(aws, probe_queue, "threaded")
        deadline = time.monotonic() + 5
        while pump.stats.deleted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        mark = time.monotonic()
        while pump.quiet_from < mark and time.monotonic() < deadline:  # a quiet poll after it
            time.sleep(0.01)
    finally:
        pump.request_stop()
        pump.join(timeout=5)
    assert probe.done == ["threaded"]
    assert pump.quiet_from >= mark
    assert not any(thread.name == f"queue-{pump.name}" for thread in threading.enumerate())


def test_the_harness_drains_queue_work_that_feeds_more_queue_work_and_dead_letters_the_poison(
    harness: Harness, aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    harness.queue_pumps["queue_probe:queue-probe"] = make_pump(aws, probe_queue, probe)
    harness.work_queues[PROBE_QUEUE.name] = probe_queue
    harness.send(PROBE_QUEUE, "send:send:send:last")
    harness.send(PROBE_QUEUE, "fail-poison")

    harness.drain()

    assert sorted(probe.done) == ["last", "send:last", "send:send:last", "send:send:send:last"]
    assert [m["Body"] for m in harness.dead_letters(PROBE_QUEUE)] == ["fail-poison"]
    assert bodies_left(aws, probe_queue.url) == []


def test_a_message_whose_worker_was_killed_comes_back_when_its_timeout_runs_out(
    harness: Harness, aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    class Killed(BaseException):
        """The container died under the function: the pump is gone with it."""

    killing = ProbeInvoker(probe)

    def killed(function: topology.Function, event: dict[str, Any]) -> Any:
        raise Killed

    killing.invoke = killed  # type: ignore[method-assign]
    pump = QueuePump(PROBE, PROBE.queues[0], sqs=aws["sqs"], queue=probe_queue, invoker=killing, backoff_s=0)
    harness.queue_pumps["queue_probe:queue-probe"] = make_pump(aws, probe_queue, probe)
    harness.work_queues[PROBE_QUEUE.name] = probe_queue
    harness.send(PROBE_QUEUE, "resumed")
    with pytest.raises(Killed):
        pump.poll_once()

    harness.drain()  # in flight: nothing to receive yet
    assert probe.done == []
    assert harness.time_out_in_flight() == 1
    harness.drain()

    assert probe.done == ["resumed"]
    (record,) = probe.events[-1]["Records"]
    assert record["attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.parametrize("queue", topology.QUEUES, ids=lambda queue: queue.name)
def test_a_message_the_real_consumer_cannot_read_ends_on_its_dead_letter_queue(harness: Harness, queue: Queue) -> None:
    harness.send(queue, "not a message of an import")

    harness.drain()

    (pump,) = (pump for pump in harness.queue_pumps.values() if pump.source.queue == queue)
    assert [m["Body"] for m in harness.dead_letters(queue)] == ["not a message of an import"]
    assert (pump.stats.invocations, pump.stats.dead_lettered) == (queue.max_receive_count, 1)
    # the handler ran and failed its one record (Powertools then fails the invocation)
    assert all(error.startswith("BatchProcessingError: All records failed") for error in pump.stats.errors)
    assert pump.depth() == {"waiting": 0, "in_flight": 0, "dead_letters": 1}


def test_a_message_is_sent_at_crm_clocks_time(
    aws: dict[str, Any], probe_queue: provision.WorkQueue, probe: Probe
) -> None:
    """The workers take a message's SentTimestamp as the business time; `crm clock` moves it as it
    moves the API's request time, so an import run after `crm clock` is dated by it."""
    send(aws, probe_queue, "dated")
    a_year_ms = 365 * 24 * 3600 * 1000
    pump = QueuePump(
        PROBE,
        PROBE.queues[0],
        sqs=aws["sqs"],
        queue=probe_queue,
        invoker=ProbeInvoker(probe),
        backoff_s=0,
        clock_offset_ms=lambda: -a_year_ms,
    )
    before_ms = int(time.time() * 1000)
    assert pump.poll_once()
    (record,) = probe.events[0]["Records"]
    sent = int(record["attributes"]["SentTimestamp"])
    assert before_ms - a_year_ms - 60_000 < sent <= before_ms - a_year_ms
