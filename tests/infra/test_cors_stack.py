"""CORS in the deployed API (API.md «Rules»; infra.constructs.cors): the configured origins, the
preflight on every resource without an authorizer, the 405 of a method a resource lacks, the CORS
headers of API Gateway's own errors, and the origins the functions are told."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from crm import topology
from infra.constructs.cors import gateway_response_headers
from infra.settings import SettingsError, allowed_origins
from infra.stack import BrokerageCrmStack
from tests.infra.conftest import synth_flattened

ORIGINS = ["https://crm.example.com", "https://branch.example.com"]
FUNCTIONS = (topology.function("clients"), topology.function("settings"))


@pytest.fixture(scope="module")
def with_origins() -> dict[str, Any]:
    """Two API functions, synthesised with two allowed origins as `-c allowed_origins=…` passes them."""
    app = App(context={"allowed_origins": json.dumps(ORIGINS)})
    return synth_flattened(app, BrokerageCrmStack(app, "WithOrigins", functions=FUNCTIONS))


def _methods(template: dict[str, Any], http_method: str) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["HttpMethod"] == http_method
    ]


def _resources_with_routes(functions) -> set[str]:
    return {route.path for fn in functions for route in fn.routes}


def test_every_resource_with_routes_answers_a_preflight_without_an_authorizer(with_origins):
    preflights = _methods(with_origins, "OPTIONS")
    assert len(preflights) == len(_resources_with_routes(FUNCTIONS))
    for method in preflights:
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
        integration = method["Integration"]
        assert integration["Type"] == "MOCK"
        (response,) = integration["IntegrationResponses"]
        assert response["StatusCode"] == "204"
        template = response["ResponseTemplates"]["application/json"]
        for origin in ORIGINS:  # the request's origin is named only when it is one of these
            assert f'$origin == "{origin}"' in template
        assert "Access-Control-Allow-Origin = $origin" in template
        assert "*" not in template
        parameters = response["ResponseParameters"]
        assert "method.response.header.Access-Control-Allow-Origin" not in parameters  # never a fixed origin
        assert "If-Match" in parameters["method.response.header.Access-Control-Allow-Headers"]
        assert "OPTIONS" in parameters["method.response.header.Access-Control-Allow-Methods"]


def test_a_method_a_resource_lacks_is_405_with_allow(with_origins):
    answers = _methods(with_origins, "ANY")
    assert len(answers) == len(_resources_with_routes(FUNCTIONS))
    allows = set()
    for method in answers:
        assert method["AuthorizationType"] == "NONE"
        (response,) = method["Integration"]["IntegrationResponses"]
        assert response["StatusCode"] == "405"
        allows.add(response["ResponseParameters"]["method.response.header.Allow"])
        assert '"method_not_allowed"' in response["ResponseTemplates"]["application/json"]
    assert "'GET, OPTIONS, POST'" in allows  # /clients


def test_the_gateways_own_errors_carry_cors_headers(with_origins):
    responses = [
        r["Properties"] for r in with_origins["Resources"].values() if r["Type"] == "AWS::ApiGateway::GatewayResponse"
    ]
    types = {r["ResponseType"] for r in responses}
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= types
    for response in responses:
        parameters = response["ResponseParameters"]
        # several origins: the request's echoed (these bodies hold no data: infra.constructs.cors)
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin"
        assert "ETag" in parameters["gatewayresponse.header.Access-Control-Expose-Headers"]


def test_one_origin_is_named_outright_and_none_gives_no_header():
    assert gateway_response_headers(["https://crm.example.com"])["Access-Control-Allow-Origin"] == (
        "'https://crm.example.com'"
    )
    assert gateway_response_headers([]) == {}


def test_the_default_deployment_allows_no_browser(synthesised):
    for response in synthesised.properties("AWS::ApiGateway::GatewayResponse").values():
        assert "gatewayresponse.header.Access-Control-Allow-Origin" not in response.get("ResponseParameters", {})
    for method in synthesised.properties("AWS::ApiGateway::Method").values():
        if method["HttpMethod"] == "OPTIONS":
            template = method["Integration"]["IntegrationResponses"][0]["ResponseTemplates"]["application/json"]
            assert "#if(false)" in template


def test_api_functions_are_told_the_origins_and_no_other_function_is(with_origins, synthesised):
    functions = [r["Properties"] for r in with_origins["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    told = [f["Environment"]["Variables"].get(topology.ALLOWED_ORIGINS_VARIABLE) for f in functions]
    assert told.count(json.dumps(ORIGINS)) == len(FUNCTIONS)
    for spec in synthesised.functions:
        variables = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id(spec.name)]["Environment"]
        assert (topology.ALLOWED_ORIGINS_VARIABLE in variables["Variables"]) == bool(spec.routes), spec.name


@pytest.mark.parametrize(
    "origins",
    [
        ["*"],
        ["https://*.example.com"],
        ["http://crm.example.com"],
        ["https://crm.example.com/app"],
        "https://a.example",
    ],
)
def test_an_origin_that_cannot_be_allowed_fails_the_synth(origins):
    with pytest.raises(SettingsError, match="allowed_origins"):
        allowed_origins({"allowed_origins": origins})


def test_a_developers_own_machine_may_be_allowed():
    assert allowed_origins({"allowed_origins": ["http://localhost:5173"]}) == ("http://localhost:5173",)


def test_a_throttled_caller_is_told_when_to_retry(synthesised):
    throttled = [
        response
        for response in synthesised.properties("AWS::ApiGateway::GatewayResponse").values()
        if response["ResponseType"] == "THROTTLED"
    ]
    assert throttled
    assert all(r["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'" for r in throttled)
