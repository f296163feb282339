"""Properties of the synthesised stack that security and operations rely on (not resource counts)."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from crm import topology
from infra.constructs.api import GATEWAY_ERRORS
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import table_logical_id
from infra.constructs.shared_layer import POWERTOOLS_LAYER_PARAMETER
from tests.infra.iam import allows, allows_any, applies_to, as_list

ONE_YEAR_IN_DAYS = 365


# --- API -------------------------------------------------------------------------------------


def test_every_method_requires_a_cognito_token(synthesised):
    authorizers = synthesised.resources("AWS::ApiGateway::Authorizer")
    assert [authorizer["Properties"]["Type"] for authorizer in authorizers.values()] == ["COGNITO_USER_POOLS"]
    (authorizer_id,) = authorizers
    methods = synthesised.properties("AWS::ApiGateway::Method")
    assert methods
    for logical_id, method in methods.items():
        if method["Integration"]["Type"] == "MOCK":  # CORS preflights and 405s: tests/infra/test_cors_stack.py
            continue
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", logical_id
        assert method["AuthorizerId"] == {"Ref": authorizer_id}, logical_id


def test_every_method_validates_its_path_parameters(synthesised):
    validators = synthesised.properties("AWS::ApiGateway::RequestValidator")
    (validator_id,) = validators
    assert validators[validator_id]["ValidateRequestParameters"] is True
    for method in synthesised.properties("AWS::ApiGateway::Method").values():
        if method["Integration"]["Type"] != "MOCK":
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
        # Encrypted with the stack's customer-managed key, not an AWS-owned or AWS-managed one.
        assert properties["SSESpecification"] == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Fn::GetAtt": [synthesised.key_id, "Arn"]},
        }
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
        # What crm.config reads at cold start: exactly the declared variables (and Powertools' own).
        assert set(spec.variables) <= variables.keys()
        assert variables[topology.FUNCTION_VARIABLE] == spec.name
        assert variables.keys() - spec.variables.keys() - spec.environment.keys() == {
            "POWERTOOLS_SERVICE_NAME",
            "POWERTOOLS_METRICS_NAMESPACE",
            "LOG_LEVEL",
        }


def test_every_log_group_is_kept_a_year_encrypted_and_every_function_logs_to_its_own(synthesised):
    log_groups = synthesised.resources("AWS::Logs::LogGroup")
    for logical_id, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] == ONE_YEAR_IN_DAYS, logical_id
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [synthesised.key_id, "Arn"]}, logical_id
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
    mappings = {
        logical_id: mapping
        for logical_id, mapping in synthesised.properties("AWS::Lambda::EventSourceMapping").items()
        if mapping["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"  # (queue sources: test_imports_stack.py)
    }
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
    dead_letters = {
        synthesised.logical_id(built.job.dead_letters) for built in synthesised.stack.functions.values() if built.job
    }
    assert dead_letters
    operations_key = {"Fn::GetAtt": [synthesised.logical_id(synthesised.stack.encryption.operations_key), "Arn"]}
    work = {
        synthesised.logical_id(queue)
        for built in synthesised.stack.queues.queues.values()
        for queue in (built.queue, built.dead_letters)
    }
    assert work
    for queue_id, queue in queues.items():
        if queue_id in dead_letters:  # a job's scheduled event: under the operations key
            assert queue["KmsMasterKeyId"] == operations_key
        elif queue_id in work:  # imports' rows and their dead letters: personal data, under the data key
            assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
        else:  # SQS-managed, deliberately: the messages only locate failed batches (infra/constructs/stream.py).
            assert queue["SqsManagedSseEnabled"] is True
        (policy,) = [policy for policy in policies if {"Ref": queue_id} in policy["Queues"]]
        assert any(
            statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in policy["PolicyDocument"]["Statement"]
        )


# --- Encryption ------------------------------------------------------------------------------


def test_two_customer_managed_keys_rotate_have_an_alias_and_outlive_the_stack(synthesised):
    """The data key, and the operations key of the alarm topic and the jobs' dead-letter queues."""
    keys = synthesised.resources("AWS::KMS::Key")
    operations_id = synthesised.logical_id(synthesised.stack.encryption.operations_key)
    assert set(keys) == {synthesised.key_id, operations_id}
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == "Retain"
        assert key["UpdateReplacePolicy"] == "Retain"
    aliases = {alias["AliasName"]: alias["TargetKeyId"] for alias in synthesised.properties("AWS::KMS::Alias").values()}
    assert aliases == {
        f"alias/{synthesised.stack.stack_name}/data": {"Fn::GetAtt": [synthesised.key_id, "Arn"]},
        f"alias/{synthesised.stack.stack_name}/operations": {"Fn::GetAtt": [operations_id, "Arn"]},
    }


