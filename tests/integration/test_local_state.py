"""`crm local --state DIR` keeps the buckets' objects as well as the tables' items: a report listed
after a restart must still download (its listing is in a table, its files in a bucket)."""

from __future__ import annotations

from pathlib import Path

import boto3
from moto import mock_aws

from crm.local import provision, state
from crm.topology import AUDIT_ARCHIVE, REPORTS


def fresh_s3() -> object:
    s3 = boto3.client("s3", region_name="us-east-1")
    provision.create_buckets(s3)
    return s3


def test_objects_survive_a_restart_and_only_changes_are_read_again(tmp_path: Path) -> None:
    with mock_aws():
        s3 = fresh_s3()
        s3.put_object(
            Bucket=REPORTS.local_name,
            Key="quarterly/2026Q3/v0001/report.xlsx",
            Body=b"PK\x03\x04book",
            ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Metadata={"sha256": "abc"},
        )
        s3.put_object(
            Bucket=AUDIT_ARCHIVE.local_name,
            Key="audit/2026/12/07/clients-1.jsonl",
            Body=b"{}\n",
            ChecksumAlgorithm="SHA256",
        )
        state.save_objects(s3, tmp_path)
        first = {path: path.stat().st_mtime_ns for path in (tmp_path / state.OBJECTS).rglob("*") if path.is_file()}
        assert len(first) == 2
        assert all(path.stat().st_mode & 0o077 == 0 for path in first)  # the user's alone
        state.save_objects(s3, tmp_path)  # nothing changed: nothing read or written again
        assert {path: path.stat().st_mtime_ns for path in first} == first
        s3.delete_object(Bucket=REPORTS.local_name, Key="quarterly/2026Q3/v0001/report.xlsx")
        s3.put_object(Bucket=REPORTS.local_name, Key="quarterly/2026Q3/v0002/report.xlsx", Body=b"PK\x03\x04v2")
        state.save_objects(s3, tmp_path)
    with mock_aws():  # the next start: empty buckets, then what was kept
        s3 = fresh_s3()
        assert state.load_objects(s3, tmp_path) == 2
        kept = s3.get_object(Bucket=REPORTS.local_name, Key="quarterly/2026Q3/v0002/report.xlsx")
        assert kept["Body"].read() == b"PK\x03\x04v2"
        listed = s3.list_objects_v2(Bucket=REPORTS.local_name)["Contents"]
        assert [o["Key"] for o in listed] == ["quarterly/2026Q3/v0002/report.xlsx"]  # the deleted one stays gone
        archived = s3.get_object(Bucket=AUDIT_ARCHIVE.local_name, Key="audit/2026/12/07/clients-1.jsonl")
        assert archived["Body"].read() == b"{}\n"
