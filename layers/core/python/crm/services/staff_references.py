"""Every person a record names, checked against the staff register (DOMAIN §11).

A client's manager, a callback's owner, a contact's first responder, a prospect's manager, the
manager of a work log, weekly summary, visit or spot check: an active staff member of the right role
in the record's branch, or 422 naming the field and nothing stored. A manager's own records belong
to the branch the register gives it — never the branch of a first record or of the caller — so a
supervisor of another branch can neither plant nor read them (403).
"""

from __future__ import annotations

from collections.abc import Collection

from crm.data import staff as staff_data
from crm.domain.access import Grant, Role
from crm.domain.staff import StaffMember, reference_problem
from crm.errors import InvalidInput, NotFound

MANAGERS = frozenset({Role.MANAGER})
BRANCH_STAFF = frozenset({Role.MANAGER, Role.COUNTER, Role.SUPERVISOR})


def require(staff_id: str, *, roles: Collection[Role], branch_id: str, field: str) -> StaffMember:
    """The active member `staff_id` of one of `roles` in `branch_id`, or 422 naming `field`."""
    member = staff_data.get(staff_id)
    problem = reference_problem(staff_id, member, roles=roles, branch_id=branch_id)
    if problem or member is None:
        raise InvalidInput(problem or f"{staff_id} is not on the staff register", field=field)
    return member


def manager_branch(grant: Grant, manager_id: str, *, writing: bool) -> str:
    """The branch a manager's own records (logs, summaries, activity) belong to, as the register
    says; the caller must cover it (403). Writing needs the manager active (422 naming `manager_id`)."""
    member = staff_data.get(manager_id)
    if member is None:
        raise NotFound(f"{manager_id} is not on the staff register", field="manager_id")
    if member.role is not Role.MANAGER or member.branch_id is None:
        raise InvalidInput(f"{manager_id} is a {member.role}, not a manager", field="manager_id")
    grant.require(branch_id=member.branch_id, manager_id=manager_id, what=f"{manager_id}'s records")
    if writing and not member.active:
        raise InvalidInput(f"{manager_id} is no longer active", field="manager_id")
    return member.branch_id
