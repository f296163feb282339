"""The staff register: who works where (Part 3 岗位分工及授权批准; DOMAIN §11).

Every person a record names — a client's manager (第50条 2), a callback's owner, a contact's first
responder (首问负责制, 第29条 1), a prospect's manager (第32条), the manager of a work log, a visit
or a spot check (第54–55条) — is a staff member on record: a role, a branch (none for hq and
compliance), active or not, and the history of every change with who made it and why. A record
written for a staff member belongs to that member's branch as the register says, never as the
first record or the caller says. Supervisors manage their branch's managers and counter staff;
hq manages everyone. A manager still assigned clients keeps its branch and stays active until they
are re-assigned.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from crm.domain.access import BRANCH_ROLES, Identity, Role
from crm.errors import Conflict, Forbidden, InvalidInput

# Whom a supervisor may take on, change or let go: the branch's front line, not its peers or hq.
SUPERVISOR_MANAGES = frozenset({Role.MANAGER, Role.COUNTER})


@dataclass(frozen=True)
class StaffState:
    """What the register says of a member at one time: what a change moves from and to."""

    name: str
    role: Role
    branch_id: str | None
    active: bool
    email: str | None = None


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    state: StaffState
    changed_at: datetime
    changed_by: str
    version: int | None = None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def role(self) -> Role:
        return self.state.role

    @property
    def branch_id(self) -> str | None:
        return self.state.branch_id

    @property
    def active(self) -> bool:
        return self.state.active


@dataclass(frozen=True)
class StaffChange:
    """One change of the register (留痕): the state before (None for a new member) and after."""

    staff_id: str
    before: StaffState | None
    after: StaffState
    by: str
    reason: str | None
    at: datetime


def check_state(state: StaffState) -> None:
    """A branch role works in a branch; hq and compliance in none (422 naming `branch_id`)."""
    if state.role in BRANCH_ROLES and state.branch_id is None:
        raise InvalidInput(f"a {state.role} works in a branch: name branch_id", field="branch_id")
    if state.role not in BRANCH_ROLES and state.branch_id is not None:
        raise InvalidInput(f"{state.role} staff belong to no branch: leave branch_id out", field="branch_id")


def check_manager(actor: Identity, current: StaffMember | None, wanted: StaffState) -> None:
    """Supervisors manage the managers and counter staff of their own branch; hq everyone (403)."""
    if actor.role is Role.HQ:
        return
    if actor.role is not Role.SUPERVISOR:
        raise Forbidden(f"a {actor.role} does not manage staff")
    roles = {wanted.role} | ({current.role} if current else set())
    if not roles <= SUPERVISOR_MANAGES:
        raise Forbidden("a supervisor manages its branch's managers and counter staff only", field="role")
    if wanted.branch_id != actor.branch_id or (current is not None and current.branch_id != actor.branch_id):
        raise Forbidden("a supervisor manages the staff of its own branch only", field="branch_id")


def leaves_clients(current: StaffMember | None, wanted: StaffState) -> bool:
    """Whether the change would take a manager away from clients assigned to it: another branch,
    another role, or no longer active (its clients must be re-assigned first: 409)."""
    if current is None or current.role is not Role.MANAGER or not current.active:
        return False
    return wanted.role is not Role.MANAGER or wanted.branch_id != current.branch_id or not wanted.active


def refuse_leaving(staff_id: str, clients: int) -> None:
    if clients:
        raise Conflict(
            f"{staff_id} still manages {clients} client{'s' if clients != 1 else ''}: re-assign them first",
            field="staff_id",
        )


def plan_change(
    staff_id: str,
    current: StaffMember | None,
    wanted: StaffState,
    *,
    actor: Identity,
    reason: str | None,
    now: datetime,
) -> tuple[StaffMember, StaffChange | None]:
    """The member after `wanted` and the history entry of the change; no entry when nothing
    changes (a repeated request writes nothing). The e-mail is kept when the request names none."""
    check_state(wanted)
    check_manager(actor, current, wanted)
    if current is not None and wanted.email is None:
        wanted = replace(wanted, email=current.state.email)
    if current is not None and current.state == wanted:
        return current, None
    member = StaffMember(
        staff_id=staff_id,
        state=wanted,
        changed_at=now,
        changed_by=actor.user_id,
        version=current.version if current else None,
    )
    change = StaffChange(
        staff_id=staff_id,
        before=current.state if current else None,
        after=wanted,
        by=actor.user_id,
        reason=reason,
        at=now,
    )
    return member, change


def reference_problem(
    staff_id: str, member: StaffMember | None, *, roles: Collection[Role], branch_id: str
) -> str | None:
    """Why `staff_id` cannot be named on a record of `branch_id` in one of `roles`, or None (DOMAIN
    §11: 422). Someone of another branch is told apart from no one at all: a caller learns nothing
    of other branches' staff."""
    if member is None or member.branch_id != branch_id:
        return f"{staff_id} is not on the staff register of branch {branch_id}"
    if not member.active:
        return f"{staff_id} is no longer active"
    if member.role not in roles:
        wanted = " or ".join(sorted(role.value for role in roles))
        return f"{staff_id} is a {member.role}, not a {wanted}"
    return None
