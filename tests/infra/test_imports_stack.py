"""Bulk imports as deployed (issue 21; DOMAIN §13): S3 → SQS → Lambda. The two queues of work and
their dead-letter queues (under the data key: the rows are personal information), the mappings that
feed the workers, who may send, receive and touch the files (spelled out here, not derived from the
topology, so a grant widened there by mistake fails), the imports bucket's lifecycle and browser
uploads, the imports table, and the alarms on what failed for good."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Validations

from crm import topology
from infra.constructs import function as function_construct
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import table_logical_id
from infra.constructs.queues import dead_letters_logical_id, queue_logical_id
from infra.stack import BrokerageCrmStack
from tests.infra.conftest import synth_flattened
from tests.infra.iam import actions, allows_any, applies_to
from tests.infra.test_callbacks_stack import granted
from tests.infra.test_monitoring import _alarms, _on
from tests.infra.test_topology_parity import READ_ONLY, WRITE

JOBS, ROWS = topology.IMPORT_JOBS, topology.IMPORT_ROWS
BUCKET_ID = bucket_logical_id(topology.IMPORT_FILES)
OBJECTS = {"Fn::Join": ["", [{"Fn::GetAtt": [BUCKET_ID, "Arn"]}, "/imports/*"]]}
CONSUME = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
WORKERS = ("imports", "import_files", "import_rows")


def _every_role_statement(synthesised):
    """(role logical id, statement) for every role of the stack: functions', schedules', services'."""
    for role_id in synthesised.resources("AWS::IAM::Role"):
        for statement in synthesised.statements(role_id):
            yield role_id, statement


def _on_queue(synthesised, function: str, logical_id: str) -> set[str]:
    return {
        action
        for statement in synthesised.statements(synthesised.role_id(function))
        if applies_to(statement, logical_id, named=True)
        for action in actions(statement)
    }


# --- The queues ------------------------------------------------------------------------------


def test_the_two_queues_and_their_dead_letters_are_encrypted_with_the_data_key(synthesised):
    queues = synthesised.properties("AWS::SQS::Queue")
    data_key = {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
    for spec in topology.QUEUES:
        for logical_id in (queue_logical_id(spec), dead_letters_logical_id(spec)):
            assert queues[logical_id]["KmsMasterKeyId"] == data_key, logical_id  # not SQS's key, not operations'
            assert "SqsManagedSseEnabled" not in queues[logical_id]
    assert [spec.name for spec in topology.QUEUES] == ["import-jobs", "import-rows"]


def test_the_queues_refuse_plain_http_and_their_policies_only_deny(synthesised):
    policies = list(synthesised.properties("AWS::SQS::QueuePolicy").values())
    for spec in topology.QUEUES:
        for logical_id in (queue_logical_id(spec), dead_letters_logical_id(spec)):
            (policy,) = [policy for policy in policies if {"Ref": logical_id} in policy["Queues"]]
            (deny,) = policy["PolicyDocument"]["Statement"]
            assert (deny["Effect"], deny["Action"], deny["Condition"]) == (
                "Deny",
                "sqs:*",
                {"Bool": {"aws:SecureTransport": "false"}},
            )


@pytest.mark.parametrize(
    ("spec", "visibility_timeout_s", "worker", "timeout_s"),
    [(JOBS, 5400, "import_files", 900), (ROWS, 360, "import_rows", 60)],
    ids=["jobs", "rows"],
)
def test_a_message_is_hidden_six_timeouts_of_its_worker_and_dead_lettered_after_five_receives(
    synthesised, spec, visibility_timeout_s, worker, timeout_s
):
    queues = synthesised.resources("AWS::SQS::Queue")
    queue = queues[queue_logical_id(spec)]["Properties"]
    assert queue["VisibilityTimeout"] == visibility_timeout_s == 6 * timeout_s
    assert queue["MessageRetentionPeriod"] == 4 * 86400
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_logical_id(spec), "Arn"]},
        "maxReceiveCount": 5,
    }
    dead_letters = queues[dead_letters_logical_id(spec)]
    assert dead_letters["Properties"]["MessageRetentionPeriod"] == 14 * 86400  # the most SQS keeps
    assert "RedrivePolicy" not in dead_letters["Properties"]
    function = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id(worker)]
    assert function["Timeout"] == timeout_s