def test_the_operations_key_lets_cloudwatch_alarms_of_this_account_publish(synthesised):
    key = synthesised.properties("AWS::KMS::Key")[synthesised.logical_id(synthesised.stack.encryption.operations_key)]
    (service,) = [statement for statement in key["KeyPolicy"]["Statement"] if "Service" in statement["Principal"]]
    assert service["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(service["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert service["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_key_policy_leaves_access_to_iam_and_lets_logs_use_it_for_this_account_only(synthesised):
    key = synthesised.properties("AWS::KMS::Key")[synthesised.key_id]
    statements = key["KeyPolicy"]["Statement"]
    assert all(statement["Effect"] == "Allow" for statement in statements)
    principals = [statement["Principal"] for statement in statements]
    # The account (so IAM policies, i.e. the grants on tables and buckets, decide), and CloudWatch Logs.
    account_root = {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    }
    assert account_root in principals
    (logs,) = [statement for statement in statements if "Service" in statement["Principal"]]
    assert "logs." in json.dumps(logs["Principal"])
    assert not allows(logs, "kms:CreateGrant")
    assert not allows(logs, "kms:ScheduleKeyDeletion")
    (condition,) = logs["Condition"]["ArnLike"].values()
    assert json.dumps(condition).endswith(':log-group:*"]]}')
    # What CDK's secret adds for Secrets Manager: the account again, through that service alone.
    through_secrets_manager = [
        statement
        for statement in statements
        if "secretsmanager." in json.dumps(statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService"))
    ]
    assert all(statement["Principal"] == account_root for statement in through_secrets_manager)
    assert len(statements) == 2 + len(through_secrets_manager)


def test_every_table_bucket_and_log_group_uses_the_one_key(synthesised):
    """Nothing at rest is left on an AWS-owned or AWS-managed key, apart from the documented exceptions."""
    key = {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
    tables = synthesised.properties("AWS::DynamoDB::Table").values()
    assert tables
    assert all(table["SSESpecification"]["KMSMasterKeyId"] == key for table in tables)
    for spec in topology.BUCKETS:
        bucket = synthesised.properties("AWS::S3::Bucket")[bucket_logical_id(spec)]
        (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
        assert rule["BucketKeyEnabled"] is True


# --- Audit trail: append-only, and its archive write-once ------------------------------------

AUDIT_TABLE_ID = table_logical_id(topology.AUDIT)
ARCHIVE_BUCKET_ID = bucket_logical_id(topology.AUDIT_ARCHIVE)
# What would change or remove an audit entry, or the table holding it (TTL would expire entries).
AUDIT_TABLE_TAMPERING = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:PutResourcePolicy",
)
APPENDING = ("dynamodb:PutItem", "dynamodb:PartiQLInsert")
# What would delete or overwrite an archived batch early, or loosen the lock that prevents it.
ARCHIVE_TAMPERING = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersionTagging",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
)


def _every_role_statement(synthesised):
    """(role logical id, statement) for every role of the stack, functions' and AWS services' alike."""
    for role_id in synthesised.resources("AWS::IAM::Role"):
        for statement in synthesised.statements(role_id):
            yield role_id, statement


def _managed_policies(synthesised):
    return {
        json.dumps(arn)
        for role in synthesised.properties("AWS::IAM::Role").values()
        for arn in role.get("ManagedPolicyArns", [])
    }


def test_the_only_managed_policy_is_api_gateways_logging_role(synthesised):
    """Managed policies are not in the template, so the tests below could not see inside them."""
    (policy,) = _managed_policies(synthesised)
    assert "AmazonAPIGatewayPushToCloudWatchLogs" in policy


def test_no_role_can_change_or_delete_an_audit_entry(synthesised):
    findings = [
        (role_id, action)
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, AUDIT_TABLE_ID)
        for action in allows_any(statement, AUDIT_TABLE_TAMPERING)
    ]
    assert findings == []


# Who appends to the trail: the stream consumer (every change), the lookup (who looked a person up
# by ID number or phone, DOMAIN §12) and the access export (who was given a person's information,
# PIPL 第45条), which change nothing and so reach no stream.
AUDIT_APPENDERS = ("lookup", "personal_information", "audit")
# Who writes batches to the archive: the stream consumer, and the lookup and the access export their own entries.
ARCHIVE_WRITERS = ("audit", "lookup", "personal_information")


def test_only_the_audit_function_the_lookup_and_the_access_export_append_to_the_audit_trail(synthesised):
    appending = {
        role_id
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, AUDIT_TABLE_ID) and allows_any(statement, APPENDING)
    }
    assert appending == {synthesised.role_id(name) for name in AUDIT_APPENDERS}
    assert [spec.name for spec in topology.FUNCTIONS if topology.AUDIT in spec.appends] == list(AUDIT_APPENDERS)
    assert not [spec.name for spec in topology.FUNCTIONS if topology.AUDIT in spec.writes]


def test_the_audit_table_keeps_every_entry(synthesised):
    table = synthesised.resources("AWS::DynamoDB::Table")[AUDIT_TABLE_ID]
    assert "TimeToLiveSpecification" not in table["Properties"]  # nothing expires
    assert "ResourcePolicy" not in table["Properties"]  # nobody outside the account's IAM
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_no_role_can_delete_or_unlock_an_archived_batch(synthesised):
    findings = [
        (role_id, action)
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, ARCHIVE_BUCKET_ID)
        for action in allows_any(statement, ARCHIVE_TAMPERING)
    ]
    assert findings == []
    writers = {
        role_id
        for role_id, statement in _every_role_statement(synthesised)
        if applies_to(statement, ARCHIVE_BUCKET_ID) and allows(statement, "s3:PutObject")
    }
    assert writers == {synthesised.role_id(name) for name in ARCHIVE_WRITERS}


