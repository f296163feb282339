"""Request and response bodies of the staff register's routes (DOMAIN §11; API.md «Staff»)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.clients import Email
from crm.api.models import Identifier, Model, PersonName, Strict
from crm.domain.access import Role
from crm.domain.staff import StaffChange, StaffMember, StaffState


class StaffIn(Strict):
    name: PersonName
    role: Role = Field(description="manager, counter, supervisor (a branch's); hq, compliance (no branch)")
    branch_id: Identifier | None = Field(default=None, description="Required for manager, counter and supervisor")
    active: bool = Field(description="false: may no longer sign in, nor be named on a record")
    reason: str | None = Field(default=None, max_length=500, description="Why the change is made (留痕)")
    email: Email | None = Field(
        default=None, description="Where the identity provider sends the sign-in invitation; kept when left out"
    )

    def state(self) -> StaffState:
        return StaffState(
            name=self.name, role=self.role, branch_id=self.branch_id, active=self.active, email=self.email
        )


class StaffOut(Model):
    staff_id: str
    name: str
    role: Role
    branch_id: str | None
    active: bool
    changed_at: datetime
    changed_by: str

    @classmethod
    def of(cls, member: StaffMember) -> StaffOut:
        return cls(
            staff_id=member.staff_id,
            name=member.name,
            role=member.role,
            branch_id=member.branch_id,
            active=member.active,
            changed_at=member.changed_at,
            changed_by=member.changed_by,
        )


class StaffStateOut(Model):
    name: str
    role: Role
    branch_id: str | None
    active: bool

    @classmethod
    def of(cls, state: StaffState) -> StaffStateOut:
        return cls(name=state.name, role=state.role, branch_id=state.branch_id, active=state.active)


class StaffChangeOut(Model):
    before: StaffStateOut | None = Field(description="null when the change put the member on the register")
    after: StaffStateOut
    by: str
    reason: str | None
    at: datetime

    @classmethod
    def of(cls, change: StaffChange) -> StaffChangeOut:
        return cls(
            before=StaffStateOut.of(change.before) if change.before else None,
            after=StaffStateOut.of(change.after),
            by=change.by,
            reason=change.reason,
            at=change.at,
        )


class StaffDetail(StaffOut):
    history: list[StaffChangeOut] = Field(description="Every change, newest first")

    @classmethod
    def with_history(cls, member: StaffMember, changes: list[StaffChange]) -> StaffDetail:
        return cls(**StaffOut.of(member).model_dump(), history=[StaffChangeOut.of(c) for c in changes])


class StaffPage(Model):
    items: list[StaffOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")
