"""Properties of the synthesised stack that security and operations rely on (not resource counts)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

from crm import topology
from infra.constructs.api import GATEWAY_ERRORS
from infra.constructs.data import table_logical_id
from infra.constructs.shared_layer import POWERTOOLS_LAYER_PARAMETER

ONE_YEAR_IN_DAYS = 365
WRITE_ACTIONS = {
    "dynamodb:*",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}


def _as_list(value):
    return value if isinstance(value, list) else [value]


# --- API -------------------------------------------------------------------------------------


def test_every_method_requires_a_cognito_token(synthesised):
    authorizers = synthesised.resources("AWS::ApiGateway::Authorizer")
    assert [authorizer["Properties"]["Type"] for authorizer in authorizers.values()] == ["COGNITO_USER_POOLS"]
    (authorizer_id,) = authorizers
    methods = synthesised.properties("AWS::ApiGateway::Method")
    assert methods
    for logical_id, method in methods.items():
        if method["HttpMethod"] == "OPTIONS":
            continue
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", logical_id
        assert method["AuthorizerId"] == {"Ref": authorizer_id}, logical_id


def test_every_method_validates_its_path_parameters(synthesised):
    validators = synthesised.properties("AWS::ApiGateway::RequestValidator")
    (validator_id,) = validators
    assert validators[validator_id]["ValidateRequestParameters"] is True
    for method in synthesised.properties("AWS::ApiGateway::Method").values():
        assert method["RequestValidatorId"] == {"Ref": validator_id}


def test_stage_is_throttled_traced_and_access_logged(template, synthesised):
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                            "LoggingLevel": "ERROR",
                            "DataTraceEnabled": False,
                        }
                    )
                ]
            ),
        },
    )
    (stage,) = synthesised.properties("AWS::ApiGateway::Stage").values()
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] >= settings["ThrottlingRateLimit"]
    access_log = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "user", "role", "branch", "status"} <= access_log.keys()


def test_gateway_errors_use_the_api_error_body(synthesised):
    responses = {
        response["ResponseType"]: response
        for response in synthesised.properties("AWS::ApiGateway::GatewayResponse").values()
    }
    expected = {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"}
    assert expected <= responses.keys()
    assert {error.response_type.response_type for error in GATEWAY_ERRORS} == responses.keys()
    for response_type, response in responses.items():
        body = response["ResponseTemplates"]["application/json"]
        # API Gateway substitutes a JSON string (quotes included) for the message variable.
        rendered = json.loads(body.replace("$context.error.messageString", '"Unauthorized"'))
        assert rendered.keys() == {"error"}, response_type
        assert rendered["error"].keys() == {"code", "message", "field"}, response_type
        assert rendered["error"]["field"] is None
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert responses["ACCESS_DENIED"]["StatusCode"] == "403"
    # An unknown route is a 404 with the code the handlers' router uses, not a 403.
    unknown_route = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown_route["StatusCode"] == "404"
    assert json.loads(unknown_route["ResponseTemplates"]["application/json"])["error"]["code"] == "not_found"


# --- Identity --------------------------------------------------------------------------------


def test_user_pool_requires_mfa_and_strong_passwords(template):
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "MfaConfiguration": "ON",
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": Match.any_value(),
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
            "Schema": Match.array_with(
                [
                    Match.object_like({"Name": "role", "AttributeDataType": "String"}),
                    Match.object_like({"Name": "branch", "AttributeDataType": "String"}),
                ]
            ),
        },
    )


def test_app_client_reads_but_cannot_write_role_and_branch(synthesised):
    (client,) = synthesised.properties("AWS::Cognito::UserPoolClient").values()
    assert {"custom:role", "custom:branch"} <= set(client["ReadAttributes"])
    assert not {"custom:role", "custom:branch"} & set(client["WriteAttributes"])
    assert client.get("GenerateSecret", False) is False  # browsers and phones cannot keep a secret


# --- Data ------------------------------------------------------------------------------------


def test_tables_are_on_demand_recoverable_encrypted_and_retained(synthesised):
    tables = synthesised.resources("AWS::DynamoDB::Table")
    for spec in topology.TABLES:
        table = tables[table_logical_id(spec)]
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"]["SSEEnabled"] is True
        assert properties["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"
        assert table["UpdateReplacePolicy"] == "Retain"
        if spec.stream:
            assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        else:
            assert "StreamSpecification" not in properties


# --- Functions -------------------------------------------------------------------------------


def test_functions_run_current_python_on_arm_with_tracing_and_both_layers(synthesised):
    powertools_parameter = next(
        logical_id
        for logical_id, parameter in synthesised.template["Parameters"].items()
        if parameter.get("Default") == POWERTOOLS_LAYER_PARAMETER
    )
    (core_layer,) = synthesised.resources("AWS::Lambda::LayerVersion")
    for spec in topology.FUNCTIONS:
        function = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id(spec.name)]
        assert function["Runtime"] == "python3.14"
        assert function["Architectures"] == ["arm64"]
        assert function["Handler"] == "handler.lambda_handler"
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["Layers"] == [{"Ref": powertools_parameter}, {"Ref": core_layer}]
        assert function["MemorySize"] == spec.memory_mb
        assert function["Timeout"] == spec.timeout_s


def test_functions_see_their_tables_and_powertools_settings(synthesised):
    for spec in topology.FUNCTIONS:
        variables = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id(spec.name)]["Environment"][
            "Variables"
        ]
        for table in spec.tables:
            assert variables[table.env_var] == {"Ref": table_logical_id(table)}
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"} <= variables.keys()
        assert {name for name in variables if name.startswith("TABLE_")} == {table.env_var for table in spec.tables}


def _statements_of(synthesised, role_id):
    for policy in synthesised.properties("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Roles"]:
            yield from policy["PolicyDocument"]["Statement"]


def test_each_function_role_gets_exactly_the_access_the_topology_declares(synthesised):
    for spec in topology.FUNCTIONS:
        role_id = synthesised.role_id(spec.name)
        role = synthesised.properties("AWS::IAM::Role")[role_id]
        assert "ManagedPolicyArns" not in role, f"{spec.name}: no managed policies, only scoped grants"
        statements = list(_statements_of(synthesised, role_id))
        for table in topology.TABLES:
            table_id = table_logical_id(table)
            touching = [statement for statement in statements if synthesised.refers_to(statement["Resource"], table_id)]
            writing = [statement for statement in touching if WRITE_ACTIONS & set(_as_list(statement["Action"]))]
            if table in spec.writes:
                assert writing, f"{spec.name} must write {table.name}"
            elif table in spec.reads:
                assert touching, f"{spec.name} must read {table.name}"
                assert not writing, f"{spec.name} only reads {table.name}"
            else:
                assert not touching, f"{spec.name} has no business with {table.name}"
        publishing = [statement for statement in statements if "events:PutEvents" in _as_list(statement["Action"])]
        assert [statement["Resource"] for statement in publishing] == [
            {"Fn::GetAtt": [synthesised.bus_id(bus.name), "Arn"]} for bus in spec.publishes
        ], f"{spec.name} publishes exactly on the buses the topology names"
        for statement in statements:
            assert statement["Effect"] == "Allow"
            assert not {"dynamodb:*", "events:*"} & set(_as_list(statement["Action"]))


def test_every_log_group_is_kept_a_year_and_every_function_logs_to_its_own(synthesised):
    log_groups = synthesised.resources("AWS::Logs::LogGroup")
    for logical_id, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] == ONE_YEAR_IN_DAYS, logical_id
        assert log_group["DeletionPolicy"] == "Retain", logical_id
    used = [
        function["LoggingConfig"]["LogGroup"]["Ref"]
        for function in synthesised.properties("AWS::Lambda::Function").values()
    ]
    assert len(set(used)) == len(used)
    assert set(used) <= log_groups.keys()


def test_api_execution_logs_go_to_a_log_group_with_retention_made_before_the_stage(synthesised):
    (rest_api_id,) = synthesised.resources("AWS::ApiGateway::RestApi")
    ((stage_id, stage),) = synthesised.resources("AWS::ApiGateway::Stage").items()
    expected_name = {
        "Fn::Join": ["", ["API-Gateway-Execution-Logs_", {"Ref": rest_api_id}, f"/{stage['Properties']['StageName']}"]]
    }
    (execution_logs,) = [
        logical_id
        for logical_id, log_group in synthesised.properties("AWS::Logs::LogGroup").items()
        if log_group.get("LogGroupName") == expected_name
    ]
    assert execution_logs in stage["DependsOn"], f"{stage_id} would let API Gateway create it without retention"


# --- Streams ---------------------------------------------------------------------------------


def test_stream_sources_report_partial_failures_bisect_retry_boundedly_and_keep_failures(synthesised):
    mappings = synthesised.properties("AWS::Lambda::EventSourceMapping")
    assert mappings
    queues = synthesised.resources("AWS::SQS::Queue")
    for logical_id, mapping in mappings.items():
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], logical_id
        assert mapping["BisectBatchOnFunctionError"] is True, logical_id
        assert 0 <= mapping["MaximumRetryAttempts"] <= 10, logical_id
        assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600, logical_id
        assert mapping["StartingPosition"] == "TRIM_HORIZON", logical_id
        destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        queue_id, attribute = destination["Fn::GetAtt"]
        assert queue_id in queues, logical_id
        assert attribute == "Arn", logical_id


def test_failure_queues_are_encrypted_and_refuse_plain_http(synthesised):
    queues = synthesised.properties("AWS::SQS::Queue")
    assert queues
    policies = synthesised.properties("AWS::SQS::QueuePolicy").values()
    for queue_id, queue in queues.items():
        assert queue["SqsManagedSseEnabled"] is True
        (policy,) = [policy for policy in policies if {"Ref": queue_id} in policy["Queues"]]
        assert any(
            statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in policy["PolicyDocument"]["Statement"]
        )
