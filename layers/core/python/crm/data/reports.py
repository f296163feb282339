"""The quarterly reports: their files in the reports bucket (under `quarterly/`) and the record of
each version in the aggregates table (pk = REPORT#<quarter>, sk = v<nnnn>), written last: a version
whose record is missing was never published, whatever files a run cut short left behind."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from crm import config
from crm.data.counters import AggregatesItem
from crm.domain.report import Quarter
from crm.topology import REPORTS

URL_SECONDS = 15 * 60


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


def _bucket() -> str:
    return config.active().bucket(REPORTS)


def key_of(quarter: Quarter, version: int, name: str) -> str:
    return f"{REPORTS.prefix}{quarter}/v{version:04d}/{name}"


def put_file(key: str, body: bytes, content_type: str) -> None:
    _s3().put_object(Bucket=_bucket(), Key=key, Body=body, ContentType=content_type)


def read_file(key: str) -> bytes:
    return bytes(_s3().get_object(Bucket=_bucket(), Key=key)["Body"].read())


def download_url(key: str, file_name: str) -> str:
    """A presigned GET of the file, for 15 minutes (signed here, no request made)."""
    return str(
        _s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(),
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=URL_SECONDS,
        )
    )


class _VersionItem(AggregatesItem):
    quarter = UnicodeAttribute()
    version = NumberAttribute()
    generated_at = UnicodeAttribute()
    figures_digest = UnicodeAttribute()
    manifest = JSONAttribute()


@dataclass(frozen=True)
class ReportVersion:
    quarter: Quarter
    version: int
    generated_at: str
    figures_digest: str
    manifest: dict[str, Any]  # period, version, generated_at, rule versions, files with their SHA-256


def _pk(quarter: Quarter) -> str:
    return f"REPORT#{quarter}"


def latest(quarter: Quarter) -> ReportVersion | None:
    for item in _VersionItem.query(_pk(quarter), scan_index_forward=False, limit=1, consistent_read=True):
        return ReportVersion(
            quarter=quarter,
            version=int(item.version),
            generated_at=item.generated_at,
            figures_digest=item.figures_digest,
            manifest=item.manifest,
        )
    return None


def publish(version: ReportVersion) -> bool:
    """Record a version whose files and manifest are written: it is then the one readers get.
    False when a concurrent run published this version number first."""
    try:
        _VersionItem(
            pk=_pk(version.quarter),
            sk=f"v{version.version:04d}",
            quarter=str(version.quarter),
            version=version.version,
            generated_at=version.generated_at,
            figures_digest=version.figures_digest,
            manifest=version.manifest,
        ).save(condition=_VersionItem.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
