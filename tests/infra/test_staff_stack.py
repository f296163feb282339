"""The staff register as deployed (DOMAIN §11): only the staff function may change the user pool's
users, and only as the register needs; the keys the functions sign cursors with are readable by the
functions that page and by no other; the web front-end signs in with the code flow and PKCE only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from crm import topology
from infra.constructs.function import USER_POOL_ACTIONS
from infra.constructs.secrets import secret_logical_id
from infra.settings import SettingsError, WebSignIn
from infra.stack import BrokerageCrmStack
from tests.infra.iam import actions, as_list


def _statements_with(synthesised, name: str, prefix: str) -> list[dict[str, Any]]:
    return [
        statement
        for statement in synthesised.statements(synthesised.role_id(name))
        if any(action.startswith(prefix) for action in actions(statement))
    ]


def test_only_the_staff_function_may_change_the_pools_users(synthesised):
    pool_id = synthesised.logical_id(synthesised.stack.identity.user_pool)
    for spec in synthesised.functions:
        cognito = _statements_with(synthesised, spec.name, "cognito-idp:")
        if not spec.manages_users:
            assert cognito == [], spec.name
            continue
        (statement,) = cognito
        assert sorted(actions(statement)) == sorted(USER_POOL_ACTIONS)
        assert all(not action.endswith("*") for action in actions(statement))
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    assert [spec.name for spec in synthesised.functions if spec.manages_users] == ["staff"]


def test_the_staff_function_is_told_the_pool_and_the_register(synthesised):
    functions = synthesised.properties("AWS::Lambda::Function")
    variables = functions[synthesised.function_id("staff")]["Environment"]["Variables"]
    assert variables[topology.STAFF_POOL.env_var] == {
        "Ref": synthesised.logical_id(synthesised.stack.identity.user_pool)
    }
    assert variables[topology.STAFF.env_var] == {"Ref": "StaffTable"}


def test_the_cursor_key_is_read_by_the_functions_that_page_and_by_no_other(synthesised):
    secret_id = secret_logical_id(topology.CURSOR_KEY)
    secret = synthesised.resources("AWS::SecretsManager::Secret")[secret_id]
    assert secret["DeletionPolicy"] == "Retain"
    assert secret["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [synthesised.key_id, "Arn"]}
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    for spec in synthesised.functions:
        reads = [
            statement
            for statement in _statements_with(synthesised, spec.name, "secretsmanager:")
            if synthesised.refers_to(statement["Resource"], secret_id)
        ]
        assert bool(reads) == (topology.CURSOR_KEY in spec.secrets), spec.name
        for statement in reads:
            assert actions(statement) == ["secretsmanager:GetSecretValue"]
        variables = synthesised.properties("AWS::Lambda::Function")[synthesised.function_id(spec.name)]
        assert (topology.CURSOR_KEY.env_var in variables["Environment"]["Variables"]) == bool(reads), spec.name


def test_every_function_that_hands_out_cursors_may_sign_them():
    listing = {fn.name for fn in topology.FUNCTIONS if any(r.method == "GET" and "{" not in r.path for r in fn.routes)}
    signing = {fn.name for fn in topology.FUNCTIONS if topology.CURSOR_KEY in fn.secrets}
    # the threshold and a day's work are answered whole: no cursor to sign
    assert listing - signing == {"settings", "work"}


def _client(template: dict[str, Any]) -> dict[str, Any]:
    (client,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolClient"]
    return client


def test_without_sign_in_urls_the_app_client_offers_no_oauth_flow_and_no_hosted_ui(synthesised):
    client = _client(synthesised.template)
    assert "AllowedOAuthFlows" not in client or client["AllowedOAuthFlows"] == []
    assert client.get("AllowedOAuthFlowsUserPoolClient") in (None, False)
    assert "CallbackURLs" not in client
    assert synthesised.resources("AWS::Cognito::UserPoolDomain") == {}
    assert client["GenerateSecret"] is False
    assert client["IdTokenValidity"] == 60
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"


WEB = {
    "callback_urls": ["https://crm.example.com/auth/callback"],
    "logout_urls": ["https://crm.example.com/"],
    "domain_prefix": "example-brokerage-crm",
}


@pytest.fixture(scope="module")
def with_web_sign_in() -> dict[str, Any]:
    """A stack of one API function, synthesised with the web sign-in configured as `-c` passes it."""
    app = App(context={"web_sign_in": json.dumps(WEB)})
    stack = BrokerageCrmStack(app, "WithWebSignIn", functions=(topology.function("settings"),))
    return app.synth().get_stack_by_name(stack.stack_name).template


def test_the_web_sign_in_is_the_code_flow_with_pkce_and_the_openid_scopes_only(with_web_sign_in):
    client = _client(with_web_sign_in)
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit flow, no client credentials
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["GenerateSecret"] is False  # a public client: PKCE protects the code exchange
    assert sorted(client["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert client["CallbackURLs"] == WEB["callback_urls"]
    assert client["LogoutURLs"] == WEB["logout_urls"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["IdTokenValidity"] == 60
    assert client["TokenValidityUnits"]["IdToken"] == "minutes"
    units = {"minutes": 1, "hours": 60, "days": 1440}[client["TokenValidityUnits"]["RefreshToken"]]
    assert client["RefreshTokenValidity"] * units <= 24 * 60  # bounded: a day at most
    assert client["EnableTokenRevocation"] is True
    (domain,) = [
        r["Properties"] for r in with_web_sign_in["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolDomain"
    ]
    assert domain["Domain"] == WEB["domain_prefix"]


@pytest.mark.parametrize(
    "setting",
    [
        {"callback_urls": ["http://crm.example.com/callback"]},  # not https
        {"callback_urls": ["https://*.example.com/callback"]},  # a wildcard
        {"callback_urls": ["/callback"]},  # not absolute
        {"domain_prefix": "Brokerage_CRM"},  # no such prefix, and a hosted UI without callbacks
        {"callback_urls": ["https://crm.example.com/"], "domain_prefix": "-crm"},
        {"callback_url": ["https://crm.example.com/"]},  # a misspelt name
    ],
)
def test_a_web_sign_in_setting_that_cannot_be_deployed_fails_the_synth(setting):
    with pytest.raises(SettingsError, match="web_sign_in"):
        WebSignIn.from_context({"web_sign_in": setting})


def test_local_addresses_may_be_callbacks_for_a_developers_front_end():
    local = WebSignIn.from_context({"web_sign_in": {"callback_urls": ["http://localhost:5173/callback"]}})
    assert local.hosted
    assert local.domain_prefix is None


def test_the_lookup_key_is_read_only_by_the_functions_that_write_or_look_up_the_keyed_hashes(synthesised):
    """The keyed hashes of ID and phone numbers (DOMAIN §12): written on registration and key
    information changes (clients) and on the registrations of an import (import_rows), read by the
    lookup, by the person's accounts of an overview and of an access export (personal_information),
    and by a retention outcome that may restrict the person (retention)."""
    secret_id = secret_logical_id(topology.LOOKUP_KEY)
    readers = {
        spec.name
        for spec in synthesised.functions
        if any(
            synthesised.refers_to(statement["Resource"], secret_id)
            for statement in _statements_with(synthesised, spec.name, "secretsmanager:")
        )
    }
    assert readers == {"clients", "import_rows", "lookup", "overview", "personal_information", "retention"}
    assert readers == {spec.name for spec in topology.FUNCTIONS if topology.LOOKUP_KEY in spec.secrets}
    for name in readers:
        decrypts = [
            statement
            for statement in synthesised.statements(synthesised.role_id(name))
            if "kms:Decrypt" in actions(statement) and "kms:ViaService" in json.dumps(statement.get("Condition", {}))
        ]
        assert decrypts, name  # the secret's key, through Secrets Manager only
