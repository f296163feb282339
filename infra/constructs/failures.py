"""The queue where what failed for good waits for an operator: a stream batch's description after
its retries, or a scheduled run after its own. Nothing consumes it; the monitoring raises an alarm on
the first message, and the operator inspects and replays it (14 days, the most SQS keeps)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge

FAILURE_RETENTION = Duration.days(14)


def failure_queue(scope: Construct, construct_id: str, *, key: kms.IKey | None = None) -> sqs.Queue:
    """An SSL-only queue kept 14 days, encrypted under `key` (or an SQS-managed key without one)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS if key is not None else sqs.QueueEncryption.SQS_MANAGED,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=FAILURE_RETENTION,
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        "This queue is itself the on-failure destination (of a stream event source mapping or of a "
        "schedule and its function's asynchronous invocations): it holds what exhausted its retries, "
        "for an operator to inspect and replay. Nothing consumes it automatically, so a DLQ behind it "
        "would never receive anything.",
    )
    return queue
