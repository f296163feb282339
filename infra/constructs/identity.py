"""Who may call the API: the staff user pool, its app client, and the API's Cognito authorizer.

A user's `custom:role` (manager, counter, supervisor, hq, compliance) and `custom:branch` ride in
the ID token; handlers read them from `requestContext.authorizer.claims`. Only administrators set
them (AdminUpdateUserAttributes): the app client can read but never write them, so nobody can
promote themselves. Staff accounts are created by administrators, never by sign-up.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.nag import acknowledge

ROLE_ATTRIBUTE = "role"
BRANCH_ATTRIBUTE = "branch"


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
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
            prevent_user_existence_errors=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, preferred_username=True)
            .with_custom_attributes(ROLE_ATTRIBUTE, BRANCH_ATTRIBUTE),
            # Deliberately no custom attribute here: role and branch are administrators' to set.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, preferred_username=True),
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[self.user_pool])

        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.app_client.user_pool_client_id)
