"""An import's files in the imports bucket (under `imports/<id>/`): the upload (a presigned PUT),
the parts of its failed rows each chunk leaves, and the failed-rows file made of them at the end
(a presigned GET). The bucket is versioned: the import reads the version of the upload it found
when it started, whatever is uploaded after."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO, Any

from crm import config
from crm.domain.imports import failed_part_key, failed_rows_key, upload_key
from crm.topology import IMPORT_FILES

READ_BYTES = 1024 * 1024  # what is read of the upload at a time
SPOOL_BYTES = 8 * 1024 * 1024  # a failed-rows file is put together in memory up to this size, then on disk


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


def _bucket() -> str:
    return config.active().bucket(IMPORT_FILES)


def upload_url(import_id: str, expires_s: int) -> str:
    """A presigned PUT of the import's file (signed here, no request made)."""
    return str(
        _s3().generate_presigned_url(
            "put_object", Params={"Bucket": _bucket(), "Key": upload_key(import_id)}, ExpiresIn=expires_s
        )
    )


@dataclass(frozen=True)
class Upload:
    size: int
    version: str | None  # None where the bucket keeps no versions (never in AWS)


def uploaded(import_id: str) -> Upload | None:
    """The upload as it is now, or None when nothing was uploaded."""
    from botocore.exceptions import ClientError

    try:
        head = _s3().head_object(Bucket=_bucket(), Key=upload_key(import_id))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    version = head.get("VersionId")
    return Upload(size=int(head["ContentLength"]), version=None if version in (None, "null") else str(version))


def read_upload(import_id: str, version: str | None) -> Iterator[bytes]:
    """The upload's bytes as they arrive (memory: one read at a time)."""
    request: dict[str, Any] = {"Bucket": _bucket(), "Key": upload_key(import_id)}
    if version:
        request["VersionId"] = version
    body = _s3().get_object(**request)["Body"]
    try:
        yield from body.iter_chunks(READ_BYTES)
    finally:
        body.close()


def put_failed_part(import_id: str, chunk: int, data: bytes) -> None:
    _s3().put_object(Bucket=_bucket(), Key=failed_part_key(import_id, chunk), Body=data, ContentType="text/csv")


def read_failed_part(import_id: str, chunk: int) -> bytes:
    return bytes(_s3().get_object(Bucket=_bucket(), Key=failed_part_key(import_id, chunk))["Body"].read())


def write_failed_rows(import_id: str, write: Callable[[IO[bytes]], None]) -> None:
    """The failed-rows file, as `write` writes it (to memory, or to disk when it is large)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        write(out)
        out.seek(0)
        _s3().upload_fileobj(
            out, _bucket(), failed_rows_key(import_id), ExtraArgs={"ContentType": "text/csv; charset=utf-8"}
        )


def failed_rows_url(import_id: str, file_name: str, expires_s: int) -> str:
    """A presigned GET of the failed-rows file (signed here, no request made)."""
    return str(
        _s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(),
                "Key": failed_rows_key(import_id),
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=expires_s,
        )
    )
