"""The DynamoDB tables of `crm.topology`: keys, indexes, streams and TTL exactly as declared there.

Every table is on-demand, has point-in-time recovery, is encrypted with the stack's customer-managed
KMS key (its stream too), is protected against deletion and is retained when the stack goes. Each
keeps a fixed logical id derived from its topology name, so refactoring the construct tree can never
make CloudFormation replace (and orphan) a table.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from crm import topology

# Encryption at rest for every table, in this one place: the customer-managed key of
# `infra.constructs.encryption`. CDK's table grants (read, read-write, stream read) add the key
# actions they need to the grantee; a grant made by hand (`appends`) must add them itself.
TABLE_ENCRYPTION = dynamodb.TableEncryption.CUSTOMER_MANAGED

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def pascal_case(name: str) -> str:
    """`by_branch` → `ByBranch`: a topology name as a CloudFormation logical-id fragment."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def table_logical_id(table: topology.Table) -> str:
    return f"{pascal_case(table.name)}Table"


def _attribute(key: topology.Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def _optional_attribute(key: topology.Key | None) -> dynamodb.Attribute | None:
    return _attribute(key) if key is not None else None


class Data(Construct):
    """One `dynamodb.Table` per topology table; `tables` maps topology name → table."""

    def __init__(self, scope: Construct, construct_id: str, tables: Iterable[topology.Table], *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.tables: dict[str, dynamodb.Table] = {spec.name: self._table(spec) for spec in tables}

    def _table(self, spec: topology.Table) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            pascal_case(spec.name),
            partition_key=_attribute(spec.partition_key),
            sort_key=_optional_attribute(spec.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=TABLE_ENCRYPTION,
            encryption_key=self.key,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_optional_attribute(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        cfn_table = table.node.default_child
        assert isinstance(cfn_table, dynamodb.CfnTable)
        cfn_table.override_logical_id(table_logical_id(spec))
        return table
