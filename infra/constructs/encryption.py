"""The one customer-managed KMS key for data at rest: every table, bucket, queue of work and log group.

PIPL art. 28–29 and JR/T 0171 grade ID numbers, phone numbers and balances C2: encrypted at rest
under a key the brokerage controls (who may use it, when it rotates, whether it can be disabled),
not only under an AWS-managed one. The key rotates yearly, is retained when the stack goes (data
encrypted under a deleted key is lost), and has an alias named after the stack. Its key policy
keeps the account's IAM in charge (CDK's default) and lets CloudWatch Logs use it for this
account's log groups only; functions get what they need on it through the grants on the tables,
the buckets and the queues, never directly.

A second key, `operations_key`, encrypts what the operators handle: the alarm topic and the jobs'
dead-letter queues. Those carry descriptions of failures (a job's scheduled time, an alarm's
state), never clients' data, and keeping them off the data key spares Scheduler, CloudWatch and
every operator a grant on the key that guards the tables.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# What CloudWatch Logs does with the key for a log group encrypted under it.
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


class Encryption(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = self._key("Key", "data", "tables, audit archive and logs at rest")
        # CloudWatch Logs encrypts log groups with the caller's key only if the key policy lets the
        # regional logs service use it; the encryption context confines that to this account's groups.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs",
                            resource="log-group",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )
        self.operations_key = self._key("OperationsKey", "operations", "alarm topic and jobs' dead-letter queues")
        # CloudWatch alarms publish to the encrypted topic as the CloudWatch service.
        self.operations_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

    def _key(self, construct_id: str, alias: str, what: str) -> kms.Key:
        """A key rotating yearly, kept when the stack goes (data under a deleted key is lost)."""
        stack_name = Stack.of(self).stack_name
        return kms.Key(
            self,
            construct_id,
            description=f"{stack_name}: {what}",
            enable_key_rotation=True,
            alias=f"alias/{stack_name}/{alias}",
            removal_policy=RemovalPolicy.RETAIN,
        )
