"""Staff on the register (DOMAIN §11) for benchmarks and tests that name them on records without
going through `PUT /staff`: written straight to the staff table, as a migration would."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from crm.data import staff as staff_data
from crm.domain.access import Identity, Role
from crm.domain.staff import StaffState, plan_change
from crm.local.staff_register import default_name

SEEDER = Identity(user_id="seed", role=Role.HQ, branch_id=None)
SEEDED_AT = datetime.fromisoformat("2020-01-01T00:00:00+08:00")


def seed(members: Iterable[tuple[str, str, str | None]]) -> None:
    """Put each (staff id, role, branch) on the register, active; one already there is left as it is."""
    for staff_id, role, branch in members:
        if staff_data.get(staff_id, consistent=True) is not None:
            continue
        wanted = StaffState(name=default_name(staff_id), role=Role(role), branch_id=branch, active=True)
        member, change = plan_change(staff_id, None, wanted, actor=SEEDER, reason="roster", now=SEEDED_AT)
        assert change is not None
        staff_data.put(member, change)


def managers(pairs: Iterable[tuple[str, str]]) -> None:
    """Each (branch, manager id) as an active manager of that branch."""
    seed((manager, Role.MANAGER.value, branch) for branch, manager in pairs)
