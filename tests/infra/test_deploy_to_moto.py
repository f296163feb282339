"""The synthesised template deploys: into moto's CloudFormation, as `cdk deploy --app cdk.out` would
deploy it into an account, and the tables it creates have the topology's keys, indexes and streams.

What `cdk bootstrap` and AWS would have provided is set up first: the bootstrap version parameter,
the asset bucket, and the public Powertools layer parameter. The assets are then published from
the cloud assembly's manifest, as the CDK CLI does.
"""

from __future__ import annotations

import datetime
import io
import json
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.apigateway.models import Method as ApiGatewayMethod
from moto.awslambda.models import LambdaVersion, lambda_backends
from moto.cloudformation import parsing
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventBus
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import Parameter, ssm_backends

from crm import topology
from infra.constructs.archive import bucket_logical_id
from infra.constructs.data import table_logical_id
from infra.constructs.queues import dead_letters_logical_id, queue_logical_id
from infra.constructs.shared_layer import POWERTOOLS_LAYER_PARAMETER

REGION = "us-east-1"
STACK = "BrokerageCrm"


def _publish_aws_parameter(name: str, value: str) -> None:
    """Play AWS: moto refuses `/aws/...` names through the API, as AWS does for its own parameters."""
    ssm_backends[DEFAULT_ACCOUNT_ID][REGION]._parameters[name].append(
        Parameter(  # type: ignore[abstract]  # (its CloudFormation hooks are irrelevant here)
            account_id=DEFAULT_ACCOUNT_ID,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=datetime.datetime.now(datetime.UTC),
            version=1,
            data_type="text",
        )
    )


