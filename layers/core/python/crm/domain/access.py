"""Who may call what, in which scope (DOMAIN.md §0; API.md «Roles»).

The policy is one declarative table (`rules/access.toml`): route × role → scope. A route or
role missing from the table is denied. Scopes: `own` (a manager's own clients, 第50条 2),
`branch` (the caller's branch), `all` (every branch). Compliance and HQ read everything;
compliance writes nothing and HQ writes only what the table grants it (calendars, rules,
recalibration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crm.domain.identifiers import identifier_problem
from crm.errors import Forbidden, InvalidInput, RuleTableError, Unauthenticated


class Role(StrEnum):
    MANAGER = "manager"  # 客户经理
    COUNTER = "counter"  # 柜面人员
    SUPERVISOR = "supervisor"  # 营业部客服总监 / 运营总监
    HQ = "hq"  # 经纪业务管理总部
    COMPLIANCE = "compliance"  # 合规


BRANCH_ROLES = frozenset({Role.MANAGER, Role.COUNTER, Role.SUPERVISOR})
READ_METHODS = frozenset({"GET", "HEAD"})


class Scope(StrEnum):
    OWN = "own"
    BRANCH = "branch"
    ALL = "all"


@dataclass(frozen=True)
class Identity:
    """The caller, as the authorizer vouched for it (Cognito claims in AWS, local tokens locally)."""

    user_id: str
    role: Role
    branch_id: str | None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Identity:
        """The caller the token names, every claim held to the identifier rules: a branch of
        `B1/../B2` or `=HYPERLINK(…)` would travel into S3 paths and CSV cells (401, never stored)."""
        if not claims:
            raise Unauthenticated("no verified identity on the request")
        user_id = claims.get("cognito:username") or claims.get("sub")
        role_name = claims.get("custom:role")
        branch_id = claims.get("custom:branch") or None
        if not user_id or not role_name:
            raise Unauthenticated("the token lacks a user or a role")
        try:
            role = Role(role_name)
        except ValueError:
            raise Unauthenticated("the token names an unknown role") from None
        if identifier_problem(user_id):
            raise Unauthenticated(f"the token's user {identifier_problem(user_id)}")
        if role in BRANCH_ROLES and not branch_id:
            raise Unauthenticated(f"a {role} token must name its branch")
        if branch_id is not None and identifier_problem(branch_id):
            raise Unauthenticated(f"the token's branch {identifier_problem(branch_id)}")
        return cls(user_id=str(user_id), role=role, branch_id=branch_id)


@dataclass(frozen=True)
class Grant:
    """What one identity may do on one route: the scope to check each touched record against."""

    identity: Identity
    scope: Scope

    def covers(self, *, branch_id: str, manager_id: str | None = None) -> bool:
        if self.scope is Scope.ALL:
            return True
        if branch_id != self.identity.branch_id:
            return False
        return self.scope is Scope.BRANCH or manager_id == self.identity.user_id

    def require(self, *, branch_id: str, manager_id: str | None = None, what: str = "this record") -> None:
        if not self.covers(branch_id=branch_id, manager_id=manager_id):
            raise Forbidden(f"{what} is outside the scope of a {self.identity.role} ({self.scope})")

    def require_branch(self, branch_id: str, *, field: str = "branch_id") -> None:
        """For creations: the new record's branch must be the caller's (or any, for `all`)."""
        if self.scope is not Scope.ALL and branch_id != self.identity.branch_id:
            raise Forbidden(f"a {self.identity.role} acts only in its own branch", field=field)

    def listing_branch(self, branch_id: str | None) -> str:
        """The one branch a listing covers: the caller's own, or the one an all-branch role names."""
        confined = self.branch_filter()
        if confined is not None and branch_id not in (None, confined):
            raise Forbidden(f"a {self.identity.role} lists only its own branch", field="branch_id")
        branch = confined or branch_id
        if not branch:
            raise InvalidInput("name the branch to list", field="branch_id")
        return branch

    def branch_filter(self) -> str | None:
        """The branch a listing is confined to; None when the caller sees every branch."""
        return None if self.scope is Scope.ALL else self.identity.branch_id

    def manager_filter(self) -> str | None:
        return self.identity.user_id if self.scope is Scope.OWN else None


@dataclass(frozen=True)
class AccessPolicy:
    version: str
    routes: Mapping[str, Mapping[Role, Scope]]
    # Roles that see ID and phone numbers in full; everyone else sees them masked (PIPL art. 28).
    unmasked_roles: frozenset[Role]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> AccessPolicy:
        try:
            routes = {
                str(route): {Role(role): Scope(scope) for role, scope in grants.items()}
                for route, grants in table["routes"].items()
            }
            version = str(table["version"])
            unmasked = frozenset(Role(role) for role in table["pii"]["unmasked_roles"])
        except (KeyError, ValueError, AttributeError) as exc:
            raise RuleTableError(f"access table: {exc!r}") from exc
        for route, grants in routes.items():
            method = route.split(" ", 1)[0]
            if method not in READ_METHODS and Role.COMPLIANCE in grants:
                raise RuleTableError(f"access table: compliance may not write ({route})")
            if Role.MANAGER in grants and grants[Role.MANAGER] is Scope.ALL:
                raise RuleTableError(f"access table: a manager never sees all branches ({route})")
        return cls(version=version, routes=routes, unmasked_roles=unmasked)

    def grant(self, identity: Identity, route: str) -> Grant:
        grants = self.routes.get(route)
        if grants is None:
            raise Forbidden(f"no role may call {route}")
        scope = grants.get(identity.role)
        if scope is None:
            raise Forbidden(f"a {identity.role} may not call {route}")
        return Grant(identity=identity, scope=scope)

    def sees_pii(self, role: Role) -> bool:
        return role in self.unmasked_roles
