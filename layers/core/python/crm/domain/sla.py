"""Service-level clocks and their escalation (DOMAIN §3 e-mail replies and 首问负责制 follow-ups,
§4 complaint investigation and reply, §8 prospects' follow-up; 第29条, 第32条, 第36条, complaint
appendix).

A clock starts at receipt and is due at the end of the N-th working day after it. It stops
when the work is done; done after the deadline is a breach. An open clock past due escalates:
first to the branch supervisor, then, when still open a further working day later, to HQ. A
warning goes out shortly before a deadline. Levels only ever rise, which is what makes a
repeated sweep harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from crm.domain.calendar import WorkingCalendar
from crm.domain.rule_values import whole_number
from crm.errors import RuleTableError


class ClockKind(StrEnum):
    CONTACT_REPLY = "contact_reply"
    CONTACT_FOLLOW_UP = "contact_follow_up"
    COMPLAINT_INVESTIGATE = "complaint_investigate"
    COMPLAINT_REPLY = "complaint_reply"
    PROSPECT_FOLLOW_UP = "prospect_follow_up"


class Level(StrEnum):
    WARNING = "warning"  # shortly before the deadline, to whoever must act
    SUPERVISOR = "supervisor"  # breached: the branch supervisor must act
    HQ = "hq"  # still open a further working day later: headquarters

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.WARNING: 1, Level.SUPERVISOR: 2, Level.HQ: 3}
MAX_WARNING_HOURS = 72


def rank(level: Level | None) -> int:
    return level.rank if level else 0


@dataclass(frozen=True)
class SlaRules:
    version: str
    working_hours: tuple[time, time]
    working_days: Mapping[ClockKind, int]
    warn_before: timedelta
    hq_after_working_days: int

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> SlaRules:
        try:
            warn_hours = table["escalation"]["warn_before_hours"]
            if not 0 <= warn_hours <= MAX_WARNING_HOURS:
                raise ValueError(f"warn_before_hours must be between 0 and {MAX_WARNING_HOURS}")
            rules = cls(
                version=str(table["version"]),
                working_hours=(
                    time.fromisoformat(table["working_hours"]["start"]),
                    time.fromisoformat(table["working_hours"]["end"]),
                ),
                working_days={ClockKind(k): whole_number(v) for k, v in table["clocks"].items()},
                warn_before=timedelta(hours=float(warn_hours)),
                hq_after_working_days=whole_number(table["escalation"]["hq_after_working_days"]),
            )
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise RuleTableError(f"sla table: {exc!r}") from exc
        if set(rules.working_days) != set(ClockKind):
            raise RuleTableError("sla table: every clock kind needs its working days")
        if any(days < 1 for days in rules.working_days.values()) or rules.hq_after_working_days < 1:
            raise RuleTableError("sla table: working days must be at least 1")
        if rules.working_hours[0] >= rules.working_hours[1]:
            raise RuleTableError("sla table: working hours must start before they end")
        return rules


@dataclass(frozen=True)
class Clock:
    """One deadline of one contact or complaint."""

    owner_type: str  # "contact", "complaint" or "prospect"
    owner_id: str
    kind: ClockKind
    branch_id: str
    started_at: datetime
    due_at: datetime
    provisional: bool
    unknown_years: frozenset[int]
    assignee: str | None = None  # who must act first (the first responder, the handler)
    manager_id: str | None = None  # the client's manager: whose figures a missed deadline counts in
    met_at: datetime | None = None
    escalation: Level | None = None
    version: int | None = None

    @property
    def is_open(self) -> bool:
        return self.met_at is None

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at


def start_clock(
    *,
    owner_type: str,
    owner_id: str,
    kind: ClockKind,
    branch_id: str,
    received_at: datetime,
    calendar: WorkingCalendar,
    rules: SlaRules,
    assignee: str | None,
    manager_id: str | None = None,
) -> Clock:
    deadline = calendar.deadline(received_at, rules.working_days[kind])
    return Clock(
        owner_type=owner_type,
        owner_id=owner_id,
        kind=kind,
        branch_id=branch_id,
        started_at=received_at,
        due_at=deadline.due_at,
        provisional=deadline.provisional,
        unknown_years=deadline.unknown_years,
        assignee=assignee,
        manager_id=manager_id,
    )


def recomputed(clock: Clock, calendar: WorkingCalendar, rules: SlaRules) -> Clock:
    """The clock with its deadline computed again from when it started: after a year's calendar
    was loaded or corrected, a provisional deadline becomes final (or moves)."""
    deadline = calendar.deadline(clock.started_at, rules.working_days[clock.kind])
    return replace(
        clock, due_at=deadline.due_at, provisional=deadline.provisional, unknown_years=deadline.unknown_years
    )


def escalation_due(clock: Clock, now: datetime, calendar: WorkingCalendar, rules: SlaRules) -> Level | None:
    """The level an open clock must be at by `now`, when above the one it has reached."""
    if not clock.is_open:
        return None
    if now > calendar.deadline(clock.due_at, rules.hq_after_working_days).due_at:
        needed: Level | None = Level.HQ
    elif now > clock.due_at:
        needed = Level.SUPERVISOR
    elif now >= clock.due_at - rules.warn_before:
        needed = Level.WARNING
    else:
        needed = None
    return needed if rank(needed) > rank(clock.escalation) else None


def steps_to(current: Level | None, needed: Level) -> list[Level]:
    """The levels to record on the way up: a clock found long past due is still escalated to
    the supervisor (with its breach record) before HQ. A warning is moot once past due."""
    if needed is Level.WARNING:
        return [Level.WARNING]
    return [level for level in (Level.SUPERVISOR, Level.HQ) if rank(current) < level.rank <= needed.rank]


def who_must_act(clock: Clock, level: Level) -> dict[str, str | None]:
    """The addressee of an escalation: the assignee before the deadline, then up the line."""
    if level is Level.WARNING:
        return {"role": None, "user": clock.assignee, "branch_id": clock.branch_id}
    if level is Level.SUPERVISOR:
        return {"role": "supervisor", "user": None, "branch_id": clock.branch_id}
    return {"role": "hq", "user": None, "branch_id": None}


@dataclass(frozen=True)
class Breach:
    """A deadline missed: found open past due by the sweep, or met after it."""

    owner_type: str
    owner_id: str
    kind: ClockKind
    branch_id: str
    due_at: datetime
    detected_at: datetime
    met_at: datetime | None
    assignee: str | None
    manager_id: str | None = None


@dataclass(frozen=True)
class Escalation:
    """One rise of a clock's level, addressed to whoever must act at that level."""

    owner_type: str
    owner_id: str
    kind: ClockKind
    branch_id: str
    due_at: datetime
    level: Level
    at: datetime
    escalate_to: Mapping[str, str | None]
