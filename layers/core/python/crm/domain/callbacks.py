"""Callbacks (回访, Part 7 and the call-centre appendix; DOMAIN §5, §7 care of VIPs 第50条 9).

A task has a kind, a client, a due time (the end of a day, 23:59:59 Beijing), an owner (none: the
branch's pool), attempts and a status: `open` → `done` | `unreachable` | `cancelled`. The daily
job creates tasks from a schedule of what can fall due (one entry per client and kind, or per
complaint and retention case), kept current by the streams; its task ids are derived from what
they follow up, so a second run, or one finishing an interrupted run, creates nothing twice.

Independence (DEFAULT, beyond the seed): the kinds that check on the selling and the service are
done by the branch's service staff, never by the client's own manager; the person complained
about never records the post-complaint callback (回避). Every figure is in `rules/callbacks.toml`.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crm.domain.access import Identity, Role
from crm.domain.attitude import Attitude
from crm.domain.calendar import END_OF_DAY, WorkingCalendar
from crm.domain.client import is_migrated
from crm.domain.rule_values import whole_number
from crm.domain.time import BEIJING, beijing
from crm.errors import Conflict, Forbidden, InvalidInput, RuleTableError


class Kind(StrEnum):
    NEW_ACCOUNT = "new_account"  # 开户回访
    POST_COMPLAINT = "post_complaint"  # 投诉回访
    POST_CLOSURE = "post_closure"  # 转销户后续回访
    PERIODIC = "periodic"  # 定期回访, by class
    CARE = "care"  # 关怀: a VIP's or target VIP's birthday
    SAMPLE = "sample"  # the audited yearly sample


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


class Owner(StrEnum):
    """Who does a kind of callback: the client's manager, or the branch's service staff."""

    MANAGER = "manager"
    POOL = "pool"


ID_PREFIX = {
    Kind.NEW_ACCOUNT: "NA",
    Kind.POST_COMPLAINT: "PC",
    Kind.POST_CLOSURE: "PX",
    Kind.PERIODIC: "PD",
    Kind.CARE: "CR",
    Kind.SAMPLE: "SM",
}
TASK_ID_PATTERN = r"^(NA|PC|PX|PD|CR|SM)-[A-Za-z0-9][A-Za-z0-9_.-]*$"


def task_id(kind: Kind, *parts: str) -> str:
    """The task's id, derived from what it follows up: the same follow-up always has the same id."""
    return "-".join((ID_PREFIX[kind], *parts))


@dataclass(frozen=True)
class CallbackRules:
    version: str
    new_account_window_days: int
    post_complaint_working_days: int
    post_closure_days: int
    periodic_lead_days: int
    care_lead_days: int
    unreachable_after: int
    periodic_months: Mapping[str, int]  # by class; 0: never
    owners: Mapping[Kind, Owner]
    sample_rate: Decimal
    sample_due: tuple[int, int]  # month, day
    at_risk_asset_drop: Decimal

    @classmethod
    def from_table(cls, table: Mapping[str, Any], classes: tuple[str, ...]) -> CallbackRules:
        try:
            month, day = (int(part) for part in str(table["sample"]["due"]).split("-"))
            date(2001, month, day)  # a day every year has (not 29 February)
            rules = cls(
                version=str(table["version"]),
                new_account_window_days=whole_number(table["new_account_window_days"]),
                post_complaint_working_days=whole_number(table["post_complaint_working_days"]),
                post_closure_days=whole_number(table["post_closure_days"]),
                periodic_lead_days=whole_number(table["periodic_lead_days"]),
                care_lead_days=whole_number(table["care_lead_days"]),
                unreachable_after=whole_number(table["unreachable_after"]),
                periodic_months={str(k): whole_number(v) for k, v in table["periodic_months"].items()},
                owners={Kind(k): Owner(v) for k, v in table["owners"].items()},
                sample_rate=Decimal(str(table["sample"]["rate"])),
                sample_due=(month, day),
                at_risk_asset_drop=Decimal(str(table["at_risk"]["asset_drop"])),
            )
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            raise RuleTableError(f"callbacks table: {exc!r}") from exc
        problems = []
        if set(rules.periodic_months) != set(classes):
            problems.append(f"periodic_months must name every class {list(classes)}")
        if any(months < 0 or months > 60 for months in rules.periodic_months.values()):
            problems.append("periodic_months are between 0 (never) and 60")
        if set(rules.owners) != set(Kind):
            problems.append("owners must name every kind")
        if not 0 < rules.sample_rate <= 1:
            problems.append("the sample rate is a share above 0 and at most 1")
        if not 0 < rules.at_risk_asset_drop <= 1:
            problems.append("the at-risk asset drop is a share above 0 and at most 1")
        if rules.unreachable_after < 1 or rules.post_complaint_working_days < 1:
            problems.append("unreachable_after and post_complaint_working_days are at least 1")
        if not 1 <= rules.new_account_window_days <= 366:
            problems.append("new_account_window_days is between 1 and 366")
        for name in ("post_closure_days", "periodic_lead_days", "care_lead_days"):
            if not 0 <= getattr(rules, name) <= 366:
                problems.append(f"{name} is between 0 and 366")
        if problems:
            raise RuleTableError("callbacks table: " + "; ".join(problems))
        return rules

    def is_pool_kind(self, kind: Kind) -> bool:
        return self.owners[kind] is Owner.POOL


