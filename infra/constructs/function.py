"""One Lambda function of `crm.topology`, built the same way for every capability.

Each gets its own role with exactly the grants its topology entry declares — read for `reads`,
read-write for `writes`, `dynamodb:PutItem` alone for `appends` (append-only stores: never update,
delete or batch-write), `s3:PutObject` alone for `archives`, put-events for `publishes`, receiving
from the queues it consumes (`queues`, through an SQS event source) and `sqs:SendMessage` alone on
those it `sends_to` — and with each the least it needs on the customer-managed key those tables,
buckets and queues are encrypted with.
It gets its own log group (encrypted with that key, with a retention regulators can rely on),
active tracing, our shared layer and the Powertools layer, and as environment variables the
physical name of every table, stream source, bucket and bus it uses (`TABLE_<NAME>`,
`STREAM_TABLE_<NAME>`, `BUCKET_<NAME>`, `EVENT_BUS_NAME`), the URL of every queue it sends to
(`QUEUE_<NAME>`) and its topology name (`CRM_FUNCTION`):
`topology.Function.variables`, the same variables `crm.local` gives it and `crm.config` checks.

A function with routes (an API function) is also published, as a new version whenever a deploy
changes it (code, configuration or layers), behind the `live` alias, which is what API Gateway
invokes. With SnapStart on (the default; the `snapstart` context flag turns it off), Lambda
initialises that version once, when it is published, and new execution environments resume from
its snapshot (`crm.snapstart` warms it before the snapshot and reseeds after each restore).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from crm import topology
from infra import REPO
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import pascal_case, table_logical_id
from infra.constructs.nag import acknowledge
from infra.constructs.queues import WorkQueue
from infra.constructs.schedule import ScheduledInvocation
from infra.constructs.stream import StreamSubscription

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "handler.lambda_handler"  # functions/<name>/handler.py
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
SERVICE_NAME = "brokerage-crm"
METRICS_NAMESPACE = "BrokerageCrm"
LOG_LEVEL = "INFO"
FUNCTIONS_DIR = REPO / "functions"
# API functions: the alias API Gateway invokes, always on the version this deploy published.
ALIAS = "live"
# `cdk synth -c snapstart=false` (or `make synth SNAPSTART=false`): API functions without SnapStart.
SNAPSTART_CONTEXT = "snapstart"

# `appends`: put a new item (conditionally, so a redelivery appends nothing) and nothing else; on the
# table's key what DynamoDB needs to encrypt it (CDK's write grant without `kms:ReEncrypt*`).
APPEND_ACTIONS = ("dynamodb:PutItem",)
APPEND_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*")
# `archives`: write new objects (a new version where the key exists; Object Lock keeps the old);
# never delete, never touch retention or legal holds. SSE-KMS on a single PutObject needs only this.
ARCHIVE_ACTIONS = ("s3:PutObject",)
ARCHIVE_KEY_ACTIONS = ("kms:GenerateDataKey",)
# `reads_objects`: read objects (and hand out presigned URLs to them, which act with this grant).
READ_OBJECT_ACTIONS = ("s3:GetObject",)
READ_OBJECT_KEY_ACTIONS = ("kms:Decrypt",)
# `sends_to`: send messages (one or a batch: SendMessageBatch is authorised as SendMessage), nothing
# else (no receiving, purging or reading the queue's attributes: its URL is in the environment). On
# the queue's key what SQS asks for on a sender's behalf: a data key to encrypt with, and decrypt to
# reuse a cached one.
SEND_ACTIONS = ("sqs:SendMessage",)
SEND_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# `queues`: what the event source mapping does with the function's role, CDK's consume grant:
# sqs:ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl on the
# queue, and kms:Decrypt alone on its key.
# `sends_sms`: SNS Publish to a phone number, and the opt-out check before it.
SMS_ACTIONS = ("sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut")
# `secrets`: read the secret's value, nothing else (no listing, no describing the others).
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
# `manages_users`: read, create, change, enable and disable the pool's users (and delete one it
# created itself, when the register could not be written after all: crm.services.staff).
USER_POOL_ACTIONS = (
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminDeleteUserAttributes",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminDeleteUser",
)


def snap_start_enabled(value: object) -> bool:
    """The `snapstart` context value: absent means on; `-c snapstart=false` arrives as a string."""
    if value is None or value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ValueError(f"context {SNAPSTART_CONTEXT}={value!r}: use true or false")


def layers_fingerprint(scope: Construct, layers: Sequence[lambda_.ILayerVersion]) -> str:
    """What the layers hold: for one built here, its asset (whose hash is in its S3 key); for one
    imported by ARN, that ARN (Powertools': a parameter named after its version). CDK's version hash
    sees a layer only by its logical id, so new code in our `crm` layer would publish no new version
    and the alias would go on running the old. (CDK's flag for this, recognizeLayerVersion, also
    sorts the layers, which would change the order functions load them in.)"""
    parts = []
    for layer in layers:
        resource = layer.node.default_child
        parts.append(resource.content if isinstance(resource, lambda_.CfnLayerVersion) else layer.layer_version_arn)
    return json.dumps(Stack.of(scope).resolve(parts), sort_keys=True)


class CrmFunction(Construct):
    """The Lambda function for `spec`, with its role, log group, environment and table grants."""

    def __init__(
        self,
        scope: Construct,
        spec: topology.Function,
        *,
        tables: Mapping[str, dynamodb.ITable],
        buckets: Mapping[str, s3.IBucket],
        buses: Mapping[str, events.IEventBus],
        secrets: Mapping[str, secretsmanager.ISecret],
        user_pools: Mapping[str, cognito.IUserPool],
        queues: Mapping[str, WorkQueue] | None = None,
        layers: Sequence[lambda_.ILayerVersion],
        allowed_origins: Sequence[str] = (),
        key: kms.IKey,
        schedule_group: scheduler.IScheduleGroup,
        operations_key: kms.IKey,
        snap_start: bool = True,
    ) -> None:
        super().__init__(scope, pascal_case(spec.name))
        self.spec = spec
        queues = queues or {}
        self.log_group = logs.LogGroup(
            self, "Logs", retention=LOG_RETENTION, encryption_key=key, removal_policy=RemovalPolicy.RETAIN
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {spec.name} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / spec.name), exclude=["__pycache__", "*.pyc"]),
            layers=list(layers),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            environment={
                topology.FUNCTION_VARIABLE: spec.name,
                **{table.env_var: tables[table.name].table_name for table in spec.tables},
                **{source.env_var: tables[source.table.name].table_name for source in spec.streams},
                **{bucket.env_var: buckets[bucket.name].bucket_name for bucket in spec.buckets},
                **{bus.env_var: buses[bus.name].event_bus_name for bus in spec.publishes},
                **{secret.env_var: secrets[secret.name].secret_arn for secret in spec.secrets},
                **{pool.env_var: user_pools[pool.name].user_pool_id for pool in spec.manages_users},
                **{queue.env_var: queues[queue.name].queue.queue_url for queue in spec.sends_to},
                **({topology.ALLOWED_ORIGINS_VARIABLE: json.dumps(list(allowed_origins))} if spec.routes else {}),
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": LOG_LEVEL,
                **spec.environment,
            },
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start and spec.routes else None,
        )
        # What API Gateway invokes: the version this deploy published (the one SnapStart snapshots),
        # through an alias, so the API's permissions name the alias and never the whole function.
        self.alias: lambda_.Alias | None = None
        if spec.routes:
            self.function.invalidate_version_based_on(layers_fingerprint(self, layers))
            self.alias = lambda_.Alias(self, "Live", alias_name=ALIAS, version=self.function.current_version)
        self._grant_tables(tables)
        self._grant_archives(buckets)
        self.subscriptions = [
            StreamSubscription(
                self,
                "Stream" if len(spec.streams) == 1 else f"Stream{source.table.name.title()}",
                source=source,
                table=tables[source.table.name],
                function=self.function,
            )
            for source in spec.streams
        ]
        self.queue_sources = [self._consume(source, queues[source.queue.name]) for source in spec.queues]
        for queue in spec.sends_to:
            self._grant_send(queues[queue.name])
        self.job = (
            ScheduledInvocation(
                self,
                "Schedule",
                schedule=spec.schedule,
                function=self.function,
                group=schedule_group,
                key=operations_key,
            )
            if spec.schedule is not None
            else None
        )
        for bus in spec.publishes:
            buses[bus.name].grant_put_events_to(self.role)
        for secret in spec.secrets:
            self._grant_secret(secrets[secret.name])
        for pool in spec.manages_users:
            user_pools[pool.name].grant(self.role, *USER_POOL_ACTIONS)
        if spec.sends_sms:
            self._grant_sms()
        unscoped = ["X-Ray PutTraceSegments/PutTelemetryRecords (active tracing)"]
        if spec.streams:
            unscoped.append("DynamoDB ListStreams, which the stream event source needs")
        if spec.sends_sms:
            unscoped.append("SNS Publish to a phone number and CheckIfPhoneNumberIsOptedOut (topics are denied)")
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "No resource-level permissions exist for: " + "; ".join(unscoped) + ".",
        )

    @property
    def invoked(self) -> lambda_.IFunction:
        """What callers invoke: the `live` alias of an API function, else the function itself."""
        return self.alias or self.function

    def _consume(self, source: topology.QueueSource, queue: WorkQueue) -> sources.SqsEventSource:
        """The SQS event source for `source`: Lambda polls the queue with the function's role (CDK's
        consume grant: receive, delete, change visibility; decrypt on the key), gives the function
        `batch_size` messages at a time, deletes those it does not report failed, and keeps no more
        than `max_concurrency` instances busy."""
        if queue.spec.visibility_timeout_s < self.spec.timeout_s:
            raise ValueError(
                f"{self.spec.name}: the {queue.spec.name} queue hides a message {queue.spec.visibility_timeout_s} s, "
                f"less than the function's timeout ({self.spec.timeout_s} s): a message would be given out "
                "again while it is still being worked on (and Lambda refuses such a mapping)"
            )
        event_source = sources.SqsEventSource(
            queue.queue,
            batch_size=source.batch_size,
            report_batch_item_failures=True,
            max_concurrency=source.max_concurrency,
        )
        self.function.add_event_source(event_source)
        return event_source

    def _grant_send(self, queue: WorkQueue) -> None:
        """SendMessage on the one queue, and on its key what SQS needs to encrypt a message."""
        iam.Grant.add_to_principal(grantee=self.role, actions=list(SEND_ACTIONS), resource_arns=[queue.queue.queue_arn])
        if queue.queue.encryption_master_key is not None:
            queue.queue.encryption_master_key.grant(self.role, *SEND_KEY_ACTIONS)

    def _grant_secret(self, secret: secretsmanager.ISecret) -> None:
        """GetSecretValue on the one secret, and on its key the decrypt Secrets Manager asks for on
        the function's behalf, in the role's own policy: the key policy stays the account's and the
        log service's (tests/infra/test_stack.py)."""
        iam.Grant.add_to_principal(grantee=self.role, actions=list(SECRET_ACTIONS), resource_arns=[secret.secret_arn])
        if secret.encryption_key is not None:
            stack = Stack.of(self)
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[secret.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.{stack.url_suffix}"}
                    },
                )
            )

    def _grant_sms(self) -> None:
        """SMS to phone numbers, and nothing else SNS does: a direct publish has no resource of its
        own (so `*`), and every topic is denied, so the grant cannot become a way to publish on one."""
        stack = Stack.of(self)
        self.role.add_to_policy(iam.PolicyStatement(actions=list(SMS_ACTIONS), resources=["*"]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{stack.partition}:sns:*:*:*"],
            )
        )

    def _grant_tables(self, tables: Mapping[str, dynamodb.ITable]) -> None:
        for spec in self.spec.tables:
            table = tables[spec.name]
            if spec in self.spec.writes:
                if spec in self.spec.appends:
                    raise ValueError(f"{self.spec.name}: {spec.name} cannot be both written and append-only")
                table.grant_read_write_data(self.role)
            elif spec in self.spec.reads:
                table.grant_read_data(self.role)
            if spec in self.spec.appends:
                table.grant(self.role, *APPEND_ACTIONS)
                if table.encryption_key is not None:
                    table.encryption_key.grant(self.role, *APPEND_KEY_ACTIONS)
            if spec.indexes and spec in self.spec.reads + self.spec.writes:
                acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::<{table_logical_id(spec)}.Arn>/index/*]",
                    f"Queries on the {spec.name} table's own global secondary indexes "
                    f"({', '.join(index.name for index in spec.indexes)}); the wildcard is scoped "
                    "to that one table's indexes.",
                )
        if self.spec.writes or self.spec.appends:
            acknowledge(
                self.role,
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                "DynamoDB encrypts what this function writes under the tables' customer-managed key "
                "and may ask for a data key with or without plaintext; the grant (CDK's table write "
                "grant) names that one key as its resource.",
            )
        if self.spec.writes:
            acknowledge(
                self.role,
                "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
                "Part of CDK's standard table write grant; the statement's only resource is the tables' "
                "one customer-managed key, so it can re-encrypt nothing into or out of any other key.",
            )

    def _grant_archives(self, buckets: Mapping[str, s3.IBucket]) -> None:
        for spec, actions, key_actions in (
            *((b, ARCHIVE_ACTIONS, ARCHIVE_KEY_ACTIONS) for b in self.spec.archives),
            *((b, READ_OBJECT_ACTIONS, READ_OBJECT_KEY_ACTIONS) for b in self.spec.reads_objects),
        ):
            bucket = buckets[spec.name]
            iam.Grant.add_to_principal(
                grantee=self.role, actions=list(actions), resource_arns=[bucket.arn_for_objects(f"{spec.prefix}*")]
            )
            if bucket.encryption_key is not None:
                bucket.encryption_key.grant(self.role, *key_actions)
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::<{bucket_logical_id(spec)}.Arn>/{spec.prefix}*]",
                f"Each file is an object under a key of its own, so {' and '.join(actions)} needs the objects "
                f"under {spec.prefix or '/'} of the {spec.name} bucket; nothing else is granted there (no "
                "listing, delete, retention or legal hold), and versioning keeps every earlier version.",
            )
