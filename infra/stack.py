"""The one stack: composes a construct per capability, every piece derived from `crm.topology`.

A table, bucket, queue, function, route, stream source, schedule or event bus added to the topology
appears here with no edit: tables become `Data`, buckets `Buckets`, queues `Queues` (each with its
dead-letter queue), the buses functions publish on `EventBuses`, functions `CrmFunction`s (API
functions published behind an alias, with SnapStart unless the `snapstart` context flag is false;
each with its stream sources' `StreamSubscription`s, its queue sources' SQS event sources and its
schedule's `ScheduledInvocation` in the project's schedule group), their routes the `Api` behind a
`Firewall` (a nested stack of their own), and everything that can fail an alarm in `Monitoring`.
The keys the functions sign with are `Secrets`. One customer-managed key (`Encryption`) encrypts
the tables, the buckets, the queues of work, the secrets and the log groups; a second the
operators' topic and the jobs' dead-letter queues. Deployment configuration (the web sign-in's
URLs, the origins browsers may call from and upload from) is `DeploymentSettings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnParameter, Stack
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from crm import topology
from infra.constructs.api import Api
from infra.constructs.archive import Buckets
from infra.constructs.data import Data
from infra.constructs.encryption import Encryption
from infra.constructs.event_bus import EventBuses
from infra.constructs.function import SNAPSTART_CONTEXT, CrmFunction, snap_start_enabled
from infra.constructs.identity import Identity
from infra.constructs.monitoring import Monitoring
from infra.constructs.queues import Queues
from infra.constructs.secrets import Secrets
from infra.constructs.shared_layer import SharedLayers
from infra.settings import DeploymentSettings

# Feature flags this stack is written for, set on the stack itself so that every app building it
# (the CDK CLI through cdk.json, `python infra/app.py`, the tests) gets the same template.
FEATURE_FLAGS = {
    # S3 server access logs delivered under a bucket policy for `logging.s3.amazonaws.com`, scoped to
    # the source bucket and account, instead of through the legacy LogDeliveryWrite ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


class BrokerageCrmStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: Sequence[topology.Table] = topology.TABLES,
        buckets: Sequence[topology.Bucket] = topology.BUCKETS,
        secrets: Sequence[topology.Secret] = topology.SECRETS,
        queues: Sequence[topology.Queue] = topology.QUEUES,
        functions: Sequence[topology.Function] = topology.FUNCTIONS,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Brokerage CRM back end: API, functions, tables and streams (crm.topology)",
            **kwargs,
        )
        snap_start = snap_start_enabled(self.node.try_get_context(SNAPSTART_CONTEXT))
        for flag, value in FEATURE_FLAGS.items():
            self.node.set_context(flag, value)
        self.encryption = Encryption(self, "Encryption")
        self.data = Data(self, "Data", tables, key=self.encryption.key)
        self.settings = DeploymentSettings.from_context(self.node.get_all_context())
        self.buckets = Buckets(
            self,
            "Archive",
            buckets,
            key=self.encryption.key,
            # An API function's PutObject on a bucket is what the presigned PUTs it hands out act with:
            # browsers on the allowed origins may upload there (the imports' files).
            uploaded=[bucket for spec in functions if spec.routes for bucket in spec.archives],
            allowed_origins=self.settings.allowed_origins,
        )
        self.queues = Queues(self, "Queues", queues, key=self.encryption.key)
        buses = dict.fromkeys(bus for spec in functions for bus in spec.publishes)  # unique, in order
        self.event_buses = EventBuses(self, "Events", buses)
        self.identity = Identity(self, "Identity", web=self.settings.web_sign_in)
        self.secrets = Secrets(self, "Secrets", secrets, key=self.encryption.key)
        layers = SharedLayers(self, "Layers")
        self.schedule_group = scheduler.ScheduleGroup(self, "Schedules")
        self.functions = {
            spec.name: CrmFunction(
                self,
                spec,
                tables=self.data.tables,
                buckets=self.buckets.buckets,
                buses=self.event_buses.buses,
                secrets=self.secrets.secrets,
                user_pools={topology.STAFF_POOL.name: self.identity.user_pool},
                queues=self.queues.queues,
                allowed_origins=self.settings.allowed_origins,
                layers=layers.all,
                key=self.encryption.key,
                schedule_group=self.schedule_group,
                operations_key=self.encryption.operations_key,
                snap_start=snap_start,
            )
            for spec in functions
        }
        self.api = Api(
            self,
            "Api",
            routes=[(route, spec) for spec in functions for route in spec.routes],
            functions={name: built.invoked for name, built in self.functions.items()},
            user_pool=self.identity.user_pool,
            allowed_origins=self.settings.allowed_origins,
            key=self.encryption.key,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions=self.functions,
            queues=self.queues.queues.values(),
            schedule_group=self.schedule_group,
            api=self.api.rest_api,
            key=self.encryption.operations_key,
            operator_email=CfnParameter(
                self,
                "OperatorEmail",
                type="String",
                default="",
                description="E-mail address that receives the alarms (empty: subscribe to the topic yourself)",
            ).value_as_string,
        )
