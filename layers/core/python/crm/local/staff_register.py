"""`crm token` puts the identity it mints on the staff register, as `PUT /staff` would (API.md).

Locally there is no sign-in: `crm token` mints whatever identity it is given. So that the register
and the identity the API sees agree, as Cognito and the register do in AWS (DOMAIN §11), minting a
token for a valid identity also puts it on the register, through the staff function itself, as the
local system's own hq identity. A change the register refuses (a manager with clients moving branch)
is reported, not forced; an identity that breaks the identifier rules is left off the register (the
API refuses its token: 401).
"""

from __future__ import annotations

import json
import re
from typing import Any

from crm.domain.access import BRANCH_ROLES, Role
from crm.domain.identifiers import identifier_problem
from crm.local.front import Gateway

LOCAL_SYSTEM = {"cognito:username": "crm-local", "custom:role": Role.HQ.value, "token_use": "id"}
REASON = "crm token"


def default_name(user: str) -> str:
    """A name the register accepts, from a user id of letters and digits: `mgr-1` → `mgr`."""
    return " ".join(re.findall(r"[^\W\d_]+", user)) or "Staff"


def register(gateway: Gateway, *, role: str, user: str, branch: str | None, name: str | None = None) -> dict[str, Any]:
    """Set the register to the identity; returns what it now says, or why it was left as it was."""
    problem = identifier_problem(user) or (identifier_problem(branch) if branch else None)
    if problem or role not in {r.value for r in Role}:
        return {"registered": False, "reason": "the identity breaks the identifier rules: the API will refuse it"}
    current = gateway.handle_as(LOCAL_SYSTEM, "GET", f"/staff/{user}")
    known = current.json() if current.status == 200 else {}
    body = {
        "name": name or known.get("name") or default_name(user),
        "role": role,
        "branch_id": branch if Role(role) in BRANCH_ROLES else None,
        "active": True,
        "reason": REASON,
    }
    answer = gateway.handle_as(
        LOCAL_SYSTEM,
        "PUT",
        f"/staff/{user}",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )
    if answer.status != 200:
        return {"registered": False, "reason": answer.json().get("error", {}).get("message", str(answer.status))}
    return {"registered": True, "staff": answer.json()}


def restore_users() -> int:
    """After a restart with `--state`: the register came back from disk, moto's user pool did not.
    Every member is put back on the pool as the register says; returns how many."""
    from crm import config
    from crm.data import identity, staff

    restored, cursor = 0, None
    with config.running(config.tooling()):
        while True:
            members, cursor = staff.listing(branch_id=None, role=None, active=None, limit=100, cursor=cursor)
            for member in members:
                identity.apply(member.staff_id, member.state, identity.read(member.staff_id))
            restored += len(members)
            if cursor is None:
                return restored
