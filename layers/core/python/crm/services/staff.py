"""The staff register and the identity provider kept in step (DOMAIN §11; Part 3 岗位分工及授权批准).

A change is made on the Cognito user first, then on the register, which is written under the
version it was read at: if the register cannot be written (someone changed it meanwhile, or the
table failed), the user is put back as it was read, so the two never disagree; if Cognito cannot be
changed, nothing is written (503). Applying a state again changes nothing on either side, so a
client that retries after a failure completes the change.
"""

from __future__ import annotations

from datetime import datetime

from crm.data import identity as identity_provider
from crm.data import staff as staff_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant, Role
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.staff import (
    StaffChange,
    StaffMember,
    StaffState,
    leaves_clients,
    plan_change,
    refuse_leaving,
)
from crm.errors import Forbidden, NotFound, Unavailable
from crm.observability import logger


def put(
    grant: Grant,
    staff_id: str,
    wanted: StaffState,
    *,
    reason: str | None,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> StaffMember:
    """Create or change a staff member (hq: anyone; a supervisor: its branch's managers and counter
    staff); 409 when a manager with clients would move branch, change role or be deactivated.
    `expected_version` is checked once the caller is known to be allowed the change, before the
    identity provider or the register is touched."""
    current = staff_data.get(staff_id, consistent=True)
    member, change = plan_change(staff_id, current, wanted, actor=grant.identity, reason=reason, now=now)
    require_version(
        expected_version,
        current.version if current else None,
        what=f"staff member {staff_id}",
        exists=current is not None,
    )
    if change is None:
        return member
    if leaves_clients(current, wanted):
        refuse_leaving(staff_id, client_data.managed_count(staff_id))
    return _apply_both(member, change)


def _apply_both(member: StaffMember, change: StaffChange) -> StaffMember:
    try:
        before = identity_provider.read(member.staff_id)
        identity_provider.apply(member.staff_id, member.state, before)
    except Exception as exc:
        logger.exception("the identity provider refused a staff change", staff_id=member.staff_id)
        raise Unavailable(
            f"the identity provider did not take the change of {member.staff_id}; nothing changed, try again"
        ) from exc
    try:
        return staff_data.put(member, change)
    except BaseException:
        try:
            identity_provider.restore(member.staff_id, before)
        except Exception:  # both sides failed: say so loudly, the next change of this member repairs it
            logger.exception("a staff change could not be undone in the identity provider", staff_id=member.staff_id)
        raise


def _visible(grant: Grant, member: StaffMember) -> None:
    """Branch roles see their branch's staff; hq and compliance everyone (403, never the data)."""
    if grant.branch_filter() is not None and member.branch_id != grant.branch_filter():
        raise Forbidden(f"staff member {member.staff_id} is outside the scope of a {grant.identity.role}")


def find(grant: Grant, staff_id: str) -> tuple[StaffMember, list[StaffChange]]:
    member = staff_data.get(staff_id)
    if member is None:
        raise NotFound(f"no staff member {staff_id}", field="staff_id")
    _visible(grant, member)
    return member, staff_data.history(staff_id)


def listing(
    grant: Grant, *, branch_id: str | None, role: Role | None, active: bool | None, limit: int, cursor: str | None
) -> tuple[list[StaffMember], str | None]:
    confined = grant.branch_filter()
    if confined is not None and branch_id not in (None, confined):
        raise Forbidden(f"a {grant.identity.role} lists only its own branch's staff", field="branch_id")
    return staff_data.listing(branch_id=confined or branch_id, role=role, active=active, limit=limit, cursor=cursor)
