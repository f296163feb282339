"""SnapStart on the API functions: each is published on every deploy, behind its `live` alias, which
is all API Gateway invokes and may invoke; the other functions are neither published nor snapshotted;
and `-c snapstart=false` turns SnapStart off (the alias stays). On the stack `make synth` builds and
on the extended topology's, whose new API function needs no infra edit to get all this."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler

from crm import topology
from infra.app import cdk_json_context, context_arguments
from infra.constructs.function import ALIAS, SNAPSTART_CONTEXT, CrmFunction, snap_start_enabled
from infra.stack import BrokerageCrmStack
from tests.infra.conftest import Synthesised, synth_flattened

ON_PUBLISHED_VERSIONS = {"ApplyOn": "PublishedVersions"}
API_PRINCIPAL = "apigateway.amazonaws.com"


@pytest.fixture(params=["synthesised", "extended"])
def built(request) -> Synthesised:
    return request.getfixturevalue(request.param)


def _api_functions(built: Synthesised) -> list[topology.Function]:
    specs = [spec for spec in built.functions if spec.routes]
    assert specs
    return specs


def _other_functions(built: Synthesised) -> list[topology.Function]:
    specs = [spec for spec in built.functions if not spec.routes]
    assert specs
    return specs


def _resources_on(built: Synthesised, resource_type: str, function_id: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: properties
        for logical_id, properties in built.properties(resource_type).items()
        if properties.get("FunctionName") == {"Ref": function_id}
    }


def test_every_api_function_has_snapstart_on_its_published_versions(built):
    functions = built.properties("AWS::Lambda::Function")
    for spec in _api_functions(built):
        function = functions[built.function_id(spec.name)]
        assert function["SnapStart"] == ON_PUBLISHED_VERSIONS, spec.name
        assert function["Runtime"] in ("python3.12", "python3.13", "python3.14"), spec.name  # SnapStart's
        # What a snapshot's caching and each restore are billed by.
        assert function["MemorySize"] == spec.memory_mb, spec.name


def test_every_api_function_is_published_behind_the_live_alias(built):
    for spec in _api_functions(built):
        function_id = built.function_id(spec.name)
        (version_id,) = _resources_on(built, "AWS::Lambda::Version", function_id)
        # Replaced with each deploy that changes the function (its code, configuration or layers),
        # and the version it replaces deleted: no snapshot of an old version is left to pay for.
        assert built.template["Resources"][version_id].get("DeletionPolicy", "Delete") == "Delete", spec.name
        ((alias_id, alias),) = _resources_on(built, "AWS::Lambda::Alias", function_id).items()
        assert alias_id == built.alias_id(spec.name)
        assert alias["Name"] == ALIAS
        assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}, spec.name


def test_api_gateway_invokes_each_function_through_its_alias_only(built):
    methods = [m for m in built.properties("AWS::ApiGateway::Method").values() if m["Integration"]["Type"] != "MOCK"]
    for spec in _api_functions(built):
        function_id, alias_id = built.function_id(spec.name), built.alias_id(spec.name)
        invoking = [m for m in methods if built.refers_to(m["Integration"]["Uri"], alias_id)]
        assert len(invoking) == len(spec.routes), spec.name
        for method in invoking:
            uri = method["Integration"]["Uri"]
            assert method["Integration"]["Type"] == "AWS_PROXY"
            assert "/invocations" in uri["Fn::Join"][1][-1]
            assert not built.refers_to(uri, function_id), spec.name  # never $LATEST


def test_api_gateway_may_invoke_the_aliases_and_nothing_else(built):
    permissions = built.properties("AWS::Lambda::Permission")
    from_api = [p for p in permissions.values() if p["Principal"] == API_PRINCIPAL]
    assert from_api
    aliases = {built.alias_id(spec.name): spec for spec in _api_functions(built)}
    for permission in from_api:
        assert permission["Action"] == "lambda:InvokeFunction"
        (alias_id,) = set(built.references(permission["FunctionName"], "Ref"))
        assert alias_id in aliases, permission["FunctionName"]
        assert built.refers_to(permission["SourceArn"], built.logical_id(built.stack.api.rest_api))
    for alias_id, spec in aliases.items():  # one for the whole API (no test-invoke permission)
        assert sum(p["FunctionName"] == {"Ref": alias_id} for p in from_api) == 1, spec.name
    functions = {built.function_id(spec.name) for spec in built.functions}
    assert not [p for p in permissions.values() if set(built.references(p["FunctionName"], "Ref")) & functions]


def test_other_functions_are_not_published_and_have_no_snapstart(built):
    functions = built.properties("AWS::Lambda::Function")
    for spec in _other_functions(built):
        function_id = built.function_id(spec.name)
        assert "SnapStart" not in functions[function_id], spec.name
        assert not _resources_on(built, "AWS::Lambda::Version", function_id), spec.name
        assert not _resources_on(built, "AWS::Lambda::Alias", function_id), spec.name
        assert built.stack.functions[spec.name].alias is None


def _published_version(tmp_path: Path, layer_content: str) -> str:
    """The logical id of the version an API function publishes, with one layer holding this."""
    source = tmp_path / f"layer-{len(list(tmp_path.iterdir()))}"
    (source / "python").mkdir(parents=True)
    (source / "python" / "shipped.py").write_text(layer_content)
    app = App(outdir=str(source.with_suffix(".out")))
    stack = Stack(app, "Layered")
    key = kms.Key(stack, "Key")
    CrmFunction(
        stack,
        topology.Function(name="settings", description="An API function", routes=(topology.Route("GET", "/x"),)),
        tables={},
        buckets={},
        buses={},
        secrets={},
        user_pools={},
        layers=[lambda_.LayerVersion(stack, "Layer", code=lambda_.Code.from_asset(str(source)))],
        key=key,
        schedule_group=scheduler.ScheduleGroup(stack, "Schedules"),
        operations_key=key,
    )
    resources = app.synth().get_stack_by_name(stack.stack_name).template["Resources"]
    (version_id,) = [logical_id for logical_id, r in resources.items() if r["Type"] == "AWS::Lambda::Version"]
    return version_id


def test_new_layer_code_publishes_a_new_version(tmp_path):
    """Our code ships in the `crm` layer: the version the alias runs must follow it, and only it."""
    first = _published_version(tmp_path, "RULES = 1\n")
    assert _published_version(tmp_path, "RULES = 1\n") == first
    assert _published_version(tmp_path, "RULES = 2\n") != first


# --- The flag ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "enabled"), [(None, True), (True, True), ("true", True), (False, False), ("false", False)]
)
def test_the_flag_reads_as_cdk_json_and_the_command_line_give_it(value, enabled):
    assert snap_start_enabled(value) is enabled


@pytest.mark.parametrize("value", ["off", "False", "0", 0, ""])
def test_an_unknown_flag_value_stops_synth(value):
    with pytest.raises(ValueError, match=SNAPSTART_CONTEXT):
        snap_start_enabled(value)


def test_snapstart_is_on_in_cdk_json():
    assert snap_start_enabled(cdk_json_context()[SNAPSTART_CONTEXT]) is True


def test_the_app_script_takes_context_as_the_cdk_cli_does():
    assert context_arguments(["-c", "snapstart=false", "--context", "other=a=b"]) == {
        "snapstart": "false",
        "other": "a=b",
    }
    with pytest.raises(SystemExit):
        context_arguments(["snapstart=false"])
    with pytest.raises(SystemExit):
        context_arguments(["-c", "snapstart"])


@pytest.fixture(scope="module")
def without_snapstart() -> dict[str, Any]:
    """The template of a stack built with `-c snapstart=false` (as the CLI passes it: a string), of
    one API function and one stream consumer: the flag applies wherever functions are built."""
    app = App(context={SNAPSTART_CONTEXT: "false"})
    functions = (topology.function("settings"), topology.function("reclassify"))
    return synth_flattened(app, BrokerageCrmStack(app, "WithoutSnapStart", functions=functions))


def test_with_the_flag_off_no_function_has_snapstart_and_the_api_still_invokes_the_alias(without_snapstart):
    resources = without_snapstart["Resources"]
    functions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 2
    assert not [f for f in functions if "SnapStart" in f]
    (alias_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Alias"]
    methods = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["Integration"]["Type"] != "MOCK"
    ]
    assert methods
    assert all(Synthesised.refers_to(m["Integration"]["Uri"], alias_id) for m in methods)
