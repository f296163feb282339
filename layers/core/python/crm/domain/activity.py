"""Managers' service records (第52–55条; DOMAIN §8): the work log of each working day (工作日志),
the weekly summary (周工作总结), visits (拜访) and supervisors' spot checks (抽查) — the written
trace the branch supervisor checks each week and the quarterly assessment counts (第55条).

The manager writes its own log, for a working day, on the day or within the rule table's working
days after; later only a supervisor amends it, with a reason. Figures are in `rules/activity.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from crm.domain.access import Identity, Role
from crm.domain.calendar import WorkingCalendar
from crm.domain.rule_values import whole_number
from crm.domain.time import beijing
from crm.errors import Forbidden, InvalidInput, RuleTableError


class EntryKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    RESEARCH = "research"
    EDUCATION = "education"
    OTHER = "other"


class VisitChannel(StrEnum):
    PHONE = "phone"
    ONSITE = "onsite"
    ONLINE = "online"


@dataclass(frozen=True)
class ActivityRules:
    version: str
    late_working_days: int
    max_minutes_per_entry: int
    max_minutes_per_day: int
    max_entries: int
    self_assessment: tuple[int, int]
    max_attendees: int

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ActivityRules:
        try:
            log, visit = table["work_log"], table["visit"]
            rules = cls(
                version=str(table["version"]),
                late_working_days=whole_number(log["late_working_days"]),
                max_minutes_per_entry=whole_number(log["max_minutes_per_entry"]),
                max_minutes_per_day=whole_number(log["max_minutes_per_day"]),
                max_entries=whole_number(log["max_entries"]),
                self_assessment=(
                    whole_number(visit["min_self_assessment"]),
                    whole_number(visit["max_self_assessment"]),
                ),
                max_attendees=whole_number(table["education"]["max_attendees"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"activity table: {exc!r}") from exc
        if rules.late_working_days < 0:
            raise RuleTableError("activity table: late_working_days is 0 (the day itself) or more")
        if not 1 <= rules.max_minutes_per_entry <= rules.max_minutes_per_day <= 1440:
            raise RuleTableError("activity table: 1 ≤ minutes per entry ≤ minutes per day ≤ 1440")
        if not 1 <= rules.max_entries <= 500 or not 1 <= rules.max_attendees <= 10_000:
            raise RuleTableError("activity table: entries and attendees are bounded")
        low, high = rules.self_assessment
        if not 1 <= low < high <= 10:
            raise RuleTableError("activity table: the self-assessment is a small scale")
        return rules


@dataclass(frozen=True)
class LogEntry:
    kind: EntryKind
    minutes: int
    note: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class WorkLog:
    manager_id: str
    branch_id: str
    day: date
    entries: tuple[LogEntry, ...]
    written_by: str
    written_at: datetime
    amended_by: str | None = None  # a supervisor, after the manager's window
    amend_reason: str | None = None
    version: int | None = None

    @property
    def minutes(self) -> int:
        return sum(entry.minutes for entry in self.entries)

    def minutes_by_kind(self) -> dict[EntryKind, int]:
        found: dict[EntryKind, int] = {}
        for entry in self.entries:
            found[entry.kind] = found.get(entry.kind, 0) + entry.minutes
        return found


def check_entries(entries: Sequence[LogEntry], rules: ActivityRules) -> None:
    if len(entries) > rules.max_entries:
        raise InvalidInput(f"a day's log holds at most {rules.max_entries} entries", field="entries")
    for n, entry in enumerate(entries):
        if not 1 <= entry.minutes <= rules.max_minutes_per_entry:
            raise InvalidInput(f"minutes are between 1 and {rules.max_minutes_per_entry}", field=f"entries.{n}.minutes")
    if sum(entry.minutes for entry in entries) > rules.max_minutes_per_day:
        raise InvalidInput(f"a day holds at most {rules.max_minutes_per_day} minutes", field="entries")


def plan_log(
    manager_id: str,
    day: date,
    entries: Sequence[LogEntry],
    *,
    actor: Identity,
    now: datetime,
    reason: str | None,
    calendar: WorkingCalendar,
    rules: ActivityRules,
) -> tuple[bool, str | None]:
    """Whether `actor` may write `manager_id`'s log of `day` now: (an amendment?, its reason).

    The manager itself, on the day or within the window after it; a supervisor of the branch at
    any time, saying why. Nothing for a day that is not a working day or has not come yet.
    """
    today = beijing(now).date()
    if day > today:
        raise InvalidInput(f"{day.isoformat()} has not come yet", field="date")
    if not calendar.is_working_day(day):
        raise InvalidInput(f"{day.isoformat()} is not a working day: it has no log", field="date")
    check_entries(entries, rules)
    in_window = day == today or (
        rules.late_working_days > 0 and today <= calendar.nth_working_day_after(day, rules.late_working_days)[0]
    )
    if actor.role is Role.MANAGER:
        if actor.user_id != manager_id:
            raise Forbidden("a manager writes its own work log only", field="manager_id")
        if not in_window:
            raise Forbidden(
                f"the log of {day.isoformat()} is closed to its manager; a supervisor may amend it, with a reason",
                field="date",
            )
        return False, None
    if actor.role is not Role.SUPERVISOR:
        raise Forbidden(f"a {actor.role} does not write work logs", field="manager_id")
    if not reason:
        raise InvalidInput("a supervisor amends a manager's log with a reason (留痕)", field="reason")
    return True, reason


def iso_week(text: str) -> tuple[date, date]:
    """`2026-W23` → its Monday and Sunday (ISO 8601 weeks)."""
    try:
        year, week = text.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise InvalidInput(f"{text!r} is not an ISO week such as 2026-W23", field="week") from None
    return monday, monday + timedelta(days=6)


def weeks_between(start: date, end: date) -> list[str]:
    """Every ISO week that has a day in [start, end], in order."""
    weeks: list[str] = []
    day = start - timedelta(days=start.weekday())
    while day <= end:
        year, week, _ = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class WeeklySummary:
    manager_id: str
    branch_id: str
    week: str  # YYYY-Www
    achieved: str
    problems: str
    plan: str
    written_by: str
    written_at: datetime
    version: int | None = None


def check_summary_week(week: str, actor: Identity, manager_id: str, now: datetime) -> None:
    monday, _ = iso_week(week)
    if monday > beijing(now).date():
        raise InvalidInput(f"{week} has not begun", field="week")
    if actor.role is Role.MANAGER and actor.user_id != manager_id:
        raise Forbidden("a manager writes its own weekly summary only", field="manager_id")


@dataclass(frozen=True)
class Visit:
    visit_id: str
    client_id: str
    branch_id: str
    manager_id: str
    at: datetime
    channel: VisitChannel
    purpose: str
    outcome: str
    self_assessment: int
    recorded_by: str
    recorded_at: datetime


def check_visit(*, at: datetime, self_assessment: int, now: datetime, rules: ActivityRules) -> None:
    low, high = rules.self_assessment
    if not low <= self_assessment <= high:
        raise InvalidInput(f"self_assessment is between {low} and {high}", field="self_assessment")
    if at > now + timedelta(minutes=5):
        raise InvalidInput("a visit is recorded once it took place", field="at")


@dataclass(frozen=True)
class SpotCheck:
    check_id: str
    manager_id: str
    branch_id: str
    start: date
    end: date
    finding: str
    logs: tuple[date, ...]  # the work logs looked at
    visits: tuple[str, ...]  # the visits looked at
    by: str
    at: datetime


def check_spot_check(start: date, end: date, now: datetime) -> None:
    if end < start:
        raise InvalidInput("to comes on or after from", field="to")
    if end > beijing(now).date():
        raise InvalidInput("a spot check looks at what was done, not at days to come", field="to")


@dataclass(frozen=True)
class Activity:
    """What a manager did in a period, from the counters the stream keeps."""

    manager_id: str
    start: date
    end: date
    work_logs: int
    minutes: Mapping[EntryKind, int]
    visits: int
    spot_checks: int
    weekly_summaries: Mapping[str, bool]  # ISO week → written


# A manager's activity is counted by the stream (crm.domain.aggregates), per day and per ISO week:
# the counter's name and its periods, which the activity routes read.
ACTIVITY_COUNTER = "activity#"


def activity_counter(manager_id: str) -> str:
    return f"{ACTIVITY_COUNTER}{manager_id}"


def day_period(day: date) -> str:
    return f"D#{day.isoformat()}"


def week_period(week: str) -> str:
    return f"W#{week}"
