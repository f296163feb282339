"""What each record counts for (DOMAIN §8, §9): the counters the streams keep, by name and period,
and each record's contribution to them — pure, so that the counting rules are tested apart from
the fold that applies them (crm.data.counters).

- `activity#<manager>`, periods `D#<day>` (work logs, minutes by kind, visits, spot checks) and
  `W#<ISO week>` (weekly summaries): a manager's activity over any period.
- `report#<quarter>#<scope>`, members the company, each branch, each manager: the quarter's events
  (crm.domain.report), counted in the quarter they happened.
- `state#<scope>`, members `<quarter>#<member>`: the changes of the clients' state (class, risk
  level, VIP) made in each quarter, whose sum up to a quarter's end is its snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from crm.domain.activity import SpotCheck, Visit, WeeklySummary, WorkLog, activity_counter, day_period, week_period
from crm.domain.attitude import Attitude
from crm.domain.callbacks import CallbackTask, TaskStatus
from crm.domain.client import Client, ClientStatus
from crm.domain.complaints import Complaint, Validity
from crm.domain.contacts import Contact, ContactChannel
from crm.domain.education import Attendance, EducationActivity
from crm.domain.report import SATISFIED, SCORE_SUM, SCORED, Quarter, Scope, event_counter, member, state_counter
from crm.domain.retention import RetentionCase
from crm.domain.sla import Breach, Clock, ClockKind
from crm.domain.time import beijing

CounterKey = tuple[str, str]
Contribution = dict[CounterKey, dict[str, int]]


def merged(*parts: Contribution) -> Contribution:
    total: Contribution = {}
    for part in parts:
        for key, figures in part.items():
            into = total.setdefault(key, {})
            for metric, value in figures.items():
                into[metric] = into.get(metric, 0) + value
    return total


# --- a manager's activity ----------------------------------------------------------------------------


def _day(moment: datetime) -> date:
    return beijing(moment).date()


# --- the quarter's events ----------------------------------------------------------------------------


def events(moment: datetime | date, branch_id: str, manager_id: str | None, figures: Mapping[str, int]) -> Contribution:
    """`figures` counted for the quarter of `moment`: company, branch and (when known) manager."""
    quarter = Quarter.of(moment)
    counted = {key: value for key, value in figures.items() if value}
    if not counted:
        return {}
    scopes: list[tuple[Scope, str | None, str | None]] = [(Scope.COMPANY, None, None), (Scope.BRANCH, branch_id, None)]
    if manager_id:
        scopes.append((Scope.MANAGER, branch_id, manager_id))
    return {(event_counter(quarter, s), member(s, b, m)): dict(counted) for s, b, m in scopes}


def log_counts(log: WorkLog) -> Contribution:
    figures = {"work_logs": 1, "minutes": log.minutes}
    figures |= {f"minutes_{kind.value}": minutes for kind, minutes in log.minutes_by_kind().items()}
    day = {(activity_counter(log.manager_id), day_period(log.day)): figures}
    return merged(day, events(log.day, log.branch_id, log.manager_id, {"work_logs": 1}))


def summary_counts(summary: WeeklySummary) -> Contribution:
    return {(activity_counter(summary.manager_id), week_period(summary.week)): {"weekly_summaries": 1}}


def visit_counts(visit: Visit) -> Contribution:
    day = {(activity_counter(visit.manager_id), day_period(_day(visit.at))): {"visits": 1}}
    return merged(day, events(visit.at, visit.branch_id, visit.manager_id, {"visits": 1}))


def spot_check_counts(check: SpotCheck) -> Contribution:
    day = {(activity_counter(check.manager_id), day_period(_day(check.at))): {"spot_checks": 1}}
    return merged(day, events(check.at, check.branch_id, check.manager_id, {"spot_checks": 1}))


def contact_counts(contact: Contact) -> Contribution:
    figures = {f"contacts_{contact.channel.value}": 1}
    if contact.channel is ContactChannel.EMAIL and contact.replied_at is not None:
        figures["email_replied_same_day"] = int(bool(contact.replied_same_day))
        on_time = contact.reply_due_at is None or contact.replied_at <= contact.reply_due_at
        figures["email_replied_within_2wd"] = int(on_time)
    return events(contact.received_at, contact.branch_id, contact.manager_id, figures)


def complaint_counts(complaint: Complaint) -> Contribution:
    figures = {
        "complaints": 1,
        f"complaints_{complaint.category.value}": 1,
        "complaints_valid": int(complaint.validity is Validity.VALID),
        "complaints_invalid": int(complaint.validity is Validity.INVALID),
        "complaints_regulator": int(complaint.regulator_referral),
    }
    return events(complaint.received_at, complaint.branch_id, complaint.manager_id, figures)


ON_TIME = {
    ClockKind.COMPLAINT_INVESTIGATE: "complaints_investigated_on_time",
    ClockKind.COMPLAINT_REPLY: "complaints_replied_on_time",
}


def clock_counts(clock: Clock) -> Contribution:
    """A complaint's investigation or reply that met its deadline, in the quarter of the complaint."""
    metric = ON_TIME.get(clock.kind)
    if metric is None or clock.met_at is None or clock.met_at > clock.due_at:
        return {}
    return events(clock.started_at, clock.branch_id, clock.manager_id, {metric: 1})


