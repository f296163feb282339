"""Who may call what, in which scope (DOMAIN.md §0, API.md «Roles», rules/access.toml)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm import rules
from crm.domain.access import AccessPolicy, Identity, Role, Scope
from crm.errors import Forbidden, Unauthenticated

POLICY = rules.access()
READ_CLIENT = "GET /clients/{client_id}"
CREATE_CLIENT = "POST /clients"

MANAGER = Identity(user_id="m-1", role=Role.MANAGER, branch_id="b-1")
COUNTER = Identity(user_id="k-1", role=Role.COUNTER, branch_id="b-1")
SUPERVISOR = Identity(user_id="s-1", role=Role.SUPERVISOR, branch_id="b-1")
HQ = Identity(user_id="h-1", role=Role.HQ, branch_id=None)
COMPLIANCE = Identity(user_id="x-1", role=Role.COMPLIANCE, branch_id=None)


WRITE_ROUTES = [route for route in POLICY.routes if route.split(" ", 1)[0] not in {"GET", "HEAD"}]


def test_the_table_has_write_routes_to_check() -> None:
    assert {CREATE_CLIENT, "PUT /clients/{client_id}/metrics/{year}"} <= set(WRITE_ROUTES)


@pytest.mark.parametrize("route", WRITE_ROUTES)
def test_compliance_writes_nothing(route: str) -> None:
    with pytest.raises(Forbidden):
        POLICY.grant(COMPLIANCE, route)


@pytest.mark.parametrize(
    ("identity", "scope"),
    [
        pytest.param(MANAGER, Scope.OWN, id="manager-own"),
        pytest.param(COUNTER, Scope.BRANCH, id="counter-branch"),
        pytest.param(SUPERVISOR, Scope.BRANCH, id="supervisor-branch"),
        pytest.param(HQ, Scope.ALL, id="hq-all"),
        pytest.param(COMPLIANCE, Scope.ALL, id="compliance-all"),
    ],
)
def test_reading_a_client_is_granted_in_each_roles_scope(identity: Identity, scope: Scope) -> None:
    assert POLICY.grant(identity, READ_CLIENT).scope is scope


@pytest.mark.parametrize(
    ("identity", "branch_id", "manager_id", "covered"),
    [
        pytest.param(MANAGER, "b-1", "m-1", True, id="manager-own-client"),
        pytest.param(MANAGER, "b-1", "m-2", False, id="manager-colleagues-client"),
        pytest.param(MANAGER, "b-1", None, False, id="manager-unassigned-client"),
        pytest.param(MANAGER, "b-2", "m-1", False, id="manager-same-id-other-branch"),
        pytest.param(COUNTER, "b-1", "m-2", True, id="counter-own-branch"),
        pytest.param(COUNTER, "b-2", "m-2", False, id="counter-other-branch"),
        pytest.param(SUPERVISOR, "b-1", "m-9", True, id="supervisor-own-branch"),
        pytest.param(SUPERVISOR, "b-2", "m-9", False, id="supervisor-other-branch"),
        pytest.param(HQ, "b-2", "m-9", True, id="hq-any-branch"),
        pytest.param(COMPLIANCE, "b-7", None, True, id="compliance-any-branch"),
    ],
)
def test_scope_covers_exactly_its_records(
    identity: Identity, branch_id: str, manager_id: str | None, covered: bool
) -> None:
    grant = POLICY.grant(identity, READ_CLIENT)
    assert grant.covers(branch_id=branch_id, manager_id=manager_id) is covered


def test_require_refuses_a_record_outside_the_scope() -> None:
    grant = POLICY.grant(MANAGER, READ_CLIENT)
    grant.require(branch_id="b-1", manager_id="m-1")
    with pytest.raises(Forbidden):
        grant.require(branch_id="b-1", manager_id="m-2")


def test_a_branch_role_creates_only_in_its_branch() -> None:
    grant = POLICY.grant(COUNTER, CREATE_CLIENT)
    grant.require_branch("b-1")
    with pytest.raises(Forbidden) as caught:
        grant.require_branch("b-2")
    assert caught.value.field == "branch_id"


@pytest.mark.parametrize(
    ("identity", "branch", "manager"),
    [
        pytest.param(MANAGER, "b-1", "m-1", id="manager"),
        pytest.param(SUPERVISOR, "b-1", None, id="supervisor"),
        pytest.param(HQ, None, None, id="hq"),
    ],
)
def test_listing_filters_follow_the_scope(identity: Identity, branch: str | None, manager: str | None) -> None:
    grant = POLICY.grant(identity, "GET /clients")
    assert (grant.branch_filter(), grant.manager_filter()) == (branch, manager)


@pytest.mark.parametrize(
    ("identity", "route"),
    [
        pytest.param(SUPERVISOR, "DELETE /clients/{client_id}", id="unknown-route"),
        pytest.param(HQ, "GET /nowhere", id="unknown-path"),
        pytest.param(MANAGER, CREATE_CLIENT, id="manager-creates-client"),
        pytest.param(HQ, CREATE_CLIENT, id="hq-creates-client"),
        pytest.param(HQ, "PUT /clients/{client_id}/metrics/{year}", id="hq-writes-metrics"),
        pytest.param(COUNTER, "PUT /clients/{client_id}/manager", id="counter-reassigns"),
    ],
)
def test_an_unlisted_route_or_role_is_denied(identity: Identity, route: str) -> None:
    with pytest.raises(Forbidden):
        POLICY.grant(identity, route)


@pytest.mark.parametrize(
    ("identity", "sees"),
    [
        pytest.param(SUPERVISOR, True, id="supervisor"),
        pytest.param(MANAGER, False, id="manager"),
        pytest.param(COUNTER, False, id="counter"),
        pytest.param(HQ, False, id="hq"),
        pytest.param(COMPLIANCE, False, id="compliance"),
    ],
)
def test_only_supervisors_see_pii_unmasked(identity: Identity, sees: bool) -> None:
    assert POLICY.sees_pii(identity.role) is sees


# --- claims → identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            {"cognito:username": "m-1", "custom:role": "manager", "custom:branch": "b-1"},
            MANAGER,
            id="manager",
        ),
        pytest.param({"cognito:username": "h-1", "custom:role": "hq"}, HQ, id="hq-without-branch"),
        pytest.param({"sub": "x-1", "custom:role": "compliance", "custom:branch": ""}, COMPLIANCE, id="sub"),
    ],
)
def test_claims_become_an_identity(claims: dict[str, str], expected: Identity) -> None:
    assert Identity.from_claims(claims) == expected


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty"),
        pytest.param({"custom:role": "hq"}, id="no-user"),
        pytest.param({"cognito:username": "h-1"}, id="no-role"),
        pytest.param({"cognito:username": "h-1", "custom:role": "admin"}, id="unknown-role"),
        pytest.param({"cognito:username": "m-1", "custom:role": "manager"}, id="manager-no-branch"),
        pytest.param({"cognito:username": "k-1", "custom:role": "counter", "custom:branch": ""}, id="counter"),
        pytest.param({"cognito:username": "s-1", "custom:role": "supervisor"}, id="supervisor-no-branch"),
    ],
)
def test_unusable_claims_are_unauthenticated(claims: dict[str, str] | None) -> None:
    with pytest.raises(Unauthenticated):
        Identity.from_claims(claims)


# --- table validation ------------------------------------------------------------------------


def compliance_writes(table: dict) -> None:
    table["routes"][CREATE_CLIENT]["compliance"] = "all"


def manager_sees_all(table: dict) -> None:
    table["routes"][READ_CLIENT]["manager"] = "all"


def unknown_role(table: dict) -> None:
    table["routes"][READ_CLIENT]["auditor"] = "all"


def unknown_scope(table: dict) -> None:
    table["routes"][READ_CLIENT]["counter"] = "region"


def no_pii_section(table: dict) -> None:
    del table["pii"]


@pytest.mark.parametrize(
    "breakage",
    [compliance_writes, manager_sees_all, unknown_role, unknown_scope, no_pii_section],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_access_table_is_refused(
    breakage: Callable[[dict], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("access", AccessPolicy.from_table, breakage)


def test_an_empty_branch_is_no_branch_to_list() -> None:
    from crm.domain.access import Grant, Identity, Role, Scope
    from crm.errors import InvalidInput

    hq = Grant(identity=Identity("hq-1", Role.HQ, None), scope=Scope.ALL)
    with pytest.raises(InvalidInput):
        hq.listing_branch("")
