"""Local bearer tokens shaped like Cognito ID tokens (API.md «crm token»)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from crm.domain.access import Identity, Role
from crm.errors import InvalidInput, Unauthenticated
from crm.local.tokens import AUDIENCE, TokenIssuer

ISSUER = TokenIssuer(secret=b"s" * 32, issuer="http://localhost:3000")


def bearer(token: str) -> str:
    return f"Bearer {token}"


def signed(secret: Any = ISSUER.secret, algorithm: str = "HS256", **overrides: Any) -> str:
    """A token minted by hand: a valid manager ID token with some claims changed or removed (None)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "cognito:username": "m-1",
        "custom:role": "manager",
        "custom:branch": "b-1",
        "token_use": "id",
        "iss": ISSUER.issuer,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=algorithm)


@pytest.mark.parametrize(
    ("role", "branch"),
    [("manager", "b-1"), ("counter", "b-2"), ("supervisor", "b-1"), ("hq", None), ("compliance", None)],
)
def test_a_minted_token_verifies_to_cognito_shaped_claims(role: str, branch: str | None) -> None:
    claims = ISSUER.verify(bearer(ISSUER.mint(role=role, user="u-1", branch=branch)))
    assert claims["cognito:username"] == "u-1"
    assert claims["custom:role"] == role
    assert claims.get("custom:branch") == branch
    assert claims["token_use"] == "id"
    assert (claims["iss"], claims["aud"]) == (ISSUER.issuer, AUDIENCE)
    assert all(isinstance(value, str) for value in claims.values())  # as API Gateway hands them on
    assert Identity.from_claims(claims) == Identity(user_id="u-1", role=Role(role), branch_id=branch)


def test_a_token_lives_twelve_hours() -> None:
    issued = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    claims = jwt.decode(
        ISSUER.mint(role="hq", user="h-1", branch=None, now=issued),
        options={"verify_signature": False},
    )
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert claims["iat"] == int(issued.timestamp())


def test_the_scheme_is_case_insensitive() -> None:
    token = ISSUER.mint(role="hq", user="h-1", branch=None)
    assert ISSUER.verify(f"bearer {token}")["custom:role"] == "hq"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing-header"),
        pytest.param("", id="empty-header"),
        pytest.param("Bearer ", id="no-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param(f"Token {signed()}", id="wrong-scheme"),
        pytest.param(signed(), id="no-scheme"),
        pytest.param("Bearer not.a.jwt", id="garbage"),
        pytest.param(bearer(signed(secret=b"o" * 32)), id="forged-other-secret"),
        pytest.param(bearer(signed(secret=None, algorithm="none")), id="unsigned-alg-none"),
        pytest.param(bearer(signed(exp=int(datetime.now(UTC).timestamp()) - 60)), id="expired"),
        pytest.param(bearer(signed(aud="other-app")), id="wrong-audience"),
        pytest.param(bearer(signed(iss="http://elsewhere")), id="wrong-issuer"),
        pytest.param(bearer(signed(token_use="access")), id="access-token"),
        pytest.param(bearer(signed(token_use=None)), id="no-token-use"),
        pytest.param(bearer(signed(exp=None)), id="no-expiry"),
        pytest.param(bearer(signed(aud=None)), id="no-audience"),
    ],
)
def test_an_untrustworthy_authorization_is_unauthenticated(authorization: str | None) -> None:
    with pytest.raises(Unauthenticated):
        ISSUER.verify(authorization)


def test_a_token_minted_in_the_past_has_expired() -> None:
    token = ISSUER.mint(role="hq", user="h-1", branch=None, now=datetime.now(UTC) - timedelta(hours=13))
    with pytest.raises(Unauthenticated, match="expired"):
        ISSUER.verify(bearer(token))


@pytest.mark.parametrize(
    ("role", "user", "branch", "field"),
    [
        pytest.param("manager", "m-1", None, "branch", id="manager-without-branch"),
        pytest.param("counter", "k-1", "", "branch", id="counter-empty-branch"),
        pytest.param("supervisor", "s-1", None, "branch", id="supervisor-without-branch"),
        pytest.param("admin", "a-1", "b-1", "role", id="unknown-role"),
        pytest.param("HQ", "h-1", None, "role", id="role-is-case-sensitive"),
        pytest.param("hq", "", None, "user", id="no-user"),
    ],
)
def test_minting_refuses_an_incomplete_identity(role: str, user: str, branch: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ISSUER.mint(role=role, user=user, branch=branch)
    assert caught.value.field == field


def test_a_state_directory_keeps_the_key_across_restarts(tmp_path: Path) -> None:
    first = TokenIssuer.for_state(tmp_path, ISSUER.issuer)
    token = first.mint(role="hq", user="h-1", branch=None)
    second = TokenIssuer.for_state(tmp_path, ISSUER.issuer)
    assert second.verify(bearer(token))["cognito:username"] == "h-1"
    assert (tmp_path / "token-key").stat().st_mode & 0o777 == 0o600


def test_without_a_state_directory_each_run_has_its_own_key() -> None:
    token = TokenIssuer.for_state(None, ISSUER.issuer).mint(role="hq", user="h-1", branch=None)
    with pytest.raises(Unauthenticated):
        TokenIssuer.for_state(None, ISSUER.issuer).verify(bearer(token))
