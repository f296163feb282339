"""Working callback tasks (回访, Part 7; DOMAIN §5): reading and listing them, assigning them, and
recording attempts, with what a finished task moves elsewhere in the same write: the complaint a
post-complaint callback follows up (§4), the next period of a periodic callback."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from crm import rules
from crm.data import callbacks as callback_data
from crm.data import samples as sample_data
from crm.domain.access import Grant
from crm.domain.audit import Stamp
from crm.domain.callbacks import (
    Attempt,
    AttemptInput,
    CallbackTask,
    Kind,
    TaskStatus,
    periodic_finished,
    plan_attempt,
    plan_owner,
)
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.sample import Sample
from crm.domain.time import beijing
from crm.errors import NotFound
from crm.services import staff_references as staff

POOL = "pool"  # `owner=pool` in a listing: the branch's unassigned tasks


def find(grant: Grant, callback_id: str) -> tuple[CallbackTask, list[Attempt]]:
    task = callback_data.get(callback_id)
    if task is None:
        raise NotFound(f"no callback {callback_id}", field="callback_id")
    # A manager sees its own clients' tasks, and those it was given.
    manager = task.owner if task.owner == grant.identity.user_id else task.manager_id
    grant.require(branch_id=task.branch_id, manager_id=manager, what=f"callback {callback_id}")
    return task, callback_data.attempts(callback_id)


def listing(
    grant: Grant,
    *,
    branch_id: str | None,
    owner: str | None,
    kind: Kind | None,
    statuses: Collection[TaskStatus] | None,
    client_id: str | None,
    due_before: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CallbackTask], str | None]:
    return callback_data.listing(
        branch_id=grant.listing_branch(branch_id),
        client_id=client_id,
        owner=None if owner in (None, POOL) else owner,
        pool=owner == POOL,
        kind=kind.value if kind else None,
        statuses=statuses,
        manager_or_owner=grant.manager_filter(),
        due_before=due_before,
        limit=limit,
        cursor=cursor,
    )


def assign(
    grant: Grant,
    callback_id: str,
    owner: str | None,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> tuple[CallbackTask, list[Attempt]]:
    task, _ = find(grant, callback_id)
    require_version(expected_version, task.version, what=f"callback {callback_id}")
    assigned = plan_owner(task, owner, grant.identity, rules.callbacks())
    if owner is not None:
        staff.require(owner, roles=staff.BRANCH_STAFF, branch_id=task.branch_id, field="owner")
    reason = f"assigned to {owner}" if owner else "returned to the branch pool"
    callback_data.change(task, assigned, Stamp(by=grant.identity.user_id, reason=reason, at=now))
    return find(grant, callback_id)


def record_attempt(
    grant: Grant,
    callback_id: str,
    given: AttemptInput,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> tuple[CallbackTask, list[Attempt]]:
    """One attempt: done when the client was reached with an attitude and a score, unreachable
    after the rule table's number of unreached attempts; a post-complaint task moves its complaint,
    a periodic task that ends sets the next period going, in the same write."""
    callback_rules = rules.callbacks()
    task, _ = find(grant, callback_id)
    require_version(expected_version, task.version, what=f"callback {callback_id}")
    plan = plan_attempt(task, given, grant.identity, now, callback_rules)
    parts: list[callback_data.Part] = []
    after = plan.task
    if task.kind is Kind.POST_COMPLAINT and task.source:
        # Only these touch a complaint: its data and rules load with the first of them (P1).
        from crm.services.complaint_callbacks import follow_through

        parts += follow_through(task, after, plan.attempt, now=now)
    if task.kind is Kind.PERIODIC and not after.is_open:
        entry = callback_data.entry(Kind.PERIODIC, task.client_id)
        if entry is not None and entry.open_task == task.callback_id:
            finished = periodic_finished(entry, beijing(now).date(), callback_rules)
            stamp = Stamp(by=grant.identity.user_id, reason=f"periodic callback {task.callback_id} ended", at=now)
            parts.append(callback_data.entry_part(finished, stamp))
    callback_data.record_attempt(task, after, plan.attempt, parts=parts)
    return find(grant, callback_id)


def sample(grant: Grant, year: int) -> Sample:
    drawn = sample_data.sample(year)
    if drawn is None:
        raise NotFound(f"the {year} sample has not been drawn", field="year")
    return drawn[0]