def breach_counts(breach: Breach) -> Contribution:
    return events(breach.due_at, breach.branch_id, breach.manager_id, {"sla_breaches": 1})


def callback_counts(task: CallbackTask) -> Contribution:
    """Due in the quarter of its due time; done, on time, unreachable and the satisfaction it found
    in the quarter it ended. A cancelled task (the client left) is due no more."""
    if task.status is TaskStatus.CANCELLED:
        return {}
    due = events(task.due_at, task.branch_id, task.manager_id, {"callbacks_due": 1})
    if task.finished_at is None:
        return due
    done = task.status is TaskStatus.DONE
    figures = {
        "callbacks_done": int(done),
        "callbacks_done_on_time": int(task.done_on_time),
        "callbacks_unreachable": int(task.status is TaskStatus.UNREACHABLE),
    }
    if done and task.score is not None:
        figures |= {SCORE_SUM: task.score, SCORED: 1, SATISFIED: int(task.attitude is Attitude.SATISFIED)}
    return merged(due, events(task.finished_at, task.branch_id, task.manager_id, figures))


def case_counts(case: RetentionCase) -> Contribution:
    if case.is_open or case.decided_at is None:
        return {}
    return events(case.decided_at, case.branch_id, case.manager_id, {f"retention_{case.status.value}": 1})


def education_counts(activity: EducationActivity) -> Contribution:
    return events(activity.held_on, activity.branch_id, None, {"education_activities": 1})


def attendance_counts(attendance: Attendance) -> Contribution:
    return events(attendance.held_on, attendance.branch_id, None, {"education_attendances": 1})


# --- the clients' state --------------------------------------------------------------------------------


def client_state(client: Client | None) -> dict[str, int]:
    """What a client counts for in a snapshot: nothing once it has left."""
    if client is None or client.status is not ClientStatus.ACTIVE:
        return {}
    figures = {"clients": 1, "vip": int(client.vip)}
    if client.client_class:
        figures[f"clients_class_{client.client_class}"] = 1
    if client.risk_level:
        figures[f"clients_risk_{client.risk_level.value}"] = 1
    return figures


def _migrations(old: Client | None, new: Client | None) -> dict[str, int]:
    """A class that moved, a VIP status gained or lost: counted where the client now is."""
    if old is None or new is None:
        return {}
    return {
        "class_changes": int(bool(old.client_class) and new.client_class != old.client_class),
        "vip_gained": int(new.vip and not old.vip),
        "vip_lost": int(old.vip and not new.vip),
    }


def state_change(old: Client | None, new: Client | None, at: datetime) -> Contribution:
    """The change one write made to the snapshot, in the quarter it happened: the new state counted
    where the client now is, the old one taken away where it was (another branch, another manager);
    and the quarter's class migrations and VIP changes it made."""
    quarter = Quarter.of(at)
    change: Contribution = {}
    if new is not None:
        change = events(at, new.branch_id, new.manager_id, _migrations(old, new))
    for client, sign in ((old, -1), (new, 1)):
        if client is None:
            continue
        figures = {metric: sign * value for metric, value in client_state(client).items() if value}
        for scope in Scope:
            key = (state_counter(scope), f"{quarter}#{member(scope, client.branch_id, client.manager_id)}")
            change = merged(change, {key: figures})
    return {key: {m: v for m, v in figures.items() if v} for key, figures in change.items() if any(figures.values())}
