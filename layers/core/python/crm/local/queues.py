"""Delivering SQS messages to the real queue consumers the way Lambda's SQS event source mapping does.

For each queue source of the topology (`Function.queues`), a thread receives up to `batch_size`
messages at a time (with every system attribute and message attribute), hands the function the
event Lambda would (`Records` of `aws:sqs` records), and then, as a mapping that reports batch
item failures does:

- deletes the messages that succeeded;
- leaves on the queue the ones named in `batchItemFailures`, or the whole batch when the function
  raised or answered with an identifier that is not one of the batch's (Lambda then takes the
  whole batch as failed); a response without failures is the whole batch's success;
- a message left on the queue comes back once its visibility timeout is over. Locally the pump
  does not wait it out (the import-jobs queue's is 90 minutes): it makes the message visible again
  after `backoff_s` × the times it was received (ChangeMessageVisibility; at most the queue's
  timeout), the local stand-in for the timeout. The integration harness gives `backoff_s=0`: a
  failed message is received again by the next poll;
- the queue's redrive policy does the rest, as in AWS: moto, like SQS, moves a message that was
  received `max_receive_count` times to the dead-letter queue on the next receive instead of
  delivering it again. The pump makes a message that failed its last allowed receive visible at
  once, so that receive comes promptly, and counts it as dead-lettered.

Concurrency: Lambda would run up to `max_concurrency` batches of one queue at once. Locally each
mapping is served by one thread, one batch at a time: the invoker runs one invocation of a function
at a time (one warm container; Powertools keeps per-request state on module-level objects), so a
pool would only hold more messages invisible while they waited for that lock, each receive counting
towards their redrive. Mappings of different functions run side by side, like the stream pumps.

Polls are short (WaitTimeSeconds 0), backing off to one a second when the queue is idle, as the
stream pumps do: SQS's shortest long poll (1 s) would hold `crm trigger`'s settling and `crm local`'s
stop by a second for each quiet poll.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm.local.invoke import Invoker
from crm.local.poller import Poller
from crm.local.provision import WorkQueue
from crm.observability import logger
from crm.topology import Function, QueueSource

LOCAL_BACKOFF_S = 1  # a failed message is back after this × the times it was received (locally)
RECEIVE_LIMIT = 10  # the most messages one ReceiveMessage returns
RECEIVE_ARGUMENTS = {"MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}
ERRORS_KEPT = 50


@dataclass
class QueueStats:
    received: int = 0  # messages handed to the function (a message received again counts again)
    deleted: int = 0  # messages the function processed, deleted from the queue
    failed: int = 0  # messages a batch left on the queue (named in batchItemFailures, or all)
    dead_lettered: int = 0  # failed messages on their last allowed receive: the redrive takes them
    invocations: int = 0
    errors: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        """Keep an error's first line (Powertools puts the records' tracebacks in its message)."""
        first = (text.splitlines() or [""])[0]
        self.errors.append(first[:300])
        del self.errors[:-ERRORS_KEPT]

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "deleted": self.deleted,
            "failed": self.failed,
            "dead_lettered": self.dead_lettered,
            "invocations": self.invocations,
            "recent_errors": self.errors[-5:],
        }


def message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS API message attribute (`StringValue`, `BinaryValue` as bytes…) as Lambda's event
    gives it (`stringValue`, `binaryValue` in base64, the list fields always there)."""
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    shaped["stringListValues"] = list(value.get("StringListValues", []))
    shaped["binaryListValues"] = [base64.b64encode(v).decode("ascii") for v in value.get("BinaryListValues", [])]
    shaped["dataType"] = value["DataType"]
    return shaped


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One received message (ReceiveMessage's shape) as a record of Lambda's SQS event."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = queue_arn.split(":")[3]
    return record


def failed_messages(response: Any, message_ids: list[str]) -> tuple[set[str], str | None]:
    """The ids of the messages a batch response leaves on the queue, by Lambda's rules, and why the
    whole batch failed if the response made it fail: none for no response, no `batchItemFailures`
    or an empty list; all of them when an item has no identifier, an empty one or one that is not a
    message of the batch (or the response is not an object)."""
    if response is None:
        return set(), None
    everything = set(message_ids)
    if not isinstance(response, dict):
        return everything, f"the response is not a batch response: {str(response)[:200]}"
    failures = response.get("batchItemFailures")
    if not failures:
        return set(), None
    if not isinstance(failures, list):
        return everything, f"batchItemFailures is not a list: {str(failures)[:200]}"
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            return everything, f"a batch item failure names no message of the batch: {str(failure)[:200]}"
        failed.add(identifier)
    return failed, None


class QueuePump(Poller):
    """One SQS event source mapping: a queue feeding one function."""

    def __init__(
        self,
        function: Function,
        source: QueueSource,
        *,
        sqs: Any,
        queue: WorkQueue,
        invoker: Invoker,
        backoff_s: int = LOCAL_BACKOFF_S,
        clock_offset_ms: Callable[[], int] = lambda: 0,
    ) -> None:
        if source not in function.queues:
            raise ValueError(f"{function.name} has no queue source on {source.queue.name}")
        if queue.queue != source.queue:
            raise ValueError(f"{queue.queue.name} is not the queue of {function.name}'s source {source.queue.name}")
        super().__init__(function, f"{function.name}:{source.queue.name}", kind="queue")
        self.source = source
        self.queue = queue
        self.backoff_s = backoff_s
        self._sqs = sqs
        self._invoker = invoker
        self._clock_offset_ms = clock_offset_ms
        self.stats = QueueStats()

    def _poll_failed(self, exc: Exception) -> None:
        self.stats.error(repr(exc))

    def poll_once(self) -> bool:
        """One receive, invocation and deletion; True when messages arrived (succeeded or not)."""
        messages = self._receive()
        if not messages:
            return False
        self.stats.received += len(messages)
        failed = self._invoke(messages)
        done = [message for message in messages if message["MessageId"] not in failed]
        self._delete(done)
        for message in messages:
            if message["MessageId"] in failed:
                self._release(message)
        return True

    def _receive(self) -> list[dict[str, Any]]:
        """Up to `batch_size` messages (several receives beyond SQS's ten per call)."""
        messages: list[dict[str, Any]] = []
        while len(messages) < self.source.batch_size:
            wanted = min(RECEIVE_LIMIT, self.source.batch_size - len(messages))
            got = self._sqs.receive_message(
                QueueUrl=self.queue.url, MaxNumberOfMessages=wanted, WaitTimeSeconds=0, **RECEIVE_ARGUMENTS
            ).get("Messages", [])
            messages += got
            if len(got) < wanted:
                break
        return messages

    def _invoke(self, messages: list[dict[str, Any]]) -> set[str]:
        """The ids of the messages that failed."""
        self.stats.invocations += 1
        ids = [message["MessageId"] for message in messages]
        records = [lambda_record(message, self.queue.arn) for message in messages]
        offset = self._clock_offset_ms()
        for record in records:  # the workers take a message's time as the business time: `crm clock`'s
            sent = record["attributes"].get("SentTimestamp")
            if sent is not None:
                record["attributes"]["SentTimestamp"] = str(int(sent) + offset)
        event = {"Records": records}
        try:
            response = self._invoker.invoke(self.function, event)
        except Exception as exc:  # the function failed: every message of the batch comes back
            self.stats.error(f"{type(exc).__name__}: {exc}")
            return set(ids)
        failed, problem = failed_messages(response, ids)
        if problem:  # as Lambda: the whole batch failed
            self.stats.error(problem)
        return failed

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), RECEIVE_LIMIT):
            chunk = messages[start : start + RECEIVE_LIMIT]
            result = self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)],
            )
            self.stats.deleted += len(result.get("Successful", []))
            for failure in result.get("Failed", []):
                self.stats.error(f"delete failed: {failure.get('Code')}: {failure.get('Message')}")

    def _release(self, message: dict[str, Any]) -> None:
        """Leave a failed message on the queue, to come back after the local backoff (or, on its
        last allowed receive, at once: the next receive moves it to the dead-letter queue)."""
        self.stats.failed += 1
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if receives >= self.source.queue.max_receive_count:
            self.stats.dead_lettered += 1
            delay = 0
            logger.error(
                "queue message failed its last allowed receive: to the dead-letter queue",
                function=self.function.name,
                queue=self.source.queue.name,
                message_id=message["MessageId"],
            )
        else:
            delay = min(self.backoff_s * receives, self.source.queue.visibility_timeout_s)
        self._sqs.change_message_visibility(
            QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
        )

    def depth(self) -> dict[str, int]:
        """How many messages wait on the queue, are in flight (or backing off), and wait on its
        dead-letter queue (approximate, as SQS counts them)."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        queue = self._sqs.get_queue_attributes(QueueUrl=self.queue.url, AttributeNames=names)["Attributes"]
        dead = self._sqs.get_queue_attributes(QueueUrl=self.queue.dead_letter_url, AttributeNames=names[:1])
        return {
            "waiting": int(queue["ApproximateNumberOfMessages"]),
            "in_flight": int(queue["ApproximateNumberOfMessagesNotVisible"]),
            "dead_letters": int(dead["Attributes"]["ApproximateNumberOfMessages"]),
        }
