"""One Lambda function of `crm.topology`, built the same way for every capability.

Each gets its own role with exactly the grants its topology entry declares (read for `reads`,
read-write for `writes`, put-events for `publishes`), its own log group with a retention
regulators can rely on, active tracing, our shared layer and the Powertools layer, and every
table and bus it uses as an environment variable (`TABLE_<NAME>`, `EVENT_BUS_NAME` → physical
name), the same variables `crm.local` sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from crm import topology
from infra import REPO
from infra.constructs.data import pascal_case, table_logical_id
from infra.constructs.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "handler.lambda_handler"  # functions/<name>/handler.py
LOG_RETENTION = logs.RetentionDays.ONE_YEAR
SERVICE_NAME = "brokerage-crm"
METRICS_NAMESPACE = "BrokerageCrm"
LOG_LEVEL = "INFO"
FUNCTIONS_DIR = REPO / "functions"


class CrmFunction(Construct):
    """The Lambda function for `spec`, with its role, log group, environment and table grants."""

    def __init__(
        self,
        scope: Construct,
        spec: topology.Function,
        *,
        tables: Mapping[str, dynamodb.ITable],
        buses: Mapping[str, events.IEventBus],
        layers: Sequence[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, pascal_case(spec.name))
        self.spec = spec
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN)
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
                **{table.env_var: tables[table.name].table_name for table in spec.tables},
                **{bus.env_var: buses[bus.name].event_bus_name for bus in spec.publishes},
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": LOG_LEVEL,
                **spec.environment,
            },
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role,
        )
        self._grant_tables(tables)
        for bus in spec.publishes:
            buses[bus.name].grant_put_events_to(self.role)
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level "
            "permissions"
            + ("; nor does DynamoDB ListStreams, which the stream event source needs." if spec.streams else "."),
        )

    def _grant_tables(self, tables: Mapping[str, dynamodb.ITable]) -> None:
        written = {table.name for table in self.spec.writes}
        for spec in self.spec.tables:
            table = tables[spec.name]
            if spec.name in written:
                table.grant_read_write_data(self.role)
            else:
                table.grant_read_data(self.role)
            if spec.indexes:
                acknowledge(
                    self.role,
                    f"AwsSolutions-IAM5[Resource::<{table_logical_id(spec)}.Arn>/index/*]",
                    f"Queries on the {spec.name} table's own global secondary indexes "
                    f"({', '.join(index.name for index in spec.indexes)}); the wildcard is scoped "
                    "to that one table's indexes.",
                )