def _zipped(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.getvalue()


def _publish_assets(synthesised, s3) -> None:
    manifest = json.loads((synthesised.assembly_dir / f"{synthesised.stack.artifact_id}.assets.json").read_text())
    for asset in manifest["files"].values():
        source = synthesised.assembly_dir / asset["source"]["path"]
        body = _zipped(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", DEFAULT_ACCOUNT_ID)
            s3.put_object(Bucket=bucket.replace("${AWS::Region}", REGION), Key=destination["objectKey"], Body=body)


class _LambdaAlias(CloudFormationModel):
    """moto's CloudFormation has no `AWS::Lambda::Alias`: create it through moto's Lambda, as
    CloudFormation does through Lambda's; `Ref` gives its ARN, as in AWS."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
    ) -> _LambdaAlias:
        properties = cloudformation_json["Properties"]
        alias = lambda_backends[account_id][region_name].create_alias(
            name=properties["Name"],
            function_name=properties["FunctionName"],
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias.arn)


class _UserPool(CloudFormationModel):
    """moto's CloudFormation has no `AWS::Cognito::UserPool`: create it through moto's Cognito, as
    CloudFormation does; `Ref` gives its id and `Arn` its ARN, as in AWS (the staff function gets
    the one, and its grant names the other)."""

    def __init__(self, pool_id: str, arn: str) -> None:
        self.pool_id, self.arn = pool_id, arn

    @property
    def physical_resource_id(self) -> str:
        return self.pool_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @classmethod
    def has_cfn_attr(cls, attribute: str) -> bool:
        return attribute == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name != "Arn":
            raise NotImplementedError(attribute_name)
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
    ) -> _UserPool:
        pool = cognitoidp_backends[account_id][region_name].create_user_pool(resource_name, {})
        return cls(pool.id, pool.arn)


class _Secret(CloudFormationModel):
    """moto's CloudFormation has no `AWS::SecretsManager::Secret`: create it through moto's Secrets
    Manager (its value generated, as `GenerateSecretString` asks); `Ref` gives its ARN, as in AWS."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **_: Any
    ) -> _Secret:
        answer = secretsmanager_backends[account_id][region_name].create_secret(
            name=resource_name,
            secret_string=secrets.token_hex(32),
            secret_binary=None,
            description=cloudformation_json["Properties"].get("Description"),
            tags=None,
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(answer)["ARN"])


_create_method = ApiGatewayMethod.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


@classmethod  # type: ignore[misc]
def _method_with_a_mock(cls: Any, resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any):
    """moto reads every method's integration as if it called something: a MOCK (the CORS preflights,
    the 405 answers) has no HTTP method or URI to read, as in AWS."""
    integration = cloudformation_json["Properties"].get("Integration", {})
    if integration.get("Type") == "MOCK":
        integration.setdefault("IntegrationHttpMethod", "ANY")
        integration.setdefault("Uri", "")
    return _create_method(cls, resource_name, cloudformation_json, *args, **kwargs)


def _version_attribute(version: LambdaVersion, attribute: str) -> str:
    """`Fn::GetAtt [<version>, Version]`, which moto's CloudFormation does not resolve."""
    if attribute != "Version":
        raise NotImplementedError(attribute)
    return str(version.version)


@pytest.fixture(scope="module")
def deployed(synthesised):
    """The stack created in moto once for the module (its tests only read it): physical id of
    every resource, by logical id."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _deploy(synthesised, monkeypatch)


def _deploy(synthesised: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # TOOLCHAIN.md: moto's in-process streams
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # moto's CloudFormation resolves `Ref` of an event bus to its model object; AWS returns the name.
    monkeypatch.setattr(EventBus, "physical_resource_id", property(lambda bus: bus.name), raising=False)
    # The API functions' published versions and `live` aliases (tests/infra/test_snapstart.py).
    monkeypatch.setattr(LambdaVersion, "get_cfn_attribute", _version_attribute, raising=False)
    monkeypatch.setattr(LambdaVersion, "has_cfn_attr", classmethod(lambda cls, attribute: attribute == "Version"))
    monkeypatch.setattr(ApiGatewayMethod, "create_from_cloudformation_json", _method_with_a_mock)
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()  # they list CloudFormationModel's subclasses: _LambdaAlias, _UserPool, _Secret among them
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
        _publish_aws_parameter(
            POWERTOOLS_LAYER_PARAMETER,
            f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:1",
        )
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=f"cdk-hnb659fds-assets-{DEFAULT_ACCOUNT_ID}-{REGION}")
        _publish_assets(synthesised, s3)

        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(synthesised.main_template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        yield {resource["LogicalResourceId"]: resource.get("PhysicalResourceId") for resource in resources}


# moto's CloudFormation has no Cognito clients, authorizers or queue policies; it warns and skips them.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.*not supported by moto:UserWarning")


def test_tables_deploy_with_the_topology_keys_indexes_and_streams(deployed):
    dynamodb = boto3.client("dynamodb")
    for spec in topology.TABLES:
        table = dynamodb.describe_table(TableName=deployed[table_logical_id(spec)])["Table"]
        assert table["KeySchema"] == [
            {"AttributeName": key.name, "KeyType": key_type}
            for key, key_type in ((spec.partition_key, "HASH"), (spec.sort_key, "RANGE"))
            if key is not None
        ]
        assert {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])} == {
            index.name for index in spec.indexes
        }
        stream = table.get("StreamSpecification", {})
        assert stream.get("StreamEnabled", False) == spec.stream
        if spec.stream:
            assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_publishers_get_the_name_of_a_deployed_bus(deployed, synthesised):
    lambda_, events = boto3.client("lambda"), boto3.client("events")
    for spec in topology.FUNCTIONS:
        function = lambda_.get_function_configuration(FunctionName=deployed[synthesised.function_id(spec.name)])
        for bus in spec.publishes:
            name = function["Environment"]["Variables"][bus.env_var]
            assert events.describe_event_bus(Name=name)["Name"] == name


def test_functions_deploy_with_their_tables_physical_names(deployed, synthesised):
    lambda_ = boto3.client("lambda")
    for spec in topology.FUNCTIONS:
        configuration = lambda_.get_function_configuration(FunctionName=deployed[synthesised.function_id(spec.name)])
        assert configuration["Runtime"] == "python3.14"  # (moto drops Architectures; test_stack checks it)
        variables = configuration["Environment"]["Variables"]
        for table in spec.tables:
            assert variables[table.env_var] == deployed[table_logical_id(table)]


def test_stream_sources_deploy_and_consumers_get_their_source_tables_names(deployed, synthesised):
    lambda_ = boto3.client("lambda")
    for spec in topology.FUNCTIONS:
        function_name = deployed[synthesised.function_id(spec.name)]
        mappings = [
            mapping
            for mapping in lambda_.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
            if mapping["EventSourceArn"].startswith("arn:aws:dynamodb:")
        ]
        assert sorted(mapping["BatchSize"] for mapping in mappings) == sorted(
            source.batch_size for source in spec.streams
        )
        variables = lambda_.get_function_configuration(FunctionName=function_name)["Environment"]["Variables"]
        for source in spec.streams:
            assert variables[source.env_var] == deployed[table_logical_id(source.table)]


def test_api_functions_deploy_a_published_version_behind_their_live_alias(deployed, synthesised):
    lambda_ = boto3.client("lambda")
    api_functions = [spec for spec in topology.FUNCTIONS if spec.routes]
    assert api_functions
    for spec in api_functions:
        function_name = deployed[synthesised.function_id(spec.name)]
        (alias,) = lambda_.list_aliases(FunctionName=function_name)["Aliases"]
        assert alias["Name"] == "live"
        assert alias["AliasArn"] == deployed[synthesised.alias_id(spec.name)]
        published = [v["Version"] for v in lambda_.list_versions_by_function(FunctionName=function_name)["Versions"]]
        assert alias["FunctionVersion"] in published
        assert alias["FunctionVersion"] != "$LATEST"
    for spec in topology.FUNCTIONS:
        if not spec.routes:
            function_name = deployed[synthesised.function_id(spec.name)]
            assert lambda_.list_aliases(FunctionName=function_name)["Aliases"] == [], spec.name


def test_archivers_get_the_name_of_a_deployed_bucket(deployed, synthesised):
    lambda_, s3 = boto3.client("lambda"), boto3.client("s3")
    archivers = [spec for spec in topology.FUNCTIONS if spec.archives]
    assert archivers
    for spec in archivers:
        variables = lambda_.get_function_configuration(FunctionName=deployed[synthesised.function_id(spec.name)])[
            "Environment"
        ]["Variables"]
        for bucket in spec.archives:
            assert variables[bucket.env_var] == deployed[bucket_logical_id(bucket)]
            # (moto's CloudFormation creates the bucket but ignores its versioning and Object Lock
            # settings; the template tests check those.)
            s3.head_bucket(Bucket=variables[bucket.env_var])


def test_tables_deploy_encrypted_with_the_deployed_key(deployed, synthesised):
    # (Not DescribeKey: moto's CloudFormation keeps the KeyPolicy as an object, on which its
    # DescribeKey, checking the policy, fails. The template tests check the key policy.)
    kms = boto3.client("kms")
    key_id = deployed[synthesised.key_id]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {alias["AliasName"]: alias.get("TargetKeyId") for alias in kms.list_aliases()["Aliases"]}
    assert aliases[f"alias/{STACK}/data"] == key_id
    # moto's DescribeTable reports SSE only for the API's spelling (`Enabled`), not CloudFormation's
    # (`SSEEnabled`): read what its CloudFormation stored for each table, with the key ARN resolved.
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables
    for spec in topology.TABLES:
        sse = tables[deployed[table_logical_id(spec)]].sse_specification
        assert sse["SSEEnabled"] is True
        assert sse["SSEType"] == "KMS"
        assert sse["KMSMasterKeyId"].endswith(f":key/{key_id}")


def test_queues_deploy_with_their_dead_letter_queues_under_the_deployed_key(deployed, synthesised):
    sqs = boto3.client("sqs")
    key_id = deployed[synthesised.key_id]
    assert topology.QUEUES
    for spec in topology.QUEUES:
        attributes = sqs.get_queue_attributes(QueueUrl=deployed[queue_logical_id(spec)], AttributeNames=["All"])[
            "Attributes"
        ]
        dead_letters = sqs.get_queue_attributes(
            QueueUrl=deployed[dead_letters_logical_id(spec)], AttributeNames=["All"]
        )["Attributes"]
        assert int(attributes["VisibilityTimeout"]) == spec.visibility_timeout_s
        assert int(attributes["MessageRetentionPeriod"]) == spec.retention_s
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": dead_letters["QueueArn"],
            "maxReceiveCount": spec.max_receive_count,
        }
        assert int(dead_letters["MessageRetentionPeriod"]) == 14 * 86400
        for queue in (attributes, dead_letters):
            assert queue["KmsMasterKeyId"].endswith(f":key/{key_id}")


def test_senders_get_the_url_of_a_deployed_queue_and_consumers_its_mapping(deployed, synthesised):
    lambda_, sqs = boto3.client("lambda"), boto3.client("sqs")
    assert [spec for spec in topology.FUNCTIONS if spec.sends_to]
    for spec in topology.FUNCTIONS:
        function_name = deployed[synthesised.function_id(spec.name)]
        variables = lambda_.get_function_configuration(FunctionName=function_name)["Environment"]["Variables"]
        for queue in spec.sends_to:
            assert variables[queue.env_var] == deployed[queue_logical_id(queue)]
            sqs.get_queue_attributes(QueueUrl=variables[queue.env_var], AttributeNames=["QueueArn"])
        mappings = {
            mapping["EventSourceArn"]: mapping
            for mapping in lambda_.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
            if mapping["EventSourceArn"].startswith("arn:aws:sqs:")
        }
        assert len(mappings) == len(spec.queues), spec.name
        for source in spec.queues:
            url = deployed[queue_logical_id(source.queue)]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            mapping = mappings[arn]
            assert mapping["BatchSize"] == source.batch_size
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert mapping["ScalingConfig"] == {"MaximumConcurrency": source.max_concurrency}
