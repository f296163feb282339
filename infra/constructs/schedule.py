"""A topology `Schedule`: an EventBridge Scheduler schedule, in Beijing time, that invokes the job.

The target's input is the scheduled event the handlers read (`time` is Scheduler's scheduled time,
the same on every retry of a run), so the same code runs on the schedule in AWS and under
`crm trigger` locally, and a job is idempotent for its scheduled time. A run that fails is retried
`retry_attempts` times (by Scheduler when it cannot deliver, by Lambda's asynchronous invocation
when the function fails) and then lands on the job's dead-letter queue, on which an alarm rings.
"""

from __future__ import annotations

import jsii
from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from crm import topology
from infra.constructs.failures import failure_queue

# What a sender needs on the dead-letter queue and its key to put a message there.
DLQ_ACTIONS = ("sqs:SendMessage",)
DLQ_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@jsii.implements(lambda_.IDestination)
class DeadLetterDestination:
    """The queue as the on-failure destination of asynchronous invocations, granted no more than
    sending there (CDK's `SqsDestination` grants the key's re-encryption too)."""

    def __init__(self, queue: sqs.IQueue, key: kms.IKey) -> None:
        self.queue, self.key = queue, key

    def bind(
        self, _scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType | None = None
    ) -> lambda_.DestinationConfig:
        self.queue.grant(fn, *DLQ_ACTIONS)
        self.key.grant(fn, *DLQ_KEY_ACTIONS)
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


def scheduled_event(schedule: topology.Schedule) -> scheduler.ScheduleTargetInput:
    """The topology's scheduled event, filled in by Scheduler on each run."""
    return scheduler.ScheduleTargetInput.from_object(
        schedule.event(
            run_id=scheduler.ContextAttribute.execution_id,
            time=scheduler.ContextAttribute.scheduled_time,
            schedule_arn=scheduler.ContextAttribute.schedule_arn,
            attempt=scheduler.ContextAttribute.attempt_number,
        )
    )


class ScheduledInvocation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: topology.Schedule,
        function: lambda_.Function,
        group: scheduler.IScheduleGroup,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = schedule
        self.dead_letters = failure_queue(self, "DeadLetters", key=key)
        max_event_age = Duration.seconds(schedule.max_event_age_s)
        # Failures of the function itself: Lambda retries the asynchronous invocation, then hands
        # the event (with the error) to the same queue.
        function.configure_async_invoke(
            retry_attempts=schedule.retry_attempts,
            max_event_age=max_event_age,
            on_failure=DeadLetterDestination(self.dead_letters, key),
        )
        account = Stack.of(self).account
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
            ),
            description=f"EventBridge Scheduler invoking the {schedule.job} job",
        )
        key.grant(role, *DLQ_KEY_ACTIONS)
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"crm job {schedule.job}",
            schedule_group=group,
            schedule=scheduler.ScheduleExpression.expression(
                schedule.expression, TimeZone.of(topology.SCHEDULE_TIMEZONE)
            ),
            # $LATEST, the version the asynchronous-invocation settings above are for: the grant is then
            # on that one qualified ARN, not on every version of the function.
            target=targets.LambdaInvoke(
                function.latest_version,
                input=scheduled_event(schedule),
                role=role,
                dead_letter_queue=self.dead_letters,
                retry_attempts=schedule.retry_attempts,
                max_event_age=max_event_age,
            ),
        )
