"""Delivering DynamoDB stream records to the real stream handlers the way Lambda does.

For each stream source of the topology, a thread reads the moto stream shard by shard and
hands the handler Lambda-shaped batches (records that fail the event filter are dropped, as
Lambda drops them). It honours the mapping's settings:

- `batchItemFailures`: records before the first failed one are checkpointed; the batch is
  retried from the failed record;
- a handler error fails the whole batch; with `bisect_batch_on_error` the batch is split in
  two and each half is retried on its own, so one poison record cannot hold back the rest;
- after `retry_attempts` retries, or when the oldest record is older than
  `max_record_age_s`, the batch's description goes to the on-failure queue (as Lambda's
  SQS destination does: shard and sequence range, not the records) and the shard moves on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm.local.invoke import ACCOUNT, REGION, Invoker
from crm.local.poller import Poller
from crm.observability import logger
from crm.topology import Function, StreamSource

SHARDS_TTL_S = 5.0  # how long the list of a stream's shards is reused
RETRY_BACKOFF_S = 0.05


def matches(pattern: Any, value: Any) -> bool:
    """The subset of Lambda event-filter patterns the topology may use (exact, prefix, exists)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        return all(
            matches(sub, value.get(key)) if key in value or _allows_absent(sub) else False
            for key, sub in pattern.items()
        )
    if isinstance(pattern, list):
        return any(_matches_rule(rule, value) for rule in pattern)
    raise ValueError(f"unsupported filter pattern {pattern!r}")


def _allows_absent(sub: Any) -> bool:
    return isinstance(sub, list) and any(isinstance(r, dict) and r.get("exists") is False for r in sub)


def _matches_rule(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        if set(rule) == {"prefix"}:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if set(rule) == {"exists"}:
            return (value is not None) == bool(rule["exists"])
        raise ValueError(f"unsupported filter rule {rule!r}")
    return value == rule


def passes_filters(source: StreamSource, record: dict[str, Any]) -> bool:
    return not source.filters or any(matches(pattern, record) for pattern in source.filters)


@dataclass
class PumpStats:
    delivered: int = 0  # records handed to the handler and checkpointed
    filtered_out: int = 0
    invocations: int = 0
    retries: int = 0
    dead_lettered: int = 0  # records whose batch went to the on-failure queue
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "filtered_out": self.filtered_out,
            "invocations": self.invocations,
            "retries": self.retries,
            "dead_lettered": self.dead_lettered,
            "recent_errors": self.errors[-5:],
        }


