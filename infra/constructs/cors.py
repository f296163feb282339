"""CORS where API Gateway answers itself (API.md «Rules»: CORS; crm.domain.cors for the rules).

The handlers put the CORS headers on their own answers (Powertools, from `CORS_ALLOWED_ORIGINS`).
What never reaches a handler is answered here:
- the preflight: an `OPTIONS` method on every resource, without authorizer (a browser sends no
  token with it), a mock integration answering 204 with the methods the resource has, the headers a
  request may send, and the origin when it is one of the allowed — only then;
- a known path with another method: an `ANY` method on every resource answering 405 with `Allow`
  (API Gateway takes the methods a resource declares before `ANY`), with the same origin rule;
- API Gateway's own errors (401 no token, 403, 429 throttled, other 4XX and 5XX): a gateway response
  cannot choose its headers by the request, so with one allowed origin they name it, and with
  several they echo the request's `Origin`. Their bodies are the API's error body and never hold
  data, so a page of another origin learns nothing from one; the answers that hold data, the
  handlers', name only allowed origins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from aws_cdk import aws_apigateway as apigw

from crm.domain.cors import ALLOW_HEADERS, EXPOSE_HEADERS, MAX_AGE_S
from infra.constructs.nag import acknowledge

_ORIGIN_TEMPLATE = """#set($origin = $input.params().header.get("Origin"))
#if("$!origin" == "")#set($origin = $input.params().header.get("origin"))#end
#if({condition})
#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
#set($context.responseOverride.header.Access-Control-Expose-Headers = "{expose}")
#end
"""


def origin_template(origins: Sequence[str], body: str = "") -> str:
    """A mapping template that names the request's origin when it is one of `origins` (nothing
    otherwise), then writes `body`. The origins are checked at synth (infra.settings): no quotes."""
    condition = " || ".join(f'$origin == "{origin}"' for origin in origins) or "false"
    return _ORIGIN_TEMPLATE.format(condition=condition, expose=",".join(EXPOSE_HEADERS)) + body


_CORS_RESPONSE_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary")


def _declared(*headers: str) -> dict[str, bool]:
    return {f"method.response.header.{header}": True for header in headers}


def add_preflight(resource: apigw.IResource, methods: Iterable[str], origins: Sequence[str]) -> apigw.Method:
    allowed = ",".join(sorted({*methods, "OPTIONS"}))
    integration = apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 204}'},
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="204",
                response_parameters={
                    "method.response.header.Access-Control-Allow-Methods": f"'{allowed}'",
                    "method.response.header.Access-Control-Allow-Headers": f"'{','.join(ALLOW_HEADERS)}'",
                    "method.response.header.Access-Control-Max-Age": f"'{MAX_AGE_S}'",
                    "method.response.header.Vary": "'Origin'",
                },
                response_templates={"application/json": origin_template(origins)},
            )
        ],
    )
    method = resource.add_method(
        "OPTIONS",
        integration,
        authorization_type=apigw.AuthorizationType.NONE,
        method_responses=[
            apigw.MethodResponse(
                status_code="204",
                response_parameters=_declared(
                    *_CORS_RESPONSE_HEADERS,
                    "Access-Control-Allow-Methods",
                    "Access-Control-Allow-Headers",
                    "Access-Control-Max-Age",
                ),
            )
        ],
    )
    _without_authorizer(method, "a CORS preflight, which browsers send without a token")
    return method


def add_method_not_allowed(
    resource: apigw.IResource, path: str, methods: Iterable[str], origins: Sequence[str]
) -> apigw.Method:
    allowed = ", ".join(sorted({*methods, "OPTIONS"}))
    body = json.dumps(
        {
            "error": {
                "code": "method_not_allowed",
                "message": f"{path} answers {allowed}, not $context.httpMethod",
                "field": None,
            }
        }
    )
    integration = apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 405}'},
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="405",
                response_parameters={
                    "method.response.header.Allow": f"'{allowed}'",
                    "method.response.header.Vary": "'Origin'",
                },
                response_templates={"application/json": origin_template(origins, body)},
            )
        ],
    )
    method = resource.add_method(
        "ANY",
        integration,
        authorization_type=apigw.AuthorizationType.NONE,
        method_responses=[
            apigw.MethodResponse(status_code="405", response_parameters=_declared(*_CORS_RESPONSE_HEADERS, "Allow"))
        ],
    )
    _without_authorizer(method, "the 405 answer of a method the resource does not have")
    return method


def _without_authorizer(method: apigw.Method, what: str) -> None:
    for finding in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
        acknowledge(
            method,
            finding,
            f"A mock integration without authorizer: {what}. It reaches no function and holds no "
            "data; every route method has the Cognito authorizer.",
        )


def gateway_response_headers(origins: Sequence[str]) -> dict[str, str]:
    """The CORS headers of API Gateway's own errors (see the module's doc): none without origins."""
    if not origins:
        return {}
    origin = f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.Origin"
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": f"'{','.join(EXPOSE_HEADERS)}'",
        "Vary": "'Origin'",
    }
