"""A DynamoDB stream → Lambda subscription with the settings of a topology `StreamSource`.

The mapping reports partial batch failures, bisects a failing batch, retries a bounded number
of times within a bounded record age, and sends what still fails to an encrypted SQS queue
(`failure_queue`) instead of blocking the shard or dropping the record.

The queue is encrypted with an SQS-managed key, deliberately not with the stack's customer-managed
key: Lambda puts there only where the failed batch lies (stream ARN, shard, first and last sequence
number, times), never the records' data, so there is no personal data to protect with it, and
keeping the key out of it spares every stream consumer and every operator replaying a failure a
grant on the key that guards the tables.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from crm import topology
from infra.constructs.failures import failure_queue


class StreamSubscription(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: topology.StreamSource,
        table: dynamodb.ITable,
        function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.source = source
        self.failures = failure_queue(self, "Failures")
        function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=source.batch_size,
                max_batching_window=Duration.seconds(source.max_batching_window_s),
                retry_attempts=source.retry_attempts,
                max_record_age=Duration.seconds(source.max_record_age_s),
                bisect_batch_on_error=source.bisect_batch_on_error,
                report_batch_item_failures=True,
                parallelization_factor=source.parallelization_factor,
                # None rather than []: an empty filter list is invalid CloudFormation (E3032).
                filters=[lambda_.FilterCriteria.filter(pattern) for pattern in source.filters] or None,
                on_failure=sources.SqsDlq(self.failures),
            )
        )
