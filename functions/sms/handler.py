"""Stream handler: the account-opening SMS (第34–35条). A client record inserted (clients table,
PROFILE; event filter in the topology) gets its welcome and notice message through SNS, logged
against the client. The log is the outbox: a redelivered record sends nothing twice; a throttled
or failed publish fails the record, which is retried, then kept on the failure queue."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from crm.data.clients.items import client_from_image
from crm.observability import logger, metrics, observed
from crm.services.messages import send_welcome

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    image = record.raw_event["dynamodb"].get("NewImage")
    if not image:
        return
    client = client_from_image(image)
    outcome = send_welcome(client)
    if outcome is not None:
        metrics.add_metric(name=f"Sms_{outcome.value}", unit="Count", value=1)
        logger.info("account-opening SMS", client_id=client.client_id, outcome=outcome.value)


@observed()
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
