"""Keeping records (证券法（2019）第137条, DOMAIN §14): the records table and its validation, pure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm import rules, topology
from crm.domain.records import MAX_RETENTION_YEARS, MIN_RETENTION_YEARS, RecordRules, retention_days
from tests.unit.breakage import breaking

RECORDS = rules.records()


def test_the_archive_is_kept_twenty_years_as_the_law_requires() -> None:
    assert RECORDS.version
    assert RECORDS.archive_retention_years == 20
    assert RECORDS.archive_retention_days == 7305  # 20 × 365 and five 29 Februaries at most
    assert topology.AUDIT_ARCHIVE.object_lock
    assert topology.AUDIT_ARCHIVE.retention_days == RECORDS.archive_retention_days


def test_a_table_may_keep_records_longer() -> None:
    longer = RecordRules.from_table({"version": "x", "archive_retention_years": MAX_RETENTION_YEARS})
    assert longer.archive_retention_days == 365 * 99 + 25
    # The longest default retention S3 takes (CDK's ObjectLockRetention refuses more).
    assert longer.archive_retention_days <= 36_500 < retention_days(MAX_RETENTION_YEARS + 1)


@pytest.mark.parametrize(
    "breakage",
    [
        breaking("version", KeyError),
        breaking("archive_retention_years", KeyError),
        breaking("archive_retention_years", MIN_RETENTION_YEARS - 1),  # fewer than the law's 20
        breaking("archive_retention_years", 7),
        breaking("archive_retention_years", 0),
        breaking("archive_retention_years", -20),
        breaking("archive_retention_years", MAX_RETENTION_YEARS + 1),
        breaking("archive_retention_years", Decimal("20.5")),  # not a whole number of years
        breaking("archive_retention_years", Decimal("20.0")),
        breaking("archive_retention_years", "20"),
        breaking("archive_retention_years", True),
    ],
)
def test_a_broken_records_table_is_refused(assert_refused, breakage) -> None:
    assert_refused("records", RecordRules.from_table, breakage)