def test_each_dead_letter_queue_alarms_on_its_first_message_and_each_queue_on_an_hour_old_one(synthesised):
    alarms = _alarms(synthesised)
    for spec in topology.QUEUES:
        dead_letters = {"Fn::GetAtt": [dead_letters_logical_id(spec), "QueueName"]}
        (visible,) = _on(alarms, "ApproximateNumberOfMessagesVisible", "QueueName", dead_letters)
        assert (visible["Statistic"], visible["Threshold"], visible["ComparisonOperator"]) == (
            "Maximum",
            0,
            "GreaterThanThreshold",
        )
        assert visible["Namespace"] == "AWS/SQS"
        queue = {"Fn::GetAtt": [queue_logical_id(spec), "QueueName"]}
        (oldest,) = _on(alarms, "ApproximateAgeOfOldestMessage", "QueueName", queue)
        assert (oldest["Statistic"], oldest["Threshold"]) == ("Maximum", 3600)
        assert spec.purpose in oldest["AlarmDescription"]
    # The workers' errors and throttles, as every function's (tests/infra/test_monitoring.py).
    for name in ("import_files", "import_rows"):
        function = {"Ref": synthesised.function_id(name)}
        assert _on(alarms, "Errors", "FunctionName", function)
        assert _on(alarms, "Throttles", "FunctionName", function)


# --- The workers' mappings -------------------------------------------------------------------


def _queue_mappings(synthesised) -> dict[str, dict[str, Any]]:
    """Logical id of the queue → its mapping, for every SQS mapping of the stack."""
    queues = synthesised.resources("AWS::SQS::Queue")
    found: dict[str, dict[str, Any]] = {}
    for mapping in synthesised.properties("AWS::Lambda::EventSourceMapping").values():
        source_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
        if source_id in queues:
            assert source_id not in found, f"two mappings on {source_id}"
            found[source_id] = mapping
    return found


def test_each_queue_feeds_its_one_worker_one_message_at_a_time_with_bounded_concurrency(synthesised):
    mappings = _queue_mappings(synthesised)
    assert mappings.keys() == {queue_logical_id(JOBS), queue_logical_id(ROWS)}
    for spec, worker, concurrency in ((JOBS, "import_files", 2), (ROWS, "import_rows", 5)):
        mapping = mappings[queue_logical_id(spec)]
        assert mapping["FunctionName"] == {"Ref": synthesised.function_id(worker)}  # $LATEST: no alias
        assert mapping["BatchSize"] == 1
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": concurrency}
        # A failed message alone comes back (after its visibility timeout); the batch's others are deleted.
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "FilterCriteria" not in mapping  # a filtered-out message would be deleted unread


# --- Who may do what with the queues ---------------------------------------------------------


def test_only_each_worker_receives_from_its_queue_and_nobody_from_the_dead_letters(synthesised):
    receiving = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue")
    for spec, worker in ((JOBS, "import_files"), (ROWS, "import_rows")):
        consumers = {
            role_id
            for role_id, statement in _every_role_statement(synthesised)
            if applies_to(statement, queue_logical_id(spec)) and allows_any(statement, receiving)
        }
        assert consumers == {synthesised.role_id(worker)}, spec.name
        assert _on_queue(synthesised, worker, queue_logical_id(spec)) == CONSUME
        touching = [
            role_id
            for role_id, statement in _every_role_statement(synthesised)
            if applies_to(statement, dead_letters_logical_id(spec), named=True)
        ]
        assert touching == [], spec.name


