"""Records kept as the law requires (证券法（2019）第137条, DOMAIN §14): account-opening records,
orders, trades and the information of internal management and business operations kept at least
20 years, and nobody may hide, forge, alter or destroy them.

The template is held to it: the audit archive (every change of every record, 留痕) is locked in
COMPLIANCE mode for 20 calendar years at least, from the rule table crm/rules/records.toml; every
table survives a stack deletion or replacement and is protected from deletion, with point-in-time
recovery; the buckets holding records are retained; and every table whose items are records
streams its changes to the `audit` function, which appends them to the trail and its archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from crm import rules, topology
from crm.domain.records import MIN_RETENTION_YEARS, retention_days
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import table_logical_id

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")

# The tables whose items are no records of their own, so that no stream carries their changes to
# the archive, and why none is needed:
NOT_STREAMED = {
    # Powertools' idempotency keys: a request's key and its answer for a few hours (TTL), to answer
    # a retry the same; the records that request made are in the other tables, and archived.
    topology.IDEMPOTENCY: "transient request keys, expiring",
    # The trail itself: its entries are appended by the audit function, which archives each batch
    # as it writes it (a stream of it would archive the archive); so must any other function that
    # appends to it (see the last test).
    topology.AUDIT: "the audit trail, archived by its writer",
    # Counters the streams derive from the records (which are archived) and the record of each
    # quarterly report's version, whose files are in the reports bucket (retained, versioned).
    topology.AGGREGATES: "derived counters, and report versions whose files are in the reports bucket",
}

# Stream sources of the audit function that archive part of a table's changes only, and why the
# rest are not records.
FILTERED = {
    # The jobs (JOB: the import's state and counts); not their chunks (CHUNK#<n>: the working
    # counts of one batch of rows, summed into the job): the rows' records are in the tables they
    # were applied to, whose streams archive them.
    topology.IMPORTS: "the import jobs, not their chunks' working counts",
}

# The buckets whose objects are records: the archive of every change, and the quarterly reports
# headquarters receives (第55条). The imports' files are working copies, gone after 90 days.
RECORD_BUCKETS = (topology.AUDIT_ARCHIVE, topology.REPORTS)


def _templates(built: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The main stack's template and each nested stack's (the API's, the monitoring's, …), as the
    synth wrote them: a table declared in any of them is checked."""
    yield "main", built.main_template
    nested = sorted(built.assembly_dir.glob("*.nested.template.json"))
    assert nested, "the API is a nested stack: its template is in the assembly"
    for path in nested:
        yield path.name, json.loads(path.read_text(encoding="utf-8"))


def _tables(built: Any) -> dict[str, dict[str, Any]]:
    """Every table of every template, by `<template>/<logical id>`."""
    return {
        f"{name}/{logical_id}": resource
        for name, template in _templates(built)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in TABLE_TYPES
    }


@pytest.fixture(params=["synthesised", "extended"])
def built(request):
    """The stack as deployed, and one grown by a table infra/ has never heard of."""
    return request.getfixturevalue(request.param)


def test_the_archive_is_locked_in_compliance_mode_for_twenty_years_at_least(synthesised):
    properties = synthesised.properties("AWS::S3::Bucket")[bucket_logical_id(topology.AUDIT_ARCHIVE)]
    assert properties["ObjectLockEnabled"] is True
    lock = properties["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE"
    # Days, never short of 20 calendar years whatever day an object is written (five 29 Februaries
    # at most): 7,305; 20 × 365 would end up to five days early.
    assert set(retention) == {"Mode", "Days"}
    assert retention["Days"] >= 20 * 365 + 5
    # … and taken from the rule table, where the statute is cited.
    years = rules.records().archive_retention_years
    assert years >= MIN_RETENTION_YEARS == 20
    assert retention["Days"] == retention_days(years) == topology.AUDIT_ARCHIVE.retention_days
    assert "LifecycleConfiguration" not in properties  # nothing expires what is locked


def test_the_twenty_years_are_counted_in_days_never_short_of_calendar_years():
    """Any span of n calendar years, from whatever day, is at most `retention_days(n)` days long,
    and some span is exactly that long: the fewest days that are always enough."""
    for years in (20, 21, 30, 99):
        longest = max(
            (date(start.year + years, start.month, start.day) - start).days
            for start in (date(1996, 1, 1) + timedelta(days=offset) for offset in range(0, 4 * 366, 7))
            if not (start.month == 2 and start.day == 29)
        )
        assert longest == retention_days(years)


def test_every_table_is_retained_protected_and_recoverable(built):
    tables = _tables(built)
    # Every table of the topology is there, and only those: none hides elsewhere unchecked.
    logical_ids = sorted(where.rsplit("/", 1)[1] for where in tables)
    assert logical_ids == sorted(table_logical_id(spec) for spec in built.tables)
    for where, table in tables.items():
        assert table["DeletionPolicy"] == "Retain", where
        assert table["UpdateReplacePolicy"] == "Retain", where
        properties = table["Properties"]
        assert properties["DeletionProtectionEnabled"] is True, where
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, where


@pytest.mark.parametrize("spec", RECORD_BUCKETS, ids=lambda spec: spec.name)
def test_the_buckets_holding_records_are_retained_and_versioned(synthesised, spec):
    bucket = synthesised.resources("AWS::S3::Bucket")[bucket_logical_id(spec)]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert not spec.expire_after_days  # no record is deleted by age


def test_every_table_of_records_streams_its_changes_to_the_audit_archive():
    audit = topology.function("audit")
    assert topology.AUDIT_ARCHIVE in audit.archives
    sources = {source.table: source for source in audit.streams}
    record_tables = {table for table in topology.TABLES if table.stream}
    assert set(sources) == record_tables
    assert record_tables | set(NOT_STREAMED) == set(topology.TABLES)
    assert not record_tables & set(NOT_STREAMED)
    assert {table for table, source in sources.items() if source.filters} == set(FILTERED)
    for table in record_tables:
        assert table.ttl_attribute is None, f"{table.name}: records never expire"


def test_the_stack_maps_each_table_of_records_to_the_audit_function(synthesised):
    function_id = synthesised.function_id("audit")
    mapped = {
        mapping["EventSourceArn"]["Fn::GetAtt"][0]: mapping
        for mapping in synthesised.properties("AWS::Lambda::EventSourceMapping").values()
        if mapping.get("FunctionName") == {"Ref": function_id}
    }
    assert set(mapped) == {table_logical_id(table) for table in topology.TABLES if table.stream}
    for table in topology.TABLES:
        if table.stream:
            assert ("FilterCriteria" in mapped[table_logical_id(table)]) == (table in FILTERED), table.name


def test_every_function_writing_the_audit_trail_archives_what_it_writes():
    """The audit table has no stream: an entry reaches the archive only if its writer archives it."""
    writers = [spec for spec in topology.FUNCTIONS if topology.AUDIT in spec.appends + spec.writes]
    assert "audit" in {spec.name for spec in writers}
    assert not {spec.name for spec in writers if topology.AUDIT_ARCHIVE not in spec.archives}
