"""The quarterly report as deployed (第55条; DOMAIN §9): the job runs just after a quarter ends,
reads the counters and adds its version's record and files (under `quarterly/` alone); the routes
read the files they hand out and nothing else; no function but these two touches the bucket."""

from __future__ import annotations

from crm import topology
from infra.constructs.archive import bucket_logical_id
from tests.infra.iam import actions, applies_to
from tests.infra.test_callbacks_stack import granted
from tests.infra.test_topology_parity import READ_ONLY, WRITE

REPORTS_ID = bucket_logical_id(topology.REPORTS)
OBJECTS = {"Fn::Join": ["", [{"Fn::GetAtt": [REPORTS_ID, "Arn"]}, "/quarterly/*"]]}


def _on_reports(synthesised, function: str) -> list[tuple[list[str], object]]:
    return [
        (actions(statement), statement["Resource"])
        for statement in synthesised.statements(synthesised.role_id(function))
        if applies_to(statement, REPORTS_ID, named=True)
    ]


def test_the_job_runs_an_hour_into_each_quarter_in_beijing(synthesised):
    (schedule,) = [
        s
        for s in synthesised.properties("AWS::Scheduler::Schedule").values()
        if s["Description"] == "crm job quarterly-report"
    ]
    # 01:00 Beijing on 1 January, April, July and October
    assert schedule["ScheduleExpression"] == "cron(0 1 1 1,4,7,10 ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    target = schedule["Target"]
    assert synthesised.refers_to(target["Arn"], synthesised.function_id("quarterly_report"))
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_the_job_reads_counters_and_adds_only_its_files_and_version_record(synthesised):
    on_counters = granted(synthesised, "quarterly_report", topology.AGGREGATES)
    assert on_counters - READ_ONLY == {"dynamodb:PutItem"}  # never UpdateItem: counters are not its to move
    assert {"dynamodb:Query", "dynamodb:GetItem"} <= on_counters
    for table in topology.TABLES:
        if table is not topology.AGGREGATES:
            assert granted(synthesised, "quarterly_report", table) == set(), table.name
    assert _on_reports(synthesised, "quarterly_report") == [(["s3:PutObject"], OBJECTS)]


def test_the_routes_read_the_files_and_write_nothing(synthesised):
    assert _on_reports(synthesised, "reports") == [(["s3:GetObject"], OBJECTS)]
    assert granted(synthesised, "reports", topology.AGGREGATES) <= READ_ONLY
    assert not granted(synthesised, "reports", topology.AGGREGATES) & WRITE
    function = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id("reports")]
    assert function["Environment"]["Variables"][topology.REPORTS.env_var] == {"Ref": REPORTS_ID}


def test_no_other_function_touches_the_reports_bucket(synthesised):
    for spec in synthesised.functions:
        if spec.name not in ("quarterly_report", "reports"):
            assert _on_reports(synthesised, spec.name) == [], spec.name


def test_the_reports_bucket_is_encrypted_with_the_project_key(synthesised):
    properties = synthesised.properties("AWS::S3::Bucket")[REPORTS_ID]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = rule["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
