"""The REST API: every topology route as a method proxied to its function, all behind Cognito.

A nested stack of its own: a resource, a method and more for each route would take the main stack
past CloudFormation's 500 resources. Its Cognito authorizer lives here too (an authorizer belongs
to its API's stack). Each method invokes its function's `live` alias (`CrmFunction.invoked`): the
version the deploy published, SnapStart's snapshot; API Gateway may invoke that alias, through this
API, and nothing else (one permission per function, for the whole API, rather than one per method:
the routes are this stack's, and the permissions would be a fifth of its resources).

The stage is throttled, traced with X-Ray and access-logged (JSON, one year, encrypted with the
stack's customer-managed key). Errors API Gateway
answers itself (no token, throttled, unknown route, integration failure) use the API's error body
`{"error": {"code", "message", "field"}}`, and an unknown route is a 404 as the handlers' own
router answers it, not API Gateway's 403 "Missing Authentication Token".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import NestedStack, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from crm import topology
from infra.constructs.cors import add_method_not_allowed, add_preflight, gateway_response_headers
from infra.constructs.function import LOG_RETENTION
from infra.constructs.nag import acknowledge
from infra.constructs.waf import Firewall

STAGE = "v1"
THROTTLING_RATE_LIMIT = 100  # requests per second, steady state, across the stage
THROTTLING_BURST_LIMIT = 200

_PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's own answers, in the API's error body."""

    response_type: apigw.ResponseType
    code: str
    status: str | None = None  # None keeps API Gateway's status
    message: str = "$context.error.messageString"  # a JSON string already, quotes included
    retry_after_s: int | None = None  # `Retry-After`: when a throttled caller may try again

    @property
    def template(self) -> str:
        return f'{{"error": {{"code": "{self.code}", "message": {self.message}, "field": null}}}}'


GATEWAY_ERRORS = (
    GatewayError(apigw.ResponseType.UNAUTHORIZED, "unauthenticated", "401"),
    GatewayError(apigw.ResponseType.ACCESS_DENIED, "forbidden", "403"),
    # What API Gateway answers for a route it does not have: a 404 like the handlers' router.
    GatewayError(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "not_found", "404", '"no such route"'),
    GatewayError(apigw.ResponseType.THROTTLED, "throttled", "429", retry_after_s=1),
    GatewayError(apigw.ResponseType.DEFAULT_4_XX, "bad_request"),
    GatewayError(apigw.ResponseType.DEFAULT_5_XX, "internal_error"),
)


def _access_log_format() -> apigw.AccessLogFormat:
    """One JSON line per request: who (user, role, branch from the token), what, when, outcome."""
    field = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "requestId": field.context_request_id(),
                "xrayTraceId": field.context_xray_trace_id(),
                "requestTime": field.context_request_time(),
                "ip": field.context_identity_source_ip(),
                "user": field.context_authorizer_claims("cognito:username"),
                "role": field.context_authorizer_claims("custom:role"),
                "branch": field.context_authorizer_claims("custom:branch"),
                "httpMethod": field.context_http_method(),
                "resourcePath": field.context_resource_path(),
                "path": field.context_path(),
                "status": field.context_status(),
                "responseLength": field.context_response_length(),
                "integrationLatency": field.context_integration_latency(),
                "error": field.context_error_message(),
            }
        )
    )


def path_parameters(path: str) -> list[str]:
    """`/clients/{client_id}/metrics/{year}` → `["client_id", "year"]`."""
    return _PATH_PARAMETER.findall(path)


class Api(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Iterable[tuple[topology.Route, topology.Function]],
        functions: Mapping[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        key: kms.IKey,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id, description="Brokerage CRM: the REST API, its routes and authorizer")
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[user_pool])
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=LOG_RETENTION, encryption_key=key, removal_policy=RemovalPolicy.RETAIN
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="Brokerage CRM: clients, questionnaires, classification (see the OpenAPI document)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry personal data: never log them
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=_access_log_format(),
            ),
        )
        # API Gateway would create the execution log group itself, kept forever: create it first.
        execution_logs = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{STAGE}",
            retention=LOG_RETENTION,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api.deployment_stage.node.add_dependency(execution_logs)
        self.firewall = Firewall(self, "Firewall", stage=self.rest_api.deployment_stage)
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway uses to write execution and access logs; AWS "
            "maintains this policy for exactly that purpose and it grants nothing else.",
        )
        validator = self.rest_api.add_request_validator(
            "PathParameters", validate_request_parameters=True, validate_request_body=False
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "Path parameters are validated here; request bodies are validated by each handler's "
            "pydantic models, which answer with the API's error body naming the offending field "
            "(API.md) and are the source of the generated OpenAPI document. Body validation in "
            "API Gateway would need a second copy of every schema and answer in another shape.",
        )
        for error in GATEWAY_ERRORS:
            self.rest_api.add_gateway_response(
                error.response_type.response_type,
                type=error.response_type,
                status_code=error.status,
                response_headers={
                    **gateway_response_headers(allowed_origins),
                    **({"Retry-After": f"'{error.retry_after_s}'"} if error.retry_after_s else {}),
                }
                or None,
                templates={"application/json": error.template},
            )

        integrations: dict[str, apigw.LambdaIntegration] = {}
        methods: dict[str, set[str]] = {}
        for route, function in routes:
            methods.setdefault(route.path, set()).add(route.method)
            if function.name not in integrations:
                integrations[function.name] = apigw.LambdaIntegration(
                    functions[function.name], scope_permission_to_method=False
                )
            self.rest_api.root.resource_for_path(route.path).add_method(
                route.method,
                integrations[function.name],
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=validator,
                request_parameters={f"method.request.path.{name}": True for name in path_parameters(route.path)},
            )
        # CORS and 405 where no handler answers (infra.constructs.cors): every resource with routes.
        for path, declared in methods.items():
            resource = self.rest_api.root.resource_for_path(path)
            add_preflight(resource, declared, allowed_origins)
            add_method_not_allowed(resource, path, declared, allowed_origins)
