"""Stream handler: keeps the counters that activity views and reports read (DOMAIN §8–9), from
the records that change. Each record is folded in once whatever the redeliveries (its
contribution is remembered); failures are reported per record (partial batch response)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm import config
from crm.observability import observed
from crm.services.aggregates import on_record

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change: dict[str, Any] = record.raw_event["dynamodb"]
    keys = {name: value["S"] for name, value in change["Keys"].items()}
    on_record(
        config.active().stream_table(record.event_source_arn), keys, change.get("NewImage"), change.get("OldImage")
    )


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