def test_the_archive_bucket_policy_only_denies(synthesised):
    (policy,) = [
        policy
        for policy in synthesised.properties("AWS::S3::BucketPolicy").values()
        if policy["Bucket"] == {"Ref": ARCHIVE_BUCKET_ID}
    ]
    statements = policy["PolicyDocument"]["Statement"]
    assert [statement["Effect"] for statement in statements] == ["Deny"]
    (deny,) = statements
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert as_list(deny["Action"]) == ["s3:*"]


def test_the_audit_archive_is_locked_and_never_expires(synthesised):
    properties = synthesised.properties("AWS::S3::Bucket")[ARCHIVE_BUCKET_ID]
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": topology.AUDIT_ARCHIVE.retention_days}},
    }
    assert "LifecycleConfiguration" not in properties  # nothing expires the archive


def test_the_reports_bucket_ages_its_files_and_keeps_earlier_versions(synthesised):
    properties = synthesised.properties("AWS::S3::Bucket")[bucket_logical_id(topology.REPORTS)]
    assert "ObjectLockEnabled" not in properties
    (rule,) = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 90}]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 10 * 365
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


@pytest.mark.parametrize("spec", topology.BUCKETS, ids=lambda b: b.name)
def test_every_bucket_is_versioned_private_tls_only_logged_and_retained(synthesised, spec):
    bucket_id = bucket_logical_id(spec)
    bucket = synthesised.resources("AWS::S3::Bucket")[bucket_id]
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    (policy,) = [
        policy
        for policy in synthesised.properties("AWS::S3::BucketPolicy").values()
        if policy["Bucket"] == {"Ref": bucket_id}
    ]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    access_logs = properties["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert properties["LoggingConfiguration"]["LogFilePrefix"] == f"{spec.name}/"
    logs_bucket = synthesised.resources("AWS::S3::Bucket")[access_logs]
    assert logs_bucket["DeletionPolicy"] == "Retain"
    assert logs_bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    (expiry,) = logs_bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert expiry["NoncurrentVersionExpiration"]["NoncurrentDays"] == expiry["ExpirationInDays"]
    assert logs_bucket["Properties"]["PublicAccessBlockConfiguration"] == properties["PublicAccessBlockConfiguration"]
    (log_policy,) = [
        policy
        for policy in synthesised.properties("AWS::S3::BucketPolicy").values()
        if policy["Bucket"] == {"Ref": access_logs}
    ]
    (delivery,) = [
        statement
        for statement in log_policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        and statement["Condition"]["ArnLike"] == {"aws:SourceArn": {"Fn::GetAtt": [bucket_id, "Arn"]}}
    ]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
