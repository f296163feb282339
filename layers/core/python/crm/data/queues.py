"""Messages to the system's work queues (crm.topology `Queue`): one, or many in batches.

A function names a queue it sends to in its topology entry; its variable holds the queue's URL in
AWS and its name locally (moto makes up the URL), which is looked up once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from crm import config
from crm.topology import Queue

BATCH_MESSAGES = 10  # SQS: at most 10 messages in one SendMessageBatch …
BATCH_BYTES = 256 * 1024  # … and 256 KiB in all
SEND_ATTEMPTS = 5


@cache
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs")


@cache
def _url_of(name_or_url: str) -> str:
    if name_or_url.startswith(("https://", "http://")):
        return name_or_url
    return str(_sqs().get_queue_url(QueueName=name_or_url)["QueueUrl"])


def url(queue: Queue) -> str:
    return _url_of(config.active().queue(queue))


def send(queue: Queue, body: str) -> None:
    _sqs().send_message(QueueUrl=url(queue), MessageBody=body)


def _batches(bodies: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode("utf-8"))
        if batch and (len(batch) == BATCH_MESSAGES or size + length > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        yield batch


def send_all(queue: Queue, bodies: Iterable[str]) -> Iterator[int]:
    """Send every message, in as few requests as SQS allows; yields how many were sent after each
    request (for the caller to record its progress). A message SQS did not take is sent again."""
    queue_url = url(queue)
    for batch in _batches(bodies):
        pending = {str(n): body for n, body in enumerate(batch)}
        for _ in range(SEND_ATTEMPTS):
            entries = [{"Id": entry, "MessageBody": body} for entry, body in pending.items()]
            failed = _sqs().send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
            pending = {entry["Id"]: pending[entry["Id"]] for entry in failed}
            if not pending:
                break
        else:
            raise RuntimeError(f"{len(pending)} messages to {queue.name} were refused {SEND_ATTEMPTS} times")
        yield len(batch)