# --- dates -----------------------------------------------------------------------------------


def _last_day(year: int, month: int) -> int:
    return month_calendar.monthrange(year, month)[1]


def months_after(day: date, months: int) -> date:
    """The same day `months` later; a day the month lacks is its last day (Jan 31 → Feb 28/29),
    and a month's last day stays a month's last day (Apr 30 → May 31)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if day.day == _last_day(day.year, day.month):
        return date(year, month, _last_day(year, month))
    return date(year, month, min(day.day, _last_day(year, month)))


def end_of_day(day: date) -> datetime:
    """23:59:59 Beijing time of `day`: when a task falls due."""
    return datetime.combine(day, END_OF_DAY, tzinfo=BEIJING)


def birthday_in(birthday: date, year: int) -> date:
    """The birthday in `year` (29 February is kept on 28 February in other years)."""
    return date(year, birthday.month, min(birthday.day, _last_day(year, birthday.month)))


def next_birthday(birthday: date, on_or_after: date) -> date:
    this_year = birthday_in(birthday, on_or_after.year)
    return this_year if this_year >= on_or_after else birthday_in(birthday, on_or_after.year + 1)


# --- tasks and attempts --------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackTask:
    callback_id: str
    kind: Kind
    client_id: str
    branch_id: str
    manager_id: str  # the client's manager when the task was created (independence, scope)
    owner: str | None  # None: the branch's pool
    due_at: datetime
    status: TaskStatus
    source: str | None  # the complaint number or retention case id it follows up
    rules_version: str
    created_at: datetime
    attempts: int = 0
    unreached: int = 0
    excluded: tuple[str, ...] = ()  # who may never record it (the person complained about)
    due_provisional: bool = False  # counted in working days of a year with no known calendar
    finished_at: datetime | None = None
    attitude: Attitude | None = None  # of the attempt that reached the client
    score: int | None = None
    version: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is TaskStatus.OPEN

    @property
    def done_on_time(self) -> bool:
        return self.status is TaskStatus.DONE and self.finished_at is not None and self.finished_at <= self.due_at


@dataclass(frozen=True)
class AttemptInput:
    reached: bool
    solved: bool | None = None
    attitude: Attitude | None = None
    score: int | None = None  # 1–10
    suggestions: str | None = None
    risk_reminder: bool | None = None
    next_at: datetime | None = None  # not convenient now: the appointment


@dataclass(frozen=True)
class Attempt:
    callback_id: str
    number: int
    by: str
    role: Role
    at: datetime
    reached: bool
    solved: bool | None
    attitude: Attitude | None
    score: int | None
    suggestions: str | None
    risk_reminder: bool | None
    next_at: datetime | None


@dataclass(frozen=True)
class AttemptPlan:
    attempt: Attempt
    task: CallbackTask  # the task as the attempt leaves it


MIN_SCORE, MAX_SCORE = 1, 10


def may_act_on(task: CallbackTask, actor: Identity, rules: CallbackRules) -> None:
    """Independence: the client's own manager never works a pool kind; the person complained
    about never works the callback that follows the complaint (回避)."""
    if rules.is_pool_kind(task.kind) and actor.user_id == task.manager_id:
        raise Forbidden(
            f"the client's own manager may not record a {task.kind} callback: it checks on the manager's work",
            field="callback_id",
        )
    if actor.user_id in task.excluded:
        raise Forbidden(f"{actor.user_id} is named in {task.source} and may not call the client back (回避)")


def plan_attempt(
    task: CallbackTask, given: AttemptInput, actor: Identity, at: datetime, rules: CallbackRules
) -> AttemptPlan:
    """Check an attempt and say what it does to the task; nothing is written here."""
    if not task.is_open:
        raise Conflict(f"callback {task.callback_id} is {task.status}; it takes no more attempts", field="callback_id")
    may_act_on(task, actor, rules)
    if task.owner is not None and task.owner != actor.user_id and actor.role is not Role.SUPERVISOR:
        raise Forbidden(f"callback {task.callback_id} belongs to {task.owner}", field="callback_id")
    if task.owner is None and actor.role is Role.MANAGER:
        raise Forbidden("a pool callback is taken by service staff first (PUT …/owner)", field="callback_id")
    _check_attempt(given, at)
    attempts = task.attempts + 1
    changed: dict[str, Any] = {"attempts": attempts, "owner": task.owner or actor.user_id}
    if given.reached and given.next_at is None:
        changed.update(status=TaskStatus.DONE, finished_at=at, attitude=given.attitude, score=given.score)
    elif not given.reached:
        unreached = task.unreached + 1
        changed["unreached"] = unreached
        if unreached >= rules.unreachable_after:
            changed.update(status=TaskStatus.UNREACHABLE, finished_at=at)
    if given.next_at is not None and changed.get("status") is None:
        changed["due_at"] = beijing(given.next_at)
    attempt = Attempt(
        callback_id=task.callback_id,
        number=attempts,
        by=actor.user_id,
        role=actor.role,
        at=at,
        reached=given.reached,
        solved=given.solved,
        attitude=given.attitude,
        score=given.score,
        suggestions=given.suggestions,
        risk_reminder=given.risk_reminder,
        next_at=beijing(given.next_at) if given.next_at else None,
    )
    return AttemptPlan(attempt=attempt, task=replace(task, **changed))


def _check_attempt(given: AttemptInput, at: datetime) -> None:
    if given.score is not None and not MIN_SCORE <= given.score <= MAX_SCORE:
        raise InvalidInput(f"score is between {MIN_SCORE} and {MAX_SCORE}", field="score")
    if given.next_at is not None and given.next_at <= at:
        raise InvalidInput("next_at, the appointment, must lie in the future", field="next_at")
    if not given.reached:
        for name in ("attitude", "score", "solved"):
            if getattr(given, name) is not None:
                raise InvalidInput(f"{name} is recorded only when the client was reached", field=name)
        return
    if given.next_at is not None:
        if given.attitude is not None or given.score is not None:
            raise InvalidInput(
                "next_at is for a client who asked to be called later; attitude and score come with that call",
                field="next_at",
            )
        return
    if given.attitude is None:
        raise InvalidInput("a reached client's attitude is required (or next_at, to call later)", field="attitude")
    if given.score is None:
        raise InvalidInput("a reached client's score (1–10) is required", field="score")


def plan_owner(task: CallbackTask, owner: str | None, actor: Identity, rules: CallbackRules) -> CallbackTask:
    """A supervisor assigns a task (or returns it to the pool, owner None); counter staff take one
    themselves. Never to the client's own manager for a pool kind, never to the person complained
    about."""
    if not task.is_open:
        raise Conflict(f"callback {task.callback_id} is {task.status}", field="callback_id")
    if actor.role is Role.COUNTER and owner != actor.user_id:
        raise Forbidden("counter staff take a callback themselves; a supervisor assigns it", field="owner")
    if actor.role not in (Role.COUNTER, Role.SUPERVISOR):
        raise Forbidden(f"a {actor.role} does not assign callbacks", field="owner")
    if owner is not None and rules.is_pool_kind(task.kind) and owner == task.manager_id:
        raise InvalidInput(f"{owner} manages the client and may not hold a {task.kind} callback", field="owner")
    if owner is not None and owner in task.excluded:
        raise InvalidInput(f"{owner} is named in {task.source} and may not call the client back (回避)", field="owner")
    if owner is None and not rules.is_pool_kind(task.kind):
        raise InvalidInput(f"a {task.kind} callback belongs to a person, not to the pool", field="owner")
    return replace(task, owner=owner)


# --- the schedule: what can fall due -------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleEntry:
    """One follow-up the job may have to create: a task of `kind` about `subject` (a client, a
    complaint or a retention case). `create_on` set: the first run on or after that day creates
    it; unset: nothing to create now (a periodic task is open, or the class is never called)."""

    kind: Kind
    subject: str
    client_id: str
    branch_id: str
    manager_id: str
    create_on: date | None
    due_on: date | None = None  # post_complaint: counted in working days when the task is created
    event_at: datetime | None = None  # post_complaint: the reply
    source: str | None = None
    excluded: tuple[str, ...] = ()
    anchor_on: date | None = None  # periodic: the day the period runs from; care: the birthday
    client_class: str | None = None  # periodic: the class the period is taken from
    open_task: str | None = None  # periodic: the open task the next one waits for
    version: int | None = None


@dataclass(frozen=True)
class ScheduleView:
    """What the schedule needs of a client record."""

    client_id: str
    branch_id: str
    manager_id: str
    opened_on: date
    birthday: date | None
    client_class: str | None
    cared_for: bool  # a VIP or a target VIP
    active: bool  # neither transferred nor closed
    classified_on: date | None  # when its class was first set
    as_of: date  # the business day of the change this view comes from


def new_account_entry(view: ScheduleView, registered_on: date, rules: CallbackRules) -> ScheduleEntry | None:
    """A client opened within the window of its registration gets its account-opening callback."""
    if is_migrated(view.opened_on, registered_on, rules.new_account_window_days) or not view.active:
        return None
    return ScheduleEntry(
        kind=Kind.NEW_ACCOUNT,
        subject=view.client_id,
        client_id=view.client_id,
        branch_id=view.branch_id,
        manager_id=view.manager_id,
        create_on=view.opened_on,
        due_on=months_after(view.opened_on, 1),
        anchor_on=view.opened_on,
    )


def scheduled_periodic(entry: ScheduleEntry, rules: CallbackRules) -> ScheduleEntry:
    """The entry with its due and creation days derived from its anchor, class and open task."""
    months = rules.periodic_months.get(entry.client_class or "", 0)
    due = months_after(entry.anchor_on, months) if months and entry.anchor_on else None
    create_on = due - timedelta(days=rules.periodic_lead_days) if due and entry.open_task is None else None
    return replace(entry, due_on=due, create_on=create_on)


def periodic_entry(existing: ScheduleEntry | None, view: ScheduleView, rules: CallbackRules) -> ScheduleEntry | None:
    """The client's periodic entry as its record now asks: one period (by class) after its last
    finished periodic callback, or after its class was first set; a class change re-derives it."""
    if not view.active or view.client_class is None:
        return None
    base = existing or ScheduleEntry(
        kind=Kind.PERIODIC,
        subject=view.client_id,
        client_id=view.client_id,
        branch_id=view.branch_id,
        manager_id=view.manager_id,
        create_on=None,
        anchor_on=view.classified_on or view.as_of,
    )
    return scheduled_periodic(
        replace(base, client_class=view.client_class, manager_id=view.manager_id, branch_id=view.branch_id), rules
    )


def periodic_finished(entry: ScheduleEntry, finished_on: date, rules: CallbackRules) -> ScheduleEntry:
    """A periodic task ended (done or unreachable): the next period runs from that day."""
    return scheduled_periodic(replace(entry, anchor_on=finished_on, open_task=None), rules)


def care_entry(existing: ScheduleEntry | None, view: ScheduleView, rules: CallbackRules) -> ScheduleEntry | None:
    """A VIP's or target VIP's next birthday, created `care_lead_days` before it."""
    if not view.active or not view.cared_for or view.birthday is None:
        return None
    upcoming = next_birthday(view.birthday, view.as_of)
    if existing is not None and existing.anchor_on == view.birthday and (existing.due_on or upcoming) >= upcoming:
        return replace(existing, manager_id=view.manager_id, branch_id=view.branch_id)
    return ScheduleEntry(
        kind=Kind.CARE,
        subject=view.client_id,
        client_id=view.client_id,
        branch_id=view.branch_id,
        manager_id=view.manager_id,
        create_on=upcoming - timedelta(days=rules.care_lead_days),
        due_on=upcoming,
        anchor_on=view.birthday,
        version=existing.version if existing else None,
    )


def post_complaint_entry(
    complaint_no: str,
    *,
    client_id: str,
    branch_id: str,
    manager_id: str,
    replied_at: datetime,
    about_staff: tuple[str, ...],
) -> ScheduleEntry:
    return ScheduleEntry(
        kind=Kind.POST_COMPLAINT,
        subject=complaint_no,
        client_id=client_id,
        branch_id=branch_id,
        manager_id=manager_id,
        create_on=beijing(replied_at).date(),
        event_at=replied_at,
        source=complaint_no,
        excluded=about_staff,
    )


def post_closure_entry(
    case_id: str, *, client_id: str, branch_id: str, manager_id: str, decided_at: datetime, rules: CallbackRules
) -> ScheduleEntry:
    decided_on = beijing(decided_at).date()
    return ScheduleEntry(
        kind=Kind.POST_CLOSURE,
        subject=case_id,
        client_id=client_id,
        branch_id=branch_id,
        manager_id=manager_id,
        create_on=decided_on,
        due_on=decided_on + timedelta(days=rules.post_closure_days),
        source=case_id,
    )


def new_task(
    kind: Kind,
    callback_id: str,
    *,
    client_id: str,
    branch_id: str,
    manager_id: str,
    due_at: datetime,
    rules: CallbackRules,
    now: datetime,
    source: str | None = None,
    excluded: tuple[str, ...] = (),
    provisional: bool = False,
) -> CallbackTask:
    """An open task of `kind`: in the branch's pool, or the client's manager's (the rule table)."""
    return CallbackTask(
        callback_id=callback_id,
        kind=kind,
        client_id=client_id,
        branch_id=branch_id,
        manager_id=manager_id,
        owner=None if rules.is_pool_kind(kind) else manager_id,
        due_at=due_at,
        status=TaskStatus.OPEN,
        source=source,
        rules_version=rules.version,
        created_at=now,
        excluded=excluded,
        due_provisional=provisional,
    )


