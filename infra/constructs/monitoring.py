"""What the team on call sees: one alarm per way a piece can fail, all to one topic, and a dashboard.

Built from what the stack built from the topology, so a new function, stream source, schedule or
queue gets its alarms with no edit here (tests/infra/test_monitoring.py holds every one to it):
- every function: errors and throttles;
- every stream consumer: iterator age above 5 minutes (it is falling behind its table);
- every failure and dead-letter queue: any message visible (something failed for good);
- every queue of work (`crm.topology.QUEUES`): its oldest message waiting more than an hour (its
  consumer is stalled or behind; well before the queue's retention would drop the message);
- the schedule group: runs Scheduler could not deliver or dropped;
- the API: 5xx above 1% of requests over 5 minutes, p99 latency above 3 s.
Alarms go to one SNS topic, encrypted under the operations key, which the operators subscribe to
(the stack's `OperatorEmail` parameter adds an e-mail subscription when it is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aws_cdk import CfnCondition, Duration, Fn, NestedStack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.data import pascal_case
from infra.constructs.function import CrmFunction
from infra.constructs.queues import WorkQueue

PERIOD = Duration.minutes(5)
ITERATOR_AGE_LIMIT_MS = 5 * 60 * 1000
SERVER_ERROR_RATE = 0.01  # API Gateway's 5XXError averaged over a period is the share of requests
LATENCY_P99_LIMIT_MS = 3000
# A queue of work's oldest message: an hour is what the capacity model gives a million imported rows
# (issue 21), so a message older than that means its consumer is stalled, failing or behind that
# model, and is still days from the queue's retention, past which SQS would drop it unprocessed.
QUEUE_AGE_LIMIT_S = 3600


class Monitoring(NestedStack):
    """A nested stack of its own: three alarms a function and one a queue would soon take the main
    stack past CloudFormation's 500 resources."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, CrmFunction],
        queues: Iterable[WorkQueue] = (),
        schedule_group: scheduler.ScheduleGroup,
        api: apigw.RestApi,
        key: kms.IKey,
        operator_email: str,
    ) -> None:
        super().__init__(scope, construct_id, description="Brokerage CRM: alarms, their topic and the dashboard")
        self.topic = sns.Topic(self, "Alarms", display_name="Brokerage CRM alarms", master_key=key, enforce_ssl=True)
        subscribed = CfnCondition(
            self, "HasOperatorEmail", expression=Fn.condition_not(Fn.condition_equals(operator_email, ""))
        )
        subscription = sns.CfnSubscription(
            self, "OperatorSubscription", topic_arn=self.topic.topic_arn, protocol="email", endpoint=operator_email
        )
        subscription.cfn_options.condition = subscribed
        self.alarms: list[cloudwatch.Alarm] = []

        work = {pascal_case(queue.spec.name): queue for queue in queues}
        failures: list[tuple[str, sqs.IQueue]] = []
        for name, built in functions.items():
            function, prefix = built.function, pascal_case(name)
            self._alarm(f"{prefix}Errors", function.metric_errors(period=PERIOD), f"{name}: errors")
            self._alarm(f"{prefix}Throttles", function.metric_throttles(period=PERIOD), f"{name}: throttled")
            if built.subscriptions:
                self._alarm(
                    f"{prefix}IteratorAge",
                    _iterator_age(function),
                    f"{name}: stream records wait more than 5 minutes",
                    threshold=ITERATOR_AGE_LIMIT_MS,
                )
            failures += [
                (f"{prefix}{subscription.node.id}Failures", subscription.failures)
                for subscription in built.subscriptions
            ]
            if built.job is not None:
                failures.append((f"{prefix}DeadLetters", built.job.dead_letters))
        failures += [(f"{prefix}QueueDeadLetters", queue.dead_letters) for prefix, queue in work.items()]
        for name, queue in failures:
            self._alarm(
                f"{name}Visible",
                queue.metric_approximate_number_of_messages_visible(statistic="Maximum", period=Duration.minutes(1)),
                f"{name}: something failed for good and waits to be replayed",
            )
        for prefix, built_queue in work.items():
            self._alarm(
                f"{prefix}QueueOldestMessage",
                _oldest_message_age(built_queue.queue),
                f"{built_queue.spec.name}: a message ({built_queue.spec.purpose}) waits more than an hour",
                threshold=QUEUE_AGE_LIMIT_S,
            )
        self._alarm("SchedulesTargetErrors", schedule_group.metric_target_errors(period=PERIOD), "jobs: not delivered")
        self._alarm("SchedulesDropped", schedule_group.metric_dropped(period=PERIOD), "jobs: runs dropped")
        self._alarm(
            "ApiServerErrors",
            api.metric_server_error(statistic="Average", period=PERIOD),
            "API: more than 1% of requests answered 5xx",
            threshold=SERVER_ERROR_RATE,
        )
        self._alarm(
            "ApiLatencyP99",
            api.metric_latency(statistic="p99", period=PERIOD),
            "API: p99 latency above 3 s",
            threshold=LATENCY_P99_LIMIT_MS,
        )
        self.dashboard = self._dashboard(functions, failures, work, api)

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 0) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _dashboard(
        self,
        functions: Mapping[str, CrmFunction],
        queues: Sequence[tuple[str, sqs.IQueue]],
        work: Mapping[str, WorkQueue],
        api: apigw.RestApi,
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        consumers = {name: built.function for name, built in functions.items() if built.subscriptions}
        jobs = {name: built.function for name, built in functions.items() if built.job is not None}
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API: requests, 4xx and 5xx",
                left=[api.metric_count(period=PERIOD)],
                right=[api.metric_client_error(period=PERIOD), api.metric_server_error(period=PERIOD)],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API: latency p50 and p99",
                left=[api.metric_latency(statistic=statistic, period=PERIOD) for statistic in ("p50", "p99")],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Streams: iterator age (max)",
                left=[_iterator_age(function, label=name) for name, function in consumers.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Jobs: errors (left) and longest run (right)",
                left=[function.metric_errors(period=PERIOD, label=name) for name, function in jobs.items()],
                right=[
                    function.metric_duration(statistic="Maximum", period=PERIOD, label=name)
                    for name, function in jobs.items()
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Failure and dead-letter queues: messages visible",
                left=[queue.metric_approximate_number_of_messages_visible(label=name) for name, queue in queues],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Functions: errors and throttles",
                left=[built.function.metric_errors(period=PERIOD, label=name) for name, built in functions.items()],
                right=[built.function.metric_throttles(period=PERIOD, label=name) for name, built in functions.items()],
                width=12,
            ),
        )
        if work:
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Queues of work: messages waiting (left) and the oldest one's age (right)",
                    left=[
                        queue.queue.metric_approximate_number_of_messages_visible(label=queue.spec.name)
                        for queue in work.values()
                    ],
                    right=[_oldest_message_age(queue.queue, label=queue.spec.name) for queue in work.values()],
                    width=24,
                ),
            )
        return dashboard


def _iterator_age(function: lambda_.IFunction, label: str | None = None) -> cloudwatch.Metric:
    return function.metric("IteratorAge", statistic="Maximum", period=Duration.minutes(1), label=label)


def _oldest_message_age(queue: sqs.IQueue, label: str | None = None) -> cloudwatch.Metric:
    return queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=Duration.minutes(1), label=label)