def test_only_the_senders_may_send_and_with_sqs_send_message_alone(synthesised):
    senders = {JOBS: {"imports", "import_rows"}, ROWS: {"import_files"}}
    for spec, names in senders.items():
        sending = {
            role_id
            for role_id, statement in _every_role_statement(synthesised)
            if applies_to(statement, queue_logical_id(spec)) and allows_any(statement, ["sqs:SendMessage"])
        }
        assert sending == {synthesised.role_id(name) for name in names}, spec.name
    assert _on_queue(synthesised, "imports", queue_logical_id(JOBS)) == {"sqs:SendMessage"}
    assert _on_queue(synthesised, "imports", queue_logical_id(ROWS)) == set()
    assert _on_queue(synthesised, "import_files", queue_logical_id(ROWS)) == {"sqs:SendMessage"}
    assert _on_queue(synthesised, "import_rows", queue_logical_id(JOBS)) == {"sqs:SendMessage"}


def test_senders_find_the_queue_by_its_url_in_their_environment(synthesised):
    functions = synthesised.properties("AWS::Lambda::Function")
    for name, spec in (("imports", JOBS), ("import_rows", JOBS), ("import_files", ROWS)):
        variables = functions[synthesised.function_id(name)]["Environment"]["Variables"]
        assert {key: value for key, value in variables.items() if key.startswith("QUEUE_")} == {
            spec.env_var: {"Ref": queue_logical_id(spec)}  # a queue's Ref is its URL
        }
    assert JOBS.env_var == "QUEUE_IMPORT_JOBS"
    assert ROWS.env_var == "QUEUE_IMPORT_ROWS"


def test_on_the_key_senders_encrypt_and_consumers_only_decrypt(synthesised):
    """What SQS asks for on their behalf: a data key (and decrypt, to reuse one) to send; decrypt to
    receive. No administration of the key, no re-encryption, for the queues' sake."""
    key_id = synthesised.key_id

    def key_statements(function: str) -> list[list[str]]:
        return [
            sorted(actions(statement))
            for statement in synthesised.statements(synthesised.role_id(function))
            if applies_to(statement, key_id, ("Arn",), named=True) and "Condition" not in statement
        ]

    for sender in ("imports", "import_files", "import_rows"):
        assert ["kms:Decrypt", "kms:GenerateDataKey"] in key_statements(sender), sender
    for consumer in ("import_files", "import_rows"):
        assert ["kms:Decrypt"] in key_statements(consumer), consumer


# --- The imports bucket ----------------------------------------------------------------------


def _on_bucket(synthesised, role_id: str) -> list[tuple[list[str], object]]:
    return [
        (sorted(actions(statement)), statement["Resource"])
        for statement in synthesised.statements(role_id)
        if applies_to(statement, BUCKET_ID, named=True)
    ]


def test_the_imports_function_puts_and_gets_objects_under_imports_only(synthesised):
    """The presigned PUT of the upload and GET of the failed rows act with these grants."""
    assert sorted(_on_bucket(synthesised, synthesised.role_id("imports"))) == [
        (["s3:GetObject"], OBJECTS),
        (["s3:PutObject"], OBJECTS),
    ]
    assert sorted(_on_bucket(synthesised, synthesised.role_id("import_files"))) == [
        (["s3:GetObject"], OBJECTS),
        (["s3:PutObject"], OBJECTS),
    ]
    assert _on_bucket(synthesised, synthesised.role_id("import_rows")) == [(["s3:PutObject"], OBJECTS)]


def test_nobody_else_touches_the_imports_bucket(synthesised):
    workers = {synthesised.role_id(name) for name in WORKERS}
    touching = {
        role_id
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, BUCKET_ID, named=True)
    }
    assert touching == workers
    tampering = ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy")
    assert not [
        (role_id, action)
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, BUCKET_ID)
        for action in allows_any(statement, tampering)
    ]


def test_the_imports_bucket_expires_files_after_90_days_and_old_versions_after_one(synthesised):
    properties = synthesised.properties("AWS::S3::Bucket")[BUCKET_ID]
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 90
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert "Transitions" not in rule
    assert "ObjectLockEnabled" not in properties
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [synthesised.key_id, "Arn"]},
    }
    # (Versioned, private, TLS only, logged, retained: tests/infra/test_stack.py, for every bucket.)


def test_without_allowed_origins_no_bucket_answers_cors(synthesised):
    assert synthesised.stack.settings.allowed_origins == ()  # cdk.json's
    assert not [p for p in synthesised.properties("AWS::S3::Bucket").values() if "CorsConfiguration" in p]


