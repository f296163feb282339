"""The audit archive: each batch of audit entries as one JSON-lines object in an S3 bucket
under object lock (in AWS: compliance mode, so not even an administrator can delete it early)."""

from __future__ import annotations

from functools import cache
from typing import Any

from crm import config
from crm.data.audit import as_json_line
from crm.domain.audit import AuditEntry
from crm.topology import AUDIT_ARCHIVE


@cache
def _client() -> Any:
    import boto3

    return boto3.client("s3")


def archive(entries: list[AuditEntry], batch_id: str) -> str | None:
    """Write the batch; the key is stable, so a retried batch adds a version, never a gap."""
    if not entries:
        return None
    first = entries[0].at
    key = f"audit/{first:%Y/%m/%d}/{entries[0].table}-{batch_id}.jsonl"
    _client().put_object(
        Bucket=config.active().bucket(AUDIT_ARCHIVE),
        Key=key,
        Body="".join(as_json_line(entry) + "\n" for entry in entries).encode("utf-8"),
        ContentType="application/x-ndjson",
        ChecksumAlgorithm="SHA256",  # object lock requires an integrity checksum on every put
    )
    return key
