"""Stream handler: keeps the schedule of callbacks that can fall due (DOMAIN §5–7) from the
changes that make them due — client records (clients table, PROFILE), complaints reaching
`replied` and retention cases ending `transferred` or `closed` (service table; event filters in
the topology). Only the daily job creates tasks from it.

Failures are reported per record (partial batch response); every step recomputes from the record
and writes under versions, so a redelivered record changes nothing.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm.data.clients.items import client_from_image
from crm.data.complaints import complaint_from_image
from crm.data.retention import case_from_image
from crm.observability import logger, observed
from crm.services import callback_schedule as service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change: dict[str, Any] = record.raw_event["dynamodb"]
    sort_key = change["Keys"]["sk"]["S"]
    new_image, old_image = change.get("NewImage"), change.get("OldImage")
    if new_image is None:
        return  # records are never removed; nothing follows a removal
    if sort_key == "PROFILE":
        old = client_from_image(old_image) if old_image else None
        done = service.on_client_changed(old, client_from_image(new_image))
    elif old_image is not None and old_image.get("status") == new_image.get("status"):
        return  # only the move into the status the filter lets through brings a callback
    elif sort_key == "COMPLAINT":
        done = [service.on_complaint_replied(*complaint_from_image(new_image))]
    elif sort_key == "CASE":
        done = [service.on_case_left(case_from_image(new_image))]
    else:
        return
    if done:
        logger.info("callback schedule", key=change["Keys"]["pk"]["S"], done=done)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