@dataclass(frozen=True)
class Creation:
    """What the job does with a due entry: the task to create (if any), and the entry after it
    (None: the entry is done with)."""

    task: CallbackTask | None
    entry_after: ScheduleEntry | None


def create_from(
    entry: ScheduleEntry, run_day: date, *, calendar: WorkingCalendar, rules: CallbackRules, now: datetime
) -> Creation:
    """The task a due entry brings on `run_day` (the job's business day)."""

    def task(callback_id: str, due_at: datetime, *, provisional: bool = False) -> CallbackTask:
        return new_task(
            entry.kind,
            callback_id,
            client_id=entry.client_id,
            branch_id=entry.branch_id,
            manager_id=entry.manager_id,
            due_at=due_at,
            source=entry.source,
            excluded=entry.excluded,
            provisional=provisional,
            rules=rules,
            now=now,
        )

    if entry.kind is Kind.NEW_ACCOUNT:
        opened = entry.anchor_on or run_day
        if is_migrated(opened, run_day, rules.new_account_window_days):
            return Creation(None, None)  # opened too long ago: a migrated record gets none
        return Creation(task(task_id(Kind.NEW_ACCOUNT, entry.client_id), end_of_day(months_after(opened, 1))), None)
    if entry.kind is Kind.POST_COMPLAINT:
        deadline = calendar.deadline(entry.event_at or now, rules.post_complaint_working_days)
        return Creation(
            task(task_id(entry.kind, entry.subject), deadline.due_at, provisional=deadline.provisional), None
        )
    if entry.kind is Kind.POST_CLOSURE:
        return Creation(task(task_id(entry.kind, entry.subject), end_of_day(entry.due_on or run_day)), None)
    if entry.kind is Kind.PERIODIC:
        due = max(entry.due_on or run_day, run_day)  # never created already overdue
        callback_id = task_id(Kind.PERIODIC, entry.client_id, f"{due:%Y%m%d}")
        return Creation(task(callback_id, end_of_day(due)), replace(entry, open_task=callback_id, create_on=None))
    if entry.kind is Kind.CARE:
        birthday = entry.due_on or run_day
        following = next_birthday(entry.anchor_on or birthday, birthday + timedelta(days=1))
        after = replace(
            entry, due_on=following, create_on=following - timedelta(days=rules.care_lead_days), open_task=None
        )
        if birthday < run_day:
            return Creation(None, after)  # the birthday went by while no run took it: next year's
        return Creation(task(task_id(Kind.CARE, entry.client_id, str(birthday.year)), end_of_day(birthday)), after)
    raise ValueError(f"{entry.kind} tasks are not created from the schedule")
