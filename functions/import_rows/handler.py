"""Queue handler of the import-rows queue (DOMAIN §13): applies one chunk of an import's rows, each
read by the API's own request models (crm.api.imports) and applied whole or reported
(crm.services.import_rows). A chunk that fails (throttled, a crash) comes back after the queue's
visibility timeout and is applied exactly once; after its retries it waits on the dead-letter
queue. The business time is when the chunk was sent, the same on every delivery."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from crm.api.imports import parse_row
from crm.domain.imports import Chunk
from crm.domain.time import from_epoch_ms
from crm.observability import logger, metrics, observed
from crm.services import import_rows as service

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    chunk = Chunk.from_message(record.body)
    service.apply(chunk, parse_row, now=from_epoch_ms(int(record.attributes.sent_timestamp)))
    metrics.add_metric(name="ImportRowsApplied", unit="Count", value=len(chunk.rows))
    logger.info("import chunk", import_id=chunk.import_id, chunk=chunk.number, rows=len(chunk.rows))


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
