"""The S3 buckets of `crm.topology` (the audit archive): write-once where the topology says so.

Every bucket is private (all public access blocked, ACLs disabled), refuses plain HTTP, is
encrypted with the stack's customer-managed key (with an S3 bucket key, so S3 asks KMS once per
bucket key rather than once per object), versioned, retained when the stack goes, and logs every
request to one server-access-log bucket. A bucket with `object_lock` has Object Lock on and a
default retention in COMPLIANCE mode of `retention_days`: until then, no one — no function, no
administrator, not the root user — can delete or overwrite a version, shorten its retention or
lift the lock (留痕 for the regulator). Functions get `s3:PutObject` on a bucket they `archive` to,
and nothing else on it (see `infra.constructs.function`).

Each bucket keeps a fixed logical id derived from its topology name, as the tables do, so a
refactoring can never make CloudFormation replace (and orphan) a locked bucket.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from crm import topology
from infra.constructs.data import pascal_case

ACCESS_LOG_RETENTION = Duration.days(365)  # as long as every log group keeps its logs


def _lifecycle(spec: topology.Bucket) -> list[s3.LifecycleRule] | None:
    if not (spec.infrequent_after_days or spec.noncurrent_days):
        return None
    return [
        s3.LifecycleRule(
            id="Age",
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(spec.infrequent_after_days),
                )
            ]
            if spec.infrequent_after_days
            else None,
            noncurrent_version_expiration=Duration.days(spec.noncurrent_days) if spec.noncurrent_days else None,
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
    ]


def bucket_logical_id(bucket: topology.Bucket) -> str:
    return f"{pascal_case(bucket.name)}Bucket"


class Buckets(Construct):
    """One `s3.Bucket` per topology bucket; `buckets` maps topology name → bucket."""

    def __init__(
        self, scope: Construct, construct_id: str, buckets: Iterable[topology.Bucket], *, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        # cdk-nag exempts a bucket that receives server access logs from logging its own (S1).
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging delivers only into buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            # Versioned like the buckets it watches: an overwritten or deleted log stays, for as
            # long as the logs themselves are kept.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=ACCESS_LOG_RETENTION,
                    noncurrent_version_expiration=ACCESS_LOG_RETENTION,
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.buckets: dict[str, s3.Bucket] = {spec.name: self._bucket(spec) for spec in buckets}

    def _bucket(self, spec: topology.Bucket) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            pascal_case(spec.name),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            object_lock_enabled=spec.object_lock or None,
            object_lock_default_retention=(
                s3.ObjectLockRetention.compliance(Duration.days(spec.retention_days)) if spec.object_lock else None
            ),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{spec.name}/",
            lifecycle_rules=_lifecycle(spec),
            removal_policy=RemovalPolicy.RETAIN,
        )
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.override_logical_id(bucket_logical_id(spec))
        return bucket
