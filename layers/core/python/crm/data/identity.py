"""The identity provider's side of the staff register: the Cognito user pool's users.

A staff member is a Cognito user named by its staff id, whose `custom:role` and `custom:branch`
ride in the ID token the API trusts (DOMAIN §11: the register and the identity provider say the
same thing). Only the staff function may call these (crm.topology `manages_users`). Each change is
a whole state set at once, so applying one again changes nothing, and undoing a change is applying
the state read before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from crm import config
from crm.domain.staff import StaffState
from crm.topology import STAFF_POOL

ROLE = "custom:role"
BRANCH = "custom:branch"


@dataclass(frozen=True)
class PoolUser:
    """What the pool holds of one user, as far as the register is concerned."""

    attributes: dict[str, str]
    enabled: bool


@cache
def _client() -> Any:
    import boto3

    return boto3.client("cognito-idp")


def _pool_id(reference: str) -> str:
    """The pool's id. Locally the topology names the pool (moto makes up ids, and makes new ones for
    each emulated account): found by that name, each time."""
    if "_" in reference:  # `<region>_<id>`, as the stack passes it
        return reference
    for page in _client().get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == reference:
                return str(pool["Id"])
    raise LookupError(f"no user pool named {reference}")


def _pool() -> str:
    return _pool_id(config.active().user_pool(STAFF_POOL))


def _attributes(state: StaffState) -> dict[str, str]:
    attributes = {ROLE: state.role.value, "name": state.name}
    if state.branch_id is not None:
        attributes[BRANCH] = state.branch_id
    if state.email is not None:
        attributes["email"] = state.email
    return attributes


def read(staff_id: str) -> PoolUser | None:
    try:
        user = _client().admin_get_user(UserPoolId=_pool(), Username=staff_id)
    except _client().exceptions.UserNotFoundException:
        return None
    return PoolUser(
        attributes={a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}, enabled=bool(user["Enabled"])
    )


def apply(staff_id: str, state: StaffState, before: PoolUser | None) -> None:
    """Make the pool's user say what `state` says: created (invited by e-mail when it has one),
    its role, branch, name and e-mail set, a branch it no longer has removed, enabled or disabled."""
    client, pool = _client(), _pool()
    attributes = _attributes(state)
    listed = [{"Name": name, "Value": value} for name, value in attributes.items()]
    if before is None:
        client.admin_create_user(
            UserPoolId=pool,
            Username=staff_id,
            UserAttributes=listed,
            **({"DesiredDeliveryMediums": ["EMAIL"]} if state.email else {"MessageAction": "SUPPRESS"}),
        )
    else:
        client.admin_update_user_attributes(UserPoolId=pool, Username=staff_id, UserAttributes=listed)
        if BRANCH in before.attributes and BRANCH not in attributes:
            client.admin_delete_user_attributes(UserPoolId=pool, Username=staff_id, UserAttributeNames=[BRANCH])
    enabled = True if before is None else before.enabled
    if state.active and not enabled:
        client.admin_enable_user(UserPoolId=pool, Username=staff_id)
    elif not state.active and enabled:
        client.admin_disable_user(UserPoolId=pool, Username=staff_id)


def restore(staff_id: str, before: PoolUser | None) -> None:
    """Put the pool's user back as it was read before a change that could not be completed."""
    client, pool = _client(), _pool()
    if before is None:
        client.admin_delete_user(UserPoolId=pool, Username=staff_id)
        return
    kept = {name: value for name, value in before.attributes.items() if name in (ROLE, BRANCH, "name", "email")}
    if kept:
        client.admin_update_user_attributes(
            UserPoolId=pool, Username=staff_id, UserAttributes=[{"Name": n, "Value": v} for n, v in kept.items()]
        )
    if BRANCH not in before.attributes:
        current = read(staff_id)
        if current is not None and BRANCH in current.attributes:
            client.admin_delete_user_attributes(UserPoolId=pool, Username=staff_id, UserAttributeNames=[BRANCH])
    if before.enabled:
        client.admin_enable_user(UserPoolId=pool, Username=staff_id)
    else:
        client.admin_disable_user(UserPoolId=pool, Username=staff_id)
