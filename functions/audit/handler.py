"""Stream handler of every table: the audit trail (留痕, DOMAIN §0). Each change of any record
becomes one append-only entry — who, when, before/after, why, evidence — and each batch is
archived to S3 under object lock. A redelivered record appends nothing (the entry key is the
record's stream position); a failed archive fails the batch, which is retried as a whole."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm import config
from crm.domain.audit import AuditEntry
from crm.domain.time import from_epoch_ms
from crm.observability import metrics, observed
from crm.services import audit as service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


_batch: list[AuditEntry] = []  # one invocation at a time: the entries of the batch being processed


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None or not change.sequence_number:
        raise ValueError("a stream record without its change")
    entry = service.record_change(
        config.active().stream_table(record.event_source_arn),
        record.event_name.name,
        {k: str(v) for k, v in (change.keys or {}).items()},
        change.old_image or None,
        change.new_image or None,
        sequence=change.sequence_number,
        at=from_epoch_ms((change.approximate_creation_date_time or 0) * 1000),
    )
    if entry is not None:
        _batch.append(entry)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    _batch.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    first = (event.get("Records") or [{}])[0].get("dynamodb", {}).get("SequenceNumber", "batch")
    service.archive_batch(list(_batch), first)
    metrics.add_metric(name="AuditEntries", unit="Count", value=len(_batch))
    return response
