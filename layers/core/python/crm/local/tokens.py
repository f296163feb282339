"""Local identity: bearer tokens shaped like Cognito ID tokens, signed by the local system.

In AWS the Cognito authorizer verifies the token and hands its claims to the handler as
`requestContext.authorizer.claims`. Locally the front verifies these tokens the same way
(signature, expiry, issuer, audience, token use) and passes on the same claims, so handlers
cannot tell the difference and never read identity from anywhere else.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from crm.domain.access import BRANCH_ROLES, Role
from crm.errors import InvalidInput, Unauthenticated

AUDIENCE = "crm-local"
ALGORITHM = "HS256"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class TokenIssuer:
    secret: bytes
    issuer: str

    @classmethod
    def for_state(cls, state_dir: Path | None, issuer: str) -> TokenIssuer:
        """A fresh key per run, or the one kept in the state directory so tokens survive restarts."""
        if state_dir is None:
            return cls(secret=secrets.token_bytes(32), issuer=issuer)
        key_file = state_dir / "token-key"
        if not key_file.exists():
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the user's alone
            with os.fdopen(descriptor, "wb") as out:
                out.write(secrets.token_bytes(32))
        return cls(secret=key_file.read_bytes(), issuer=issuer)

    def mint(self, *, role: str, user: str, branch: str | None, now: datetime | None = None) -> str:
        try:
            parsed_role = Role(role)
        except ValueError:
            raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}", field="role") from None
        if not user:
            raise InvalidInput("user is required", field="user")
        if parsed_role in BRANCH_ROLES and not branch:
            raise InvalidInput(f"a {role} acts in a branch: give --branch", field="branch")
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"crm-local:{user}")),
            "cognito:username": user,
            "custom:role": parsed_role.value,
            "token_use": "id",
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": int(issued.timestamp()),
            "exp": int((issued + LIFETIME).timestamp()),
        }
        if branch:
            claims["custom:branch"] = branch
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, authorization: str | None) -> dict[str, str]:
        """The claims API Gateway would pass on, or Unauthenticated."""
        if not authorization:
            raise Unauthenticated("an Authorization: Bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "token_use"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the token is not valid") from None
        if claims.get("token_use") != "id":
            raise Unauthenticated("an ID token is required")
        # Cognito hands claims to the integration as strings.
        return {key: str(value) for key, value in claims.items()}
