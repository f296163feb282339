"""Who may call the API: the staff user pool, its app client, and the API's Cognito authorizer.

A user's `custom:role` (manager, counter, supervisor, hq, compliance) and `custom:branch` ride in
the ID token; handlers read them from `requestContext.authorizer.claims`. The staff register sets
them (the staff function's AdminUpdateUserAttributes, DOMAIN §11): the app client can read but never
write them, so nobody can promote themselves. Staff accounts are created through the register,
never by sign-up. The app client is what a web front-end signs in with: the authorization code flow
with PKCE (a public client, no secret), the OpenID scopes, the callback and sign-out URLs and the
hosted UI's domain prefix of the deployment configuration (`web_sign_in`, infra.settings), and no
hosted UI or OAuth flow at all when none is configured.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.settings import WebSignIn

ROLE_ATTRIBUTE = "role"
BRANCH_ATTRIBUTE = "branch"
# The OpenID scopes, for the ID token the API reads (with the user's name and e-mail); no others.
OAUTH_SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE)
# A day's work signed in; after that, the user signs in again (and a disabled user cannot refresh).
REFRESH_TOKEN_VALIDITY = Duration.hours(12)


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, web: WebSignIn) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            standard_attributes=cognito.StandardAttributes(
                # Not required: the register puts a member on the pool with or without one (DOMAIN
                # §11); the invitation goes by e-mail when there is one, else an administrator
                # hands the first password over.
                email=cognito.StandardAttribute(required=False, mutable=True)
            ),
            custom_attributes={
                ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=32, mutable=True),
                BRANCH_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "The pool holds only the brokerage's own staff, created by administrators, with strong "
            "passwords and TOTP MFA required; the Plus tier's threat protection is a per-user cost "
            "decision left to the owner and tracked as a follow-up.",
        )

        self.app_client = self.user_pool.add_client(
            "App",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,  # a browser keeps no secret: PKCE protects its code exchange
            disable_o_auth=not web.hosted,
            o_auth=cognito.OAuthSettings(
                # the authorization code flow (PKCE, with no client secret) and nothing else: no
                # implicit flow, whose tokens travel in the URL, no client credentials
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=list(OAUTH_SCOPES),
                callback_urls=list(web.callback_urls),
                logout_urls=list(web.logout_urls) or None,
            )
            if web.hosted
            else None,
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, preferred_username=True, fullname=True)
            .with_custom_attributes(ROLE_ATTRIBUTE, BRANCH_ATTRIBUTE),
            # Deliberately no custom attribute here: role and branch are administrators' to set.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, preferred_username=True),
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=REFRESH_TOKEN_VALIDITY,
            enable_token_revocation=True,
        )
        self.domain = (
            self.user_pool.add_domain(
                "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=web.domain_prefix)
            )
            if web.domain_prefix
            else None
        )
        if self.domain is not None:
            CfnOutput(self, "HostedUiDomain", value=self.domain.base_url())

        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.app_client.user_pool_client_id)
