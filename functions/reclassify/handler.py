"""Stream handler: when a client's yearly metrics change, fold them into the company's yearly
sums (for the year-end recalibration of T, 第6条) and reclassify the client (第4–6条; Part 4 VIP).

Only METRICS# records reach it (event filter in the topology). Each record is processed on
its own: a failure is reported as a partial batch item failure so the rest of the batch is
checkpointed, and Lambda bisects and retries only what failed. The work is a recompute from
state, so a redelivered record changes nothing.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm.domain.time import from_epoch_ms, parse_iso
from crm.observability import logger, metrics, observed
from crm.services.reclassification import on_metrics_written

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    if stream is None or not stream.keys or not stream.sequence_number:
        raise ValueError("a stream record without keys or sequence number")
    client_id = str(stream.keys["pk"]).removeprefix("CLIENT#")
    year = int(str(stream.keys["sk"]).removeprefix("METRICS#"))
    # The class changed when the figures were written: the metrics item's own time, to the ms.
    written = (stream.new_image or {}).get("updated_at")
    at = parse_iso(written) if written else from_epoch_ms((stream.approximate_creation_date_time or 0) * 1000)
    changed = on_metrics_written(client_id, year, at=at, change_id=stream.sequence_number)
    if changed:
        metrics.add_metric(name="ClientsReclassified", unit="Count", value=1)
    logger.info("reclassified" if changed else "class unchanged", client_id=client_id)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
