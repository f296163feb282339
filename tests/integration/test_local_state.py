"""`crm local --state DIR` keeps the buckets' objects as well as the tables' items: a report listed
after a restart must still download (its listing is in a table, its files in a bucket)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from crm.local import provision, state
from crm.topology import AUDIT_ARCHIVE, REPORTS

BOOK = "quarterly/2026Q3/v0001/report.xlsx"
NEXT_BOOK = "quarterly/2026Q3/v0002/report.xlsx"
BATCH = "audit/2026/12/07/clients-test-local-state.jsonl"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def kept_files(state_dir: Path) -> dict[str, Path]:
    """Each kept object's key and its file (other objects of the shared moto may be there too)."""
    lines = (state_dir / f"{state.OBJECTS}.jsonl").read_text(encoding="utf-8").splitlines()
    return {entry["key"]: state_dir / state.OBJECTS / entry["file"] for entry in map(json.loads, lines)}


def test_objects_survive_a_restart_and_only_changes_are_read_again(tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        provision.create_buckets(s3)
        s3.put_object(Bucket=REPORTS.local_name, Key=BOOK, Body=b"PK\x03\x04v1", ContentType=XLSX)
        s3.put_object(Bucket=AUDIT_ARCHIVE.local_name, Key=BATCH, Body=b"{}\n", ChecksumAlgorithm="SHA256")
        state.save_objects(s3, tmp_path)
        files = kept_files(tmp_path)
        assert files[BOOK].read_bytes() == b"PK\x03\x04v1"
        assert files[BATCH].stat().st_mode & 0o077 == 0  # the user's alone
        written = {key: path.stat().st_mtime_ns for key, path in files.items()}
        state.save_objects(s3, tmp_path)  # nothing changed: nothing written again
        assert {key: path.stat().st_mtime_ns for key, path in kept_files(tmp_path).items()} == written

        s3.delete_object(Bucket=REPORTS.local_name, Key=BOOK)
        s3.put_object(Bucket=REPORTS.local_name, Key=NEXT_BOOK, Body=b"PK\x03\x04v2", ContentType=XLSX)
        state.save_objects(s3, tmp_path)
        assert BOOK not in kept_files(tmp_path)
        assert not files[BOOK].exists()

        # the next start: the object gone from the bucket, then what was kept put back
        s3.delete_object(Bucket=REPORTS.local_name, Key=NEXT_BOOK)
        assert state.load_objects(s3, tmp_path) >= 2
        kept = s3.get_object(Bucket=REPORTS.local_name, Key=NEXT_BOOK)
        assert (kept["Body"].read(), kept["ContentType"]) == (b"PK\x03\x04v2", XLSX)
        assert s3.get_object(Bucket=AUDIT_ARCHIVE.local_name, Key=BATCH)["Body"].read() == b"{}\n"
        with pytest.raises(ClientError):
            s3.head_object(Bucket=REPORTS.local_name, Key=BOOK)  # what was deleted stays gone