class StreamPump(Poller):
    """One event source mapping: a table's stream feeding one function."""

    def __init__(
        self,
        function: Function,
        source: StreamSource,
        *,
        streams: Any,
        sqs: Any,
        stream_arn: str,
        failure_queue_url: str,
        invoker: Invoker,
        from_latest: bool = False,
    ) -> None:
        if source not in function.streams:
            raise ValueError(f"{function.name} has no stream source on {source.table.name}")
        super().__init__(function, f"{function.name}:{source.table.name}", kind="stream")
        self.source = source
        self._streams = streams
        self._sqs = sqs
        self._stream_arn = stream_arn
        self._queue_url = failure_queue_url
        self._invoker = invoker
        self._from_latest = from_latest
        # The last record read from each shard. Each poll asks for a fresh iterator after it:
        # moto replaces a table (stream included) with a copy when it rolls back a cancelled
        # transaction, which would leave a long-lived iterator reading an orphaned shard.
        self._positions: dict[str, str | None] = {}
        self._shard_list: list[dict[str, Any]] = []
        self._shards_read_at = float("-inf")
        self.stats = PumpStats()

    def _poll_failed(self, exc: Exception) -> None:
        self.stats.errors.append(repr(exc))

    def _shards(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        if now - self._shards_read_at > SHARDS_TTL_S:
            self._shard_list = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
            self._shards_read_at = now
        return self._shard_list

    def rewind(self) -> None:
        """Read every shard again from its start: every record is delivered again."""
        self._positions.clear()

    def _iterator(self, shard_id: str) -> str:
        position = self._positions.get(shard_id)
        if position is None:
            start = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position}
        return str(
            self._streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard_id, **start)["ShardIterator"]
        )

    def _skip_to_end(self, shard_id: str) -> None:
        """Start after what the shard already holds (a restored state was processed before)."""
        while not self._stop.is_set():
            records = self._streams.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)["Records"]
            if not records:
                return
            self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]

    def poll_once(self) -> bool:
        """Read every shard once; True when any records arrived."""
        busy = False
        for shard in self._shards():
            if self._stop.is_set():
                break
            shard_id = shard["ShardId"]
            if shard_id not in self._positions:
                self._positions[shard_id] = None
                if self._from_latest:
                    self._skip_to_end(shard_id)
            response = self._streams.get_records(ShardIterator=self._iterator(shard_id), Limit=self.source.batch_size)
            records = [self._lambda_record(r) for r in response["Records"]]
            if not records:
                continue
            self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            busy = True
            wanted = [r for r in records if passes_filters(self.source, r)]
            self.stats.filtered_out += len(records) - len(wanted)
            if wanted:
                self._deliver(shard_id, wanted)
        return busy

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        shaped = dict(record)
        shaped["eventSourceARN"] = self._stream_arn
        shaped.setdefault("awsRegion", REGION)
        shaped.setdefault("eventSource", "aws:dynamodb")
        created = shaped["dynamodb"].get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # boto parses it; Lambda sends epoch seconds
            shaped["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
        return shaped

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """Process one batch to the end: success, retries, bisection, on-failure queue."""
        pending: list[tuple[list[dict[str, Any]], int]] = [(records, 0)]
        while pending and not self._stop.is_set():
            batch, attempts = pending.pop(0)
            failed_from = self._invoke(batch)
            if failed_from is None:
                self.stats.delivered += len(batch)
                continue
            if failed_from > 0:  # partial failure: what came before the failed record is done
                self.stats.delivered += failed_from
                batch, attempts = batch[failed_from:], attempts
            elif self.source.bisect_batch_on_error and len(batch) > 1:
                middle = len(batch) // 2
                self.stats.retries += 1
                pending[0:0] = [(batch[:middle], attempts + 1), (batch[middle:], attempts + 1)]
                continue
            if attempts >= self.source.retry_attempts or self._too_old(batch):
                self._dead_letter(shard_id, batch)
                continue
            self.stats.retries += 1
            time.sleep(RETRY_BACKOFF_S * (attempts + 1))
            pending.insert(0, (batch, attempts + 1))

    def _invoke(self, batch: list[dict[str, Any]]) -> int | None:
        """None on success; else the index of the first record to retry from."""
        self.stats.invocations += 1
        try:
            response = self._invoker.invoke(self.function, {"Records": batch})
        except Exception as exc:  # the function failed: the whole batch failed
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
            return 0
        failures = (response or {}).get("batchItemFailures") or []
        if not failures:
            return None
        failed = {f.get("itemIdentifier") for f in failures}
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return index
        return 0  # an identifier we did not send: Lambda treats the whole batch as failed

    def _too_old(self, batch: list[dict[str, Any]]) -> bool:
        created = batch[0]["dynamodb"].get("ApproximateCreationDateTime")
        return created is not None and time.time() - float(created) > self.source.max_record_age_s

    def _dead_letter(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        arrival = datetime.fromtimestamp(float(first.get("ApproximateCreationDateTime") or 0), tz=UTC)
        message = {
            "requestContext": {
                "requestId": first["SequenceNumber"],
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function.name}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.source.retry_attempts + 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival.isoformat(),
                "approximateArrivalOfLastRecord": arrival.isoformat(),
                "batchSize": len(batch),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(message))
        self.stats.dead_lettered += len(batch)
        logger.error("stream batch sent to the on-failure queue", function=self.function.name, size=len(batch))
