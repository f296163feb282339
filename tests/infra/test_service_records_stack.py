"""The service-records capability as deployed (DOMAIN §8, §9a): the SMS consumer may send SMS and
nothing else SNS offers, fails into its own queue, and reads only registrations; the counters are
written by their consumer alone."""

from __future__ import annotations

import json

from crm import topology
from infra.constructs.data import table_logical_id
from tests.infra.iam import actions
from tests.infra.test_callbacks_stack import granted
from tests.infra.test_topology_parity import WRITE


def test_only_the_sms_function_touches_sns_and_only_to_text_a_phone(synthesised):
    for spec in synthesised.functions:
        sns = [
            (statement["Effect"], actions(statement), statement["Resource"])
            for statement in synthesised.statements(synthesised.role_id(spec.name))
            if any(action.startswith("sns:") for action in actions(statement))
        ]
        if spec.name != "sms":
            assert sns == [], spec.name
            continue
        assert ("Allow", ["sns:Publish", "sns:CheckIfPhoneNumberIsOptedOut"], "*") in sns
        (denied,) = [s for s in sns if s[0] == "Deny"]
        assert denied[1] == ["sns:Publish"]
        assert json.dumps(denied[2]).endswith(':sns:*:*:*"]]}')  # every topic, in any region and account
        assert len(sns) == 2


def test_the_sms_consumer_reads_registrations_and_keeps_its_failures(synthesised):
    (mapping,) = [
        m
        for m in synthesised.properties("AWS::Lambda::EventSourceMapping").values()
        if m["FunctionName"] == {"Ref": synthesised.function_id("sms")}
    ]
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["PROFILE"]}}}}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 1 <= mapping["MaximumRetryAttempts"] <= 5
    assert "OnFailure" in mapping["DestinationConfig"]
    assert granted(synthesised, "sms", topology.CLIENTS) >= WRITE  # its log, in the client's collection
    for table in (topology.SERVICE, topology.ACTIVITY, topology.AGGREGATES, topology.CALLBACKS):
        assert granted(synthesised, "sms", table) == set(), table.name


def test_counters_are_written_by_their_consumer_alone_and_read_by_the_activity_view(synthesised):
    writers = {
        spec.name for spec in synthesised.functions if granted(synthesised, spec.name, topology.AGGREGATES) & WRITE
    }
    assert writers == {"aggregates", "quarterly_report"}
    # the report job only adds a version's record: it can move no counter
    assert granted(synthesised, "quarterly_report", topology.AGGREGATES) & WRITE == {"dynamodb:PutItem"}
    assert granted(synthesised, "work_records", topology.AGGREGATES) >= {"dynamodb:Query"}
    tables = synthesised.properties("AWS::DynamoDB::Table")
    assert "StreamSpecification" not in tables[table_logical_id(topology.AGGREGATES)]
    activity = tables[table_logical_id(topology.ACTIVITY)]
    assert {i["IndexName"] for i in activity["GlobalSecondaryIndexes"]} == {"by_manager", "by_branch", "by_client"}
