"""The synthesised template matches `crm.topology` exactly, so local and deployed cannot drift.

`crm local` provisions moto and wires its front, stream pump and triggers from the topology;
these tests hold the same topology against what CloudFormation would deploy: tables (keys,
indexes, streams, TTL), buckets (object lock, retention, lifecycle), queues (with their dead-letter
queues and redrive), functions (the environment naming every table, stream source, bucket, bus and
queue they use; the grants their `reads`, `writes`, `appends`, `archives`, `publishes`, `queues`
and `sends_to` declare, no more), routes, stream sources (batching, retries, filters), queue sources
(batching, concurrency, partial failures) and schedules. Each runs twice: on the stack `make synth`
builds, and on one built from an extended topology (see `conftest.py`), which proves that additions
to the topology need no infra edit.
"""

from __future__ import annotations

import json
import re

import pytest

from crm import topology
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import table_logical_id
from infra.constructs.queues import dead_letters_logical_id, queue_logical_id
from tests.infra.iam import actions, applies_to, unscoped


@pytest.fixture(params=["synthesised", "extended"])
def built(request):
    return request.getfixturevalue(request.param)


def _key_schema(partition_key: topology.Key, sort_key: topology.Key | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": partition_key.name, "KeyType": "HASH"}]
    if sort_key is not None:
        keys.append({"AttributeName": sort_key.name, "KeyType": "RANGE"})
    return keys


def _key_attributes(table: topology.Table) -> dict[str, str]:
    keys = [table.partition_key, table.sort_key]
    for index in table.indexes:
        keys += [index.partition_key, index.sort_key]
    return {key.name: key.type for key in keys if key is not None}


def test_tables(built):
    tables = built.properties("AWS::DynamoDB::Table")
    assert tables.keys() == {table_logical_id(table) for table in built.tables}
    for spec in built.tables:
        table = tables[table_logical_id(spec)]
        assert table["KeySchema"] == _key_schema(spec.partition_key, spec.sort_key)
        assert {
            attribute["AttributeName"]: attribute["AttributeType"] for attribute in table["AttributeDefinitions"]
        } == _key_attributes(spec)
        indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
        assert indexes.keys() == {index.name for index in spec.indexes}
        for index in spec.indexes:
            assert indexes[index.name]["KeySchema"] == _key_schema(index.partition_key, index.sort_key)
            assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
        assert table.get("StreamSpecification") == ({"StreamViewType": "NEW_AND_OLD_IMAGES"} if spec.stream else None)
        assert table.get("TimeToLiveSpecification") == (
            {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else None
        )


def test_functions(built):
    functions = built.properties("AWS::Lambda::Function")
    assert functions.keys() == {built.function_id(spec.name) for spec in built.functions}
    for spec in built.functions:
        function = functions[built.function_id(spec.name)]
        assert function["MemorySize"] == spec.memory_mb
        assert function["Timeout"] == spec.timeout_s
        variables = function["Environment"]["Variables"]
        assert {name: variables[name] for name in spec.environment} == spec.environment
        assert {name: value for name, value in variables.items() if name.startswith("TABLE_")} == {
            table.env_var: {"Ref": table_logical_id(table)} for table in spec.tables
        }
        # The physical name of each stream source's table, under the name the consumer looks it up by.
        assert {name: value for name, value in variables.items() if name.startswith("STREAM_TABLE_")} == {
            source.env_var: {"Ref": table_logical_id(source.table)} for source in spec.streams
        }
        assert {name: value for name, value in variables.items() if name.startswith("BUCKET_")} == {
            bucket.env_var: {"Ref": bucket_logical_id(bucket)} for bucket in spec.archives + spec.reads_objects
        }
        # The URL (a queue's `Ref`) of each queue it sends to, and of no other (its consumed queues' come
        # with the events).
        assert {name: value for name, value in variables.items() if name.startswith("QUEUE_")} == {
            queue.env_var: {"Ref": queue_logical_id(queue)} for queue in spec.sends_to
        }


def test_buckets(built):
    buckets = built.resources("AWS::S3::Bucket")
    for spec in built.buckets:
        bucket = buckets[bucket_logical_id(spec)]
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["DeletionPolicy"] == "Retain"
        if spec.object_lock:
            assert properties["ObjectLockEnabled"] is True
            assert properties["ObjectLockConfiguration"] == {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": spec.retention_days}},
            }
        else:
            assert "ObjectLockEnabled" not in properties
            assert "ObjectLockConfiguration" not in properties
        if spec.infrequent_after_days or spec.noncurrent_days or spec.expire_after_days:
            (rule,) = properties["LifecycleConfiguration"]["Rules"]
            assert rule["Status"] == "Enabled"
            if spec.infrequent_after_days:
                assert rule["Transitions"] == [
                    {"StorageClass": "STANDARD_IA", "TransitionInDays": spec.infrequent_after_days}
                ]
            if spec.noncurrent_days:
                assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": spec.noncurrent_days}
            assert rule.get("ExpirationInDays") == (spec.expire_after_days or None)
        else:
            assert "LifecycleConfiguration" not in properties
    # Besides the topology's, only the bucket their server access logs go to.
    log_buckets = {
        properties["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for properties in built.properties("AWS::S3::Bucket").values()
        if "LoggingConfiguration" in properties
    }
    assert buckets.keys() == {bucket_logical_id(spec) for spec in built.buckets} | log_buckets


def test_event_buses(built):
    buses = built.properties("AWS::Events::EventBus")
    assert buses.keys() == {built.bus_id(bus.name) for bus in built.buses}
    for spec in built.functions:
        variables = built.properties("AWS::Lambda::Function")[built.function_id(spec.name)]["Environment"]["Variables"]
        for bus in spec.publishes:
            assert variables[bus.env_var] == {"Ref": built.bus_id(bus.name)}


def _resource_paths(built) -> dict[str, str]:
    """Logical id of every API resource → its full path, e.g. `/clients/{client_id}`."""
    resources = built.properties("AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        resource = resources[logical_id]
        parent = resource["ParentId"]
        prefix = path_of(parent["Ref"]) if "Ref" in parent else ""  # else GetAtt RootResourceId
        return f"{prefix}/{resource['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


def test_routes(built):
    paths = _resource_paths(built)
    deployed = {}
    for method in built.properties("AWS::ApiGateway::Method").values():
        if method["Integration"]["Type"] == "MOCK":  # CORS preflights and 405s: tests/infra/test_cors_stack.py
            continue
        resource = method["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        # The function's `live` alias (tests/infra/test_snapstart.py holds it to its function).
        (alias_id,) = set(built.references(method["Integration"]["Uri"], "Ref")) & built.template["Resources"].keys()
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert method.get("RequestParameters", {}) == {
            f"method.request.path.{name}": True for name in re.findall(r"\{(\w+)\}", path)
        }, path
        deployed[f"{method['HttpMethod']} {path}"] = alias_id
    assert deployed == {route.key: built.alias_id(spec.name) for spec in built.functions for route in spec.routes}


def _stream_mappings(built) -> list[dict]:
    return [
        mapping
        for mapping in built.properties("AWS::Lambda::EventSourceMapping").values()
        if mapping["EventSourceArn"].get("Fn::GetAtt", [None, None])[1] == "StreamArn"
    ]


def _queue_mappings(built) -> list[dict]:
    queues = built.resources("AWS::SQS::Queue")
    return [
        mapping
        for mapping in built.properties("AWS::Lambda::EventSourceMapping").values()
        if mapping["EventSourceArn"].get("Fn::GetAtt", [None, None])[0] in queues
    ]


def test_every_mapping_is_a_stream_source_or_a_queue_source(built):
    mappings = built.properties("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(_stream_mappings(built)) + len(_queue_mappings(built))


def test_stream_sources(built):
    mappings = _stream_mappings(built)
    assert len(mappings) == sum(len(spec.streams) for spec in built.functions)
    for spec in built.functions:
        own = [m for m in mappings if m["FunctionName"] == {"Ref": built.function_id(spec.name)}]
        assert len(own) == len(spec.streams), spec.name
        for source in spec.streams:
            (mapping,) = [
                m for m in own if m["EventSourceArn"] == {"Fn::GetAtt": [table_logical_id(source.table), "StreamArn"]}
            ]
            assert mapping["StartingPosition"] == "TRIM_HORIZON"
            assert mapping["BatchSize"] == source.batch_size
            assert mapping["MaximumBatchingWindowInSeconds"] == source.max_batching_window_s
            assert mapping["MaximumRetryAttempts"] == source.retry_attempts
            assert mapping["MaximumRecordAgeInSeconds"] == source.max_record_age_s
            assert mapping["BisectBatchOnFunctionError"] == source.bisect_batch_on_error
            assert mapping["ParallelizationFactor"] == source.parallelization_factor
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            # No filters: no FilterCriteria at all (an empty list is invalid CloudFormation).
            patterns = [json.loads(f["Pattern"]) for f in mapping.get("FilterCriteria", {}).get("Filters", [])]
            assert patterns == list(source.filters)
            assert ("FilterCriteria" in mapping) == bool(source.filters)


def test_queues(built):
    """Each topology queue as declared, under the stack's data key, with its dead-letter queue (the
    same key, 14 days) taking a message after `max_receive_count` receives."""
    queues = built.properties("AWS::SQS::Queue")
    key = {"Fn::GetAtt": [built.key_id, "Arn"]}
    for spec in built.queues:
        queue, dead_letters = queues[queue_logical_id(spec)], queues[dead_letters_logical_id(spec)]
        assert queue["VisibilityTimeout"] == spec.visibility_timeout_s
        assert queue["MessageRetentionPeriod"] == spec.retention_s
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_logical_id(spec), "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
        assert queue["KmsMasterKeyId"] == key
        assert "FifoQueue" not in queue
        assert dead_letters == {"KmsMasterKeyId": key, "MessageRetentionPeriod": 14 * 86400}
    # Besides the topology's and their dead letters: a failure queue per stream source and a
    # dead-letter queue per schedule (tests/infra/test_stack.py), and no other.
    others = sum(len(spec.streams) + (spec.schedule is not None) for spec in built.functions)
    assert len(queues) == 2 * len(built.queues) + others


def test_queue_sources(built):
    """Each queue source an SQS mapping of its function: the batch size and the most instances the
    topology gives it, each failed message reported (the others deleted), on a queue that hides a
    message longer than the function may take on it."""
    mappings = _queue_mappings(built)
    assert len(mappings) == sum(len(spec.queues) for spec in built.functions)
    for spec in built.functions:
        own = [m for m in mappings if m["FunctionName"] == {"Ref": built.function_id(spec.name)}]
        assert len(own) == len(spec.queues), spec.name
        for source in spec.queues:
            arn = {"Fn::GetAtt": [queue_logical_id(source.queue), "Arn"]}
            (mapping,) = [m for m in own if m["EventSourceArn"] == arn]
            assert mapping["BatchSize"] == source.batch_size
            assert mapping["ScalingConfig"] == {"MaximumConcurrency": source.max_concurrency}
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert "StartingPosition" not in mapping  # (a stream's setting)
            assert "FilterCriteria" not in mapping  # every message is the consumer's
            assert mapping.get("Enabled", True) is True
            assert source.queue.visibility_timeout_s >= spec.timeout_s, spec.name


# --- Grants ----------------------------------------------------------------------------------

READ = {"dynamodb:GetItem", "dynamodb:Query"}
WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
# Everything a read grant may hold: no action among them changes an item.
READ_ONLY = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}
# What consuming a queue may do (CDK's consume grant), and sending to one (`sqs:SendMessage` alone,
# which also authorises SendMessageBatch).
CONSUME = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}
SEND = {"sqs:SendMessage"}
# What any of CDK's table and stream grants may put on the key; nothing administrative.
KEY_ACTIONS = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}


def _dynamodb_actions(statements, table_id, attributes):
    return {
        action
        for statement in statements
        if applies_to(statement, table_id, attributes, named=True)
        for action in actions(statement)
        if action.startswith("dynamodb:")
    }


def test_grants(built):
    """Each role gets what its topology entry declares, table by table, bucket by bucket, bus by bus."""
    for spec in built.functions:
        role_id = built.role_id(spec.name)
        role = built.properties("AWS::IAM::Role")[role_id]
        assert "ManagedPolicyArns" not in role, f"{spec.name}: no managed policies, only scoped grants"
        statements = list(built.statements(role_id))
        denied = [statement for statement in statements if statement["Effect"] == "Deny"]
        assert all(actions(statement) == ["sns:Publish"] for statement in denied), spec.name  # topics, for SMS
        for table in built.tables:
            table_id = table_logical_id(table)
            granted = _dynamodb_actions(statements, table_id, ("Arn", None))
            on_stream = _dynamodb_actions(statements, table_id, ("StreamArn",))
            if table in spec.writes:
                assert granted >= READ | WRITE, f"{spec.name} must read and write {table.name}"
            elif table in spec.appends:
                # PutItem and, if it also reads the table, reading: no update, delete, batch write, PartiQL.
                reading = granted & READ_ONLY
                assert granted - reading == {"dynamodb:PutItem"}, f"{spec.name} only appends to {table.name}"
                assert bool(reading) == (table in spec.reads), f"{spec.name} reads {table.name}?"
            elif table in spec.reads:
                assert READ <= granted <= READ_ONLY, f"{spec.name} only reads {table.name}"
            else:
                assert not granted, f"{spec.name} has no business with {table.name}"
            consumed = any(source.table == table for source in spec.streams)
            assert bool(on_stream) == consumed, f"{spec.name}: stream of {table.name}"
        key_actions = {
            action
            for statement in statements
            if applies_to(statement, built.key_id, ("Arn",), named=True)
            for action in actions(statement)
            if action.startswith("kms:")
        }
        assert key_actions <= KEY_ACTIONS | {"kms:GenerateDataKey"}, spec.name
        decrypts = bool(spec.tables or spec.streams or spec.reads_objects or spec.queues or spec.sends_to)
        assert ("kms:Decrypt" in key_actions) == decrypts, spec.name
        encrypts = bool(spec.writes or spec.appends or spec.archives or spec.sends_to)
        assert bool(key_actions & {"kms:Encrypt", "kms:GenerateDataKey*", "kms:GenerateDataKey"}) == encrypts
        for bucket in built.buckets:
            bucket_id = bucket_logical_id(bucket)
            on_bucket = [
                statement
                for statement in statements
                if applies_to(statement, bucket_id, named=True)
                and any(action.startswith("s3:") for action in actions(statement))
            ]
            wanted = (["s3:PutObject"] if bucket in spec.archives else []) + (
                ["s3:GetObject"] if bucket in spec.reads_objects else []
            )
            if wanted:
                # Each action alone, on the objects under the bucket's prefix: no listing, no deleting.
                assert sorted(a for statement in on_bucket for a in actions(statement)) == sorted(wanted), spec.name
                objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{bucket.prefix}*"]]}
                assert all(statement["Resource"] == objects for statement in on_bucket), spec.name
            else:
                assert not on_bucket, f"{spec.name} has no business with {bucket.name}"
        for queue in built.queues:
            on_queue = {
                action
                for statement in statements
                if applies_to(statement, queue_logical_id(queue), named=True)
                for action in actions(statement)
            }
            consumes = any(source.queue == queue for source in spec.queues)
            wanted = (CONSUME if consumes else set()) | (SEND if queue in spec.sends_to else set())
            assert on_queue == wanted, f"{spec.name} on the {queue.name} queue"
            # The dead letters are for SQS and the operators alone.
            assert not [s for s in statements if applies_to(s, dead_letters_logical_id(queue), named=True)], spec.name
        # What no resource-level permission exists for: tracing, listing streams to consume one, SMS.
        sms = {"sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"} if spec.sends_sms else set()
        allowed = [statement for statement in statements if statement["Effect"] == "Allow"]
        assert {action for statement in allowed if unscoped(statement) for action in actions(statement)} == {
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
        } | ({"dynamodb:ListStreams"} if spec.streams else set()) | sms, spec.name
        publishing = [statement for statement in statements if "events:PutEvents" in actions(statement)]
        assert [statement["Resource"] for statement in publishing] == [
            {"Fn::GetAtt": [built.bus_id(bus.name), "Arn"]} for bus in spec.publishes
        ], f"{spec.name} publishes exactly on the buses the topology names"


def test_schedules(built):
    """Every job an EventBridge Scheduler schedule in Beijing time, in the project's group, that
    sends the scheduled time and ends on its own dead-letter queue after its retries."""
    assert not built.resources("AWS::Events::Rule")
    schedules = list(built.properties("AWS::Scheduler::Schedule").values())
    scheduled = [spec for spec in built.functions if spec.schedule is not None]
    assert len(schedules) == len(scheduled)
    (group,) = built.properties("AWS::Scheduler::ScheduleGroup").values()
    for spec in scheduled:
        assert spec.schedule is not None
        (schedule,) = [s for s in schedules if s["Description"] == f"crm job {spec.schedule.job}"]
        assert schedule["ScheduleExpression"] == spec.schedule.expression
        assert schedule["ScheduleExpressionTimezone"] == "Asia/Shanghai"
        assert schedule["State"] == "ENABLED"
        assert schedule["GroupName"] == group["Name"]
        target = schedule["Target"]
        assert target["Arn"] == {"Fn::Join": ["", [{"Fn::GetAtt": [built.function_id(spec.name), "Arn"]}, ":$LATEST"]]}
        assert json.loads(target["Input"])["time"] == "<aws.scheduler.scheduled-time>"
        job = built.stack.functions[spec.name].job
        assert job is not None
        dead_letters = {"Fn::GetAtt": [built.logical_id(job.dead_letters), "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": dead_letters}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == spec.schedule.retry_attempts
        # A run the function fails: Lambda retries it as often, then puts it on the same queue.
        (invoke_config,) = [
            config
            for config in built.properties("AWS::Lambda::EventInvokeConfig").values()
            if config["FunctionName"] == {"Ref": built.function_id(spec.name)}
        ]
        assert invoke_config["MaximumRetryAttempts"] == spec.schedule.retry_attempts
        assert invoke_config["DestinationConfig"] == {"OnFailure": {"Destination": dead_letters}}


def test_the_extension_really_adds_what_the_topology_does_not_have_yet(extended):
    """Guards the tests above against passing vacuously: a function that reads and appends to one
    table and consumes its stream, a bucket without object lock, a bus publisher with two streams."""
    (feed,) = [spec for spec in extended.functions if spec.name == "journal_feed"]
    assert set(feed.reads) & set(feed.appends) & {source.table for source in feed.streams}
    assert len(feed.streams) == 2
    assert feed.publishes
    assert any(not bucket.object_lock for bucket in extended.buckets)
    assert any(not source.filters for source in feed.streams)
    # A queue the topology does not have: sent to by one function, consumed in batches by another.
    (report,) = [spec for spec in extended.functions if spec.name == "journal_report"]
    assert feed.sends_to
    assert {source.queue for source in report.queues} == set(feed.sends_to)
    assert not set(feed.sends_to) & set(topology.QUEUES)
    assert all(source.batch_size > 1 for source in report.queues)
