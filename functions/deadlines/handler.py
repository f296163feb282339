"""Stream handler of the settings table: when HQ loads a year's calendar, every deadline that
was computed provisionally for that year is computed again (DOMAIN §10)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm.domain.time import from_epoch_ms
from crm.observability import logger, metrics, observed
from crm.services.sla import reschedule_year

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    partition = record.raw_event["dynamodb"]["Keys"]["pk"]["S"]  # CALENDAR#<year>
    year = int(partition.removeprefix("CALENDAR#"))
    loaded_at = from_epoch_ms(float(record.raw_event["dynamodb"].get("ApproximateCreationDateTime") or 0) * 1000)
    moved = reschedule_year(year, at=loaded_at)
    metrics.add_metric(name="DeadlinesRecomputed", unit="Count", value=moved)
    logger.info("provisional deadlines recomputed", year=year, moved=moved)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