ORIGINS = ["https://crm.example.com", "https://hq.example.com"]


@pytest.fixture(scope="module")
def with_origins() -> dict[str, Any]:
    """The imports' and the reports' functions, with two allowed origins as `-c allowed_origins=…` gives them."""
    app = App(context={"allowed_origins": json.dumps(ORIGINS)})
    functions = tuple(topology.function(name) for name in (*WORKERS, "reports", "quarterly_report", "audit"))
    return synth_flattened(app, BrokerageCrmStack(app, "ImportsWithOrigins", functions=functions))


def test_browsers_on_the_allowed_origins_may_put_into_the_imports_bucket_and_nowhere_else(with_origins):
    buckets = {
        logical_id: resource["Properties"]
        for logical_id, resource in with_origins["Resources"].items()
        if resource["Type"] == "AWS::S3::Bucket"
    }
    (rule,) = buckets[BUCKET_ID]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedOrigins"] == ORIGINS
    assert "*" not in rule["AllowedOrigins"]
    assert {"Content-Type", "x-amz-*"} <= set(rule["AllowedHeaders"])
    assert rule["ExposedHeaders"] == ["ETag"]
    assert [logical_id for logical_id, properties in buckets.items() if "CorsConfiguration" in properties] == [
        BUCKET_ID
    ]


# --- The imports table -----------------------------------------------------------------------


def test_the_imports_table_is_recoverable_protected_encrypted_and_lists_jobs_newest_first(synthesised):
    table = synthesised.resources("AWS::DynamoDB::Table")[table_logical_id(topology.IMPORTS)]
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert properties["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "listed"
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["listing", "listed_at"]


def test_the_audit_trail_follows_the_jobs_not_their_chunks(synthesised):
    (mapping,) = [
        m
        for m in synthesised.properties("AWS::Lambda::EventSourceMapping").values()
        if m["EventSourceArn"] == {"Fn::GetAtt": [table_logical_id(topology.IMPORTS), "StreamArn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": synthesised.function_id("audit")}
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "JOB"}]}}}}


def test_who_reads_and_writes_the_imports_table(synthesised):
    for name in WORKERS:
        assert granted(synthesised, name, topology.IMPORTS) >= WRITE, name
    writers = {
        spec.name for spec in topology.FUNCTIONS if granted(synthesised, spec.name, topology.IMPORTS) - READ_ONLY
    }
    assert writers == set(WORKERS)
    # The rows' worker writes clients (registrations, metrics) and only reads the staff register.
    assert granted(synthesised, "import_rows", topology.CLIENTS) >= WRITE
    assert granted(synthesised, "import_rows", topology.STAFF) <= READ_ONLY
    assert granted(synthesised, "import_files", topology.CLIENTS) == set()


# --- cdk-nag, and what the stack refuses -----------------------------------------------------


def test_the_queues_pass_cdk_nag_without_an_acknowledgement(synthesised):
    """(The session's synth ran AwsSolutionsChecks: tests/infra/test_nag.py.) Nothing was accepted
    on the queues: encrypted, TLS only, each with a dead-letter queue that is itself one."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [
        (construct.node.path, entry.data)
        for construct in synthesised.stack.queues.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key
    ]
    assert acknowledged == []


def test_a_queue_that_hides_a_message_for_less_than_its_consumer_may_take_is_refused(tmp_path, monkeypatch):
    queue = topology.Queue(name="hasty", purpose="work", visibility_timeout_s=30)
    consumer = topology.Function(
        name="slow_worker",
        description="Queue: takes a minute",
        queues=(topology.QueueSource(queue),),
        timeout_s=60,
    )
    (tmp_path / consumer.name).mkdir()
    (tmp_path / consumer.name / "handler.py").write_text("def lambda_handler(event, context):\n    return None\n")
    monkeypatch.setattr(function_construct, "FUNCTIONS_DIR", tmp_path)
    with pytest.raises(ValueError, match="hasty queue hides a message 30 s"):
        BrokerageCrmStack(App(), "Hasty", functions=(consumer,), queues=(queue,))
