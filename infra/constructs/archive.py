"""The S3 buckets of `crm.topology` (the audit archive, the reports, the imports' files): write-once
where the topology says so, expiring where it says so.

Every bucket is private (all public access blocked, ACLs disabled), refuses plain HTTP, is
encrypted with the stack's customer-managed key (with an S3 bucket key, so S3 asks KMS once per
bucket key rather than once per object), versioned, retained when the stack goes, and logs every
request to one server-access-log bucket. A bucket with `object_lock` has Object Lock on and a
default retention in COMPLIANCE mode of `retention_days`: until then, no one — no function, no
administrator, not the root user — can delete or overwrite a version, shorten its retention or
lift the lock (留痕 for the regulator). The audit archive's is rule data (crm/rules/records.toml:
证券法 第137条, 20 years at least), in days never short of its calendar years: S3 counts a default
retention's Days exactly, where how long its Years are is not documented, and CDK's
`ObjectLockRetention` speaks days. A bucket with `expire_after_days` deletes each object that
long after it was written: a delete marker hides it, the version goes `noncurrent_days` later, and
then S3 removes the marker too (lifecycle expiration does, for a marker left alone).
Functions get `s3:PutObject` on a bucket they `archive` to, and nothing else on it (see
`infra.constructs.function`). A bucket `uploaded` to from browsers (through the presigned PUTs an
API function hands out) answers CORS for PUT from the deployment's allowed origins, and no other.

Each bucket keeps a fixed logical id derived from its topology name, as the tables do, so a
refactoring can never make CloudFormation replace (and orphan) a locked bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from crm import topology
from infra.constructs.data import pascal_case

ACCESS_LOG_RETENTION = Duration.days(365)  # as long as every log group keeps its logs
# What a browser's presigned PUT may send besides the body: its type, its checksum, and the
# `x-amz-` headers the URL was signed with (checksums, server-side encryption); ETag it may read.
UPLOAD_HEADERS = ("Content-Type", "Content-MD5", "x-amz-*")
UPLOAD_EXPOSED_HEADERS = ("ETag",)
UPLOAD_PREFLIGHT_MAX_AGE_S = 3600


def _lifecycle(spec: topology.Bucket) -> list[s3.LifecycleRule] | None:
    if not (spec.infrequent_after_days or spec.noncurrent_days or spec.expire_after_days):
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
            expiration=Duration.days(spec.expire_after_days) if spec.expire_after_days else None,
            noncurrent_version_expiration=Duration.days(spec.noncurrent_days) if spec.noncurrent_days else None,
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
    ]


def bucket_logical_id(bucket: topology.Bucket) -> str:
    return f"{pascal_case(bucket.name)}Bucket"


class Buckets(Construct):
    """One `s3.Bucket` per topology bucket; `buckets` maps topology name → bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        buckets: Iterable[topology.Bucket],
        *,
        key: kms.IKey,
        uploaded: Iterable[topology.Bucket] = (),
        allowed_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.uploaded = frozenset(uploaded)
        self.allowed_origins = tuple(allowed_origins)
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
            cors=self._cors(spec),
            removal_policy=RemovalPolicy.RETAIN,
        )
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.override_logical_id(bucket_logical_id(spec))
        return bucket

    def _cors(self, spec: topology.Bucket) -> list[s3.CorsRule] | None:
        """PUT from the allowed origins on a bucket browsers upload to; nothing anywhere else, and
        nothing at all without an allowed origin (none configured: no browser may)."""
        if spec not in self.uploaded or not self.allowed_origins:
            return None
        return [
            s3.CorsRule(
                id="BrowserUploads",
                allowed_methods=[s3.HttpMethods.PUT],
                allowed_origins=list(self.allowed_origins),
                allowed_headers=list(UPLOAD_HEADERS),
                exposed_headers=list(UPLOAD_EXPOSED_HEADERS),
                max_age=UPLOAD_PREFLIGHT_MAX_AGE_S,
            )
        ]
