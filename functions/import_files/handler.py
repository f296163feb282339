"""Queue handler of the import-jobs queue (DOMAIN §13): reads an import's whole file and sends its
rows in chunks to the import-rows queue, or finishes an import whose chunks are all settled.

One message at a time; a step that fails is retried after the queue's visibility timeout, then
kept on its dead-letter queue. Each step resumes where a delivery before it stopped
(crm.services.imports). The business time is when the message was sent."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from crm.domain.imports import JobMessage
from crm.domain.time import from_epoch_ms
from crm.observability import logger, observed
from crm.services import imports as service

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    message = JobMessage.from_message(record.body)
    logger.info("import step", step=message.step.value, import_id=message.import_id)
    service.run_step(message, now=from_epoch_ms(int(record.attributes.sent_timestamp)))


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
