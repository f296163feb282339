"""A topology `Schedule`: an EventBridge rule that invokes the job's function on its expression.

The handler takes the business clock from the scheduled event's `time`, as `crm trigger` does
locally, so the same code runs on the schedule in AWS and on demand on a laptop.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from crm import topology

RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(1)


class ScheduledInvocation(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: topology.Schedule,
        function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"crm job {schedule.job}",
            schedule=events.Schedule.expression(schedule.expression),
            targets=[targets.LambdaFunction(function, retry_attempts=RETRY_ATTEMPTS, max_event_age=MAX_EVENT_AGE)],
        )
