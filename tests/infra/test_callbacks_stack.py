"""The callbacks capability as deployed (DOMAIN §5–6): the daily job's schedule and target, what
each of its functions may touch (spelled out here, not derived from the topology, so a grant
widened there by mistake fails), the stream sources of the schedule consumer, the task indexes."""

from __future__ import annotations

import json

from crm import topology
from infra.constructs.data import table_logical_id
from tests.infra.iam import actions, applies_to
from tests.infra.test_topology_parity import READ_ONLY, WRITE


def granted(synthesised, function: str, table: topology.Table) -> set[str]:
    return {
        action
        for statement in synthesised.statements(synthesised.role_id(function))
        if applies_to(statement, table_logical_id(table), ("Arn", None), named=True)
        for action in actions(statement)
        if action.startswith("dynamodb:")
    }


def test_the_callbacks_job_runs_daily_at_six_in_beijing_on_its_own_function(synthesised):
    (schedule,) = [
        s
        for s in synthesised.properties("AWS::Scheduler::Schedule").values()
        if s["Description"] == "crm job callbacks"
    ]
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        "cron(0 6 * * ? *)",
        "Asia/Shanghai",
    )
    target = schedule["Target"]
    assert synthesised.refers_to(target["Arn"], synthesised.function_id("callback_generation"))
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    function = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id("callback_generation")]
    assert function["Timeout"] == 900


def test_the_job_creates_tasks_and_only_reads_clients_and_settings(synthesised):
    assert granted(synthesised, "callback_generation", topology.CALLBACKS) >= WRITE
    for table in (topology.CLIENTS, topology.SETTINGS):
        reads = granted(synthesised, "callback_generation", table)
        assert "dynamodb:ConditionCheckItem" in reads or table is topology.SETTINGS
        assert reads <= READ_ONLY, table.name
    for table in (topology.SERVICE, topology.AUDIT, topology.IDEMPOTENCY):
        assert granted(synthesised, "callback_generation", table) == set(), table.name


def test_the_schedule_consumer_writes_only_the_schedule_and_reads_no_table_it_need_not(synthesised):
    assert granted(synthesised, "callback_schedule", topology.CALLBACKS) >= WRITE
    for table in (topology.CLIENTS, topology.SERVICE, topology.SETTINGS, topology.AUDIT):
        assert granted(synthesised, "callback_schedule", table) == set(), table.name


def test_attempts_may_move_complaints_but_never_client_records(synthesised):
    assert granted(synthesised, "callbacks", topology.SERVICE) >= WRITE  # a done callback moves its complaint
    assert granted(synthesised, "callbacks", topology.CLIENTS) == set()
    assert granted(synthesised, "retention", topology.CLIENTS) >= WRITE  # the client's status follows the outcome
    assert granted(synthesised, "retention", topology.CALLBACKS) == set()  # the job alone creates tasks


def test_the_schedule_consumer_reads_client_records_replied_complaints_and_decided_cases(synthesised):
    mappings = [
        m
        for m in synthesised.properties("AWS::Lambda::EventSourceMapping").values()
        if m["FunctionName"] == {"Ref": synthesised.function_id("callback_schedule")}
    ]
    patterns = sorted(
        json.dumps(json.loads(f["Pattern"]), sort_keys=True) for m in mappings for f in m["FilterCriteria"]["Filters"]
    )
    assert len(mappings) == 2
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    assert all(m["BisectBatchOnFunctionError"] and "OnFailure" in m["DestinationConfig"] for m in mappings)
    assert any('"PROFILE"' in p for p in patterns)
    assert any('"COMPLAINT"' in p and '"replied"' in p for p in patterns)
    assert any('"CASE"' in p and '"transferred"' in p and '"closed"' in p for p in patterns)


def test_tasks_are_listed_by_branch_client_and_open_work_and_the_job_reads_a_sparse_schedule(synthesised):
    table = synthesised.properties("AWS::DynamoDB::Table")[table_logical_id(topology.CALLBACKS)]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {
        "by_branch": ["branch_id", "due_key"],
        "by_client": ["client_id", "due_key"],
        "open_work": ["open_owner", "due_key"],
        "schedule": ["schedule_shard", "create_on"],
    }
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    clients = synthesised.properties("AWS::DynamoDB::Table")[table_logical_id(topology.CLIENTS)]
    assert "at_risk" in {i["IndexName"] for i in clients["GlobalSecondaryIndexes"]}
