"""The synthesised template matches `crm.topology` exactly, so local and deployed cannot drift.

`crm local` provisions moto and wires its front, stream pump and triggers from the topology;
these tests hold the same topology against what CloudFormation would deploy: tables (keys,
indexes, streams, TTL), functions, routes, stream sources (batching, retries, filters) and
schedules. Each runs twice: on the stack `make synth` builds, and on one built from an extended
topology (see `conftest.py`), which proves that additions to the topology need no infra edit.
"""

from __future__ import annotations

import json
import re

import pytest

from crm import topology
from infra.constructs.data import table_logical_id


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
        resource = method["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        (function_id,) = {attribute[0] for attribute in built.references(method["Integration"]["Uri"], "Fn::GetAtt")}
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert method.get("RequestParameters", {}) == {
            f"method.request.path.{name}": True for name in re.findall(r"\{(\w+)\}", path)
        }, path
        deployed[f"{method['HttpMethod']} {path}"] = function_id
    assert deployed == {route.key: built.function_id(spec.name) for spec in built.functions for route in spec.routes}


def test_stream_sources(built):
    mappings = list(built.properties("AWS::Lambda::EventSourceMapping").values())
    consumers = [spec for spec in built.functions if spec.stream is not None]
    assert len(mappings) == len(consumers)
    for spec in consumers:
        source = spec.stream
        assert source is not None
        (mapping,) = [m for m in mappings if m["FunctionName"] == {"Ref": built.function_id(spec.name)}]
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_logical_id(source.table), "StreamArn"]}
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["BatchSize"] == source.batch_size
        assert mapping["MaximumBatchingWindowInSeconds"] == source.max_batching_window_s
        assert mapping["MaximumRetryAttempts"] == source.retry_attempts
        assert mapping["MaximumRecordAgeInSeconds"] == source.max_record_age_s
        assert mapping["BisectBatchOnFunctionError"] == source.bisect_batch_on_error
        assert mapping["ParallelizationFactor"] == source.parallelization_factor
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        patterns = [json.loads(f["Pattern"]) for f in mapping.get("FilterCriteria", {}).get("Filters", [])]
        assert patterns == list(source.filters)


def test_schedules(built):
    rules = list(built.properties("AWS::Events::Rule").values())
    scheduled = [spec for spec in built.functions if spec.schedule is not None]
    assert len(rules) == len(scheduled)
    for spec in scheduled:
        assert spec.schedule is not None
        (rule,) = [rule for rule in rules if rule["ScheduleExpression"] == spec.schedule.expression]
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [built.function_id(spec.name), "Arn"]}


def test_the_extension_really_adds_a_schedule_and_a_ttl(extended):
    """Guards the test above against passing vacuously: the deployed topology has no schedule yet."""
    assert extended.properties("AWS::Events::Rule")
    assert any("TimeToLiveSpecification" in table for table in extended.properties("AWS::DynamoDB::Table").values())
