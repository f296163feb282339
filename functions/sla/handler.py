"""Stream handler of the service table: SLA checks on every clock change, and the outbox of
escalations (第29条, 第36条; complaint appendix).

- CLOCK# written: stopped after its deadline → the breach is recorded (once); started on an
  unknown calendar → a DeadlineProvisional alert.
- ESCALATION# inserted → SlaWarning / SlaBreached on the application's bus, naming who must act.

Failures are reported per record (partial batch response); every step is idempotent: a
redelivered record changes nothing, and an event already sent is not sent again.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm.data import clocks as clock_data
from crm.domain.time import from_epoch_ms
from crm.observability import logger, observed
from crm.services import sla as service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change: dict[str, Any] = record.raw_event["dynamodb"]
    sort_key = change["Keys"]["sk"]["S"]
    new_image, old_image = change.get("NewImage"), change.get("OldImage")
    if new_image is None:
        return  # a removal ends nothing that needs checking
    at = from_epoch_ms(float(change.get("ApproximateCreationDateTime") or 0) * 1000)
    if sort_key.startswith("CLOCK#"):
        old = clock_data.clock_from_image(old_image) if old_image else None
        published = service.on_clock_written(old, clock_data.clock_from_image(new_image), at)
    elif sort_key.startswith("ESCALATION#") and record.event_name is not None and record.event_name.name == "INSERT":
        published = service.on_escalation_written(clock_data.escalation_from_image(new_image), at)
    else:
        return
    if published:
        logger.info("events published", types=published, key=sort_key)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
