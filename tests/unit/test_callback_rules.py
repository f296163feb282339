"""Callback rules (DOMAIN §5, §7; rules/callbacks.toml): due dates, the schedule of what can fall
due, attempts to done and unreachable, owners and independence, and the rule table's checks."""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.attitude import Attitude
from crm.domain.calendar import WorkingCalendar, library_schedule
from crm.domain.callbacks import (
    AttemptInput,
    CallbackRules,
    CallbackTask,
    Kind,
    ScheduleView,
    TaskStatus,
    care_entry,
    create_from,
    end_of_day,
    months_after,
    new_account_entry,
    next_birthday,
    periodic_entry,
    periodic_finished,
    plan_attempt,
    plan_owner,
    post_closure_entry,
    post_complaint_entry,
)
from crm.domain.time import BEIJING
from crm.errors import Conflict, Forbidden, InvalidInput
from tests.unit.breakage import breaking as _set

RULES = rules.callbacks()
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=BEIJING)
CALENDAR = WorkingCalendar({2026: library_schedule(2026)})  # type: ignore[dict-item]
SUPERVISOR = Identity("sup-1", Role.SUPERVISOR, "B1")
COUNTER = Identity("ctr-1", Role.COUNTER, "B1")
MANAGER = Identity("mgr-1", Role.MANAGER, "B1")
OTHER_MANAGER = Identity("mgr-2", Role.MANAGER, "B1")
REACHED = AttemptInput(reached=True, attitude=Attitude.SATISFIED, score=8)


def task(kind: Kind = Kind.NEW_ACCOUNT, **changes: Any) -> CallbackTask:
    base = CallbackTask(
        callback_id="NA-C1",
        kind=kind,
        client_id="C1",
        branch_id="B1",
        manager_id="mgr-1",
        owner=None if RULES.is_pool_kind(kind) else "mgr-1",
        due_at=end_of_day(date(2026, 7, 10)),
        status=TaskStatus.OPEN,
        source=None,
        rules_version=RULES.version,
        created_at=NOW,
    )
    return replace(base, **changes)


def view(**changes: Any) -> ScheduleView:
    base = ScheduleView(
        client_id="C1",
        branch_id="B1",
        manager_id="mgr-1",
        opened_on=date(2020, 5, 18),
        birthday=date(1990, 9, 20),
        client_class="A+",
        cared_for=True,
        active=True,
        classified_on=date(2026, 6, 10),
        as_of=date(2026, 6, 10),
    )
    return replace(base, **changes)


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 20), 1, date(2026, 2, 20)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 4, 30), 1, date(2026, 5, 31)),  # a month's last day stays the last day
        (date(2026, 2, 28), 1, date(2026, 3, 31)),
        (date(2028, 2, 28), 1, date(2028, 3, 28)),  # not the last day of a leap February
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 6, 10), 12, date(2027, 6, 10)),
    ],
)
def test_months_after(day: date, months: int, expected: date) -> None:
    assert months_after(day, months) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=1, max_value=60))
def test_months_after_lands_in_the_right_month_never_later_than_its_day(day: date, months: int) -> None:
    later = months_after(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    last = month_calendar.monthrange(day.year, day.month)[1]
    if day.day == last:
        assert later.day == month_calendar.monthrange(later.year, later.month)[1]
    else:
        assert later.day == min(day.day, month_calendar.monthrange(later.year, later.month)[1])


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)), st.dates(date(2020, 1, 1), date(2080, 1, 1)))
def test_the_next_birthday_is_the_first_on_or_after_the_day(birthday: date, day: date) -> None:
    upcoming = next_birthday(birthday, day)
    assert day <= upcoming < day + timedelta(days=367)
    assert upcoming.month == birthday.month
    assert upcoming.day == birthday.day or (birthday.month, birthday.day, upcoming.day) == (2, 29, 28)


def test_a_leap_day_birthday_is_kept_on_28_february_in_other_years() -> None:
    assert next_birthday(date(1992, 2, 29), date(2027, 1, 1)) == date(2027, 2, 28)
    assert next_birthday(date(1992, 2, 29), date(2028, 1, 1)) == date(2028, 2, 29)


def test_a_task_falls_due_at_the_end_of_its_day_in_beijing() -> None:
    assert end_of_day(date(2026, 7, 1)).isoformat() == "2026-07-01T23:59:59+08:00"


# --- the schedule ----------------------------------------------------------------------------------


def test_a_client_registered_within_the_window_gets_its_new_account_entry() -> None:
    entry = new_account_entry(view(opened_on=date(2026, 11, 20)), date(2026, 11, 20), RULES)
    assert entry is not None
    assert (entry.create_on, entry.due_on, entry.kind) == (date(2026, 11, 20), date(2026, 12, 20), Kind.NEW_ACCOUNT)
    assert new_account_entry(view(opened_on=date(2026, 10, 19)), date(2026, 11, 20), RULES) is None
    assert new_account_entry(view(opened_on=date(2026, 11, 20), active=False), date(2026, 11, 20), RULES) is None


@pytest.mark.parametrize(
    ("client_class", "due"),
    [
        ("A+", date(2026, 7, 10)),
        ("B+", date(2026, 7, 10)),
        ("A", date(2026, 9, 10)),
        ("D", date(2026, 9, 10)),
        ("C-", date(2027, 6, 10)),
        ("F", date(2027, 6, 10)),
        ("G", None),
    ],
)
def test_the_periodic_call_is_one_period_by_class_after_the_class_was_set(client_class: str, due: date | None) -> None:
    entry = periodic_entry(None, view(client_class=client_class), RULES)
    assert entry is not None
    assert entry.due_on == due
    assert entry.create_on == (due - timedelta(days=7) if due else None)


def test_a_class_change_re_derives_the_date_from_the_same_anchor() -> None:
    slow = periodic_entry(None, view(client_class="E"), RULES)
    fast = periodic_entry(slow, view(client_class="A+", as_of=date(2026, 8, 1)), RULES)
    assert slow is not None
    assert fast is not None
    assert (slow.due_on, fast.due_on, fast.anchor_on) == (date(2027, 6, 10), date(2026, 7, 10), date(2026, 6, 10))


def test_an_open_periodic_task_holds_the_next_back_and_its_end_starts_the_next_period() -> None:
    entry = periodic_entry(None, view(), RULES)
    assert entry is not None
    waiting = replace(entry, open_task="PD-C1-20260710")
    assert periodic_entry(waiting, view(), RULES).create_on is None  # type: ignore[union-attr]
    finished = periodic_finished(waiting, date(2026, 7, 8), RULES)
    assert (finished.open_task, finished.due_on, finished.create_on) == (None, date(2026, 8, 8), date(2026, 8, 1))


def test_no_entry_for_a_client_without_a_class_or_one_who_left() -> None:
    assert periodic_entry(None, view(client_class=None), RULES) is None
    assert periodic_entry(None, view(active=False), RULES) is None
    assert care_entry(None, view(active=False), RULES) is None


def test_care_is_for_vips_and_targets_with_a_birthday_three_days_before() -> None:
    entry = care_entry(None, view(), RULES)
    assert entry is not None
    assert (entry.due_on, entry.create_on) == (date(2026, 9, 20), date(2026, 9, 17))
    assert care_entry(None, view(cared_for=False), RULES) is None
    assert care_entry(None, view(birthday=None), RULES) is None
    past = care_entry(None, view(as_of=date(2026, 9, 21)), RULES)
    assert past is not None
    assert past.due_on == date(2027, 9, 20)


def test_a_care_entry_the_job_moved_on_is_not_moved_back() -> None:
    entry = care_entry(None, view(), RULES)
    assert entry is not None
    moved = replace(entry, due_on=date(2027, 9, 20), create_on=date(2027, 9, 17))
    assert care_entry(moved, view(as_of=date(2026, 9, 18)), RULES) == moved


# --- what the job creates ------------------------------------------------------------------------


def test_the_job_creates_a_new_account_task_in_the_pool_due_a_month_after_opening() -> None:
    entry = new_account_entry(view(opened_on=date(2026, 11, 20)), date(2026, 11, 20), RULES)
    assert entry is not None
    made = create_from(entry, date(2026, 11, 21), calendar=CALENDAR, rules=RULES, now=NOW)
    assert made.task is not None
    assert (made.task.callback_id, made.task.owner, made.task.due_at, made.entry_after) == (
        "NA-C1",
        None,
        end_of_day(date(2026, 12, 20)),
        None,
    )
    late = create_from(entry, date(2026, 12, 22), calendar=CALENDAR, rules=RULES, now=NOW)
    assert (late.task, late.entry_after) == (None, None)  # 32 days after opening: none


def test_a_post_complaint_task_is_due_two_working_days_after_the_reply_in_the_pool() -> None:
    replied = datetime(2026, 4, 30, 16, 0, tzinfo=BEIJING)  # before Labour Day (1–5 May), make-up Sat 9 May
    entry = post_complaint_entry(
        "TS-2604-0001", client_id="C1", branch_id="B1", manager_id="mgr-1", replied_at=replied, about_staff=("ctr-7",)
    )
    made = create_from(entry, date(2026, 5, 1), calendar=CALENDAR, rules=RULES, now=NOW)
    assert made.task is not None
    assert (made.task.callback_id, made.task.due_at, made.task.excluded, made.task.source) == (
        "PC-TS-2604-0001",
        end_of_day(date(2026, 5, 7)),
        ("ctr-7",),
        "TS-2604-0001",
    )


def test_a_post_closure_task_is_due_thirty_days_after_the_outcome() -> None:
    decided = datetime(2026, 6, 5, 15, 0, tzinfo=BEIJING)
    entry = post_closure_entry(
        "RC-1", client_id="C1", branch_id="B1", manager_id="mgr-1", decided_at=decided, rules=RULES
    )
    made = create_from(entry, date(2026, 6, 6), calendar=CALENDAR, rules=RULES, now=NOW)
    assert made.task is not None
    assert (made.task.callback_id, made.task.due_at, made.task.owner) == ("PX-RC-1", end_of_day(date(2026, 7, 5)), None)


def test_a_periodic_task_belongs_to_the_manager_and_is_never_created_overdue() -> None:
    entry = periodic_entry(None, view(), RULES)
    assert entry is not None
    on_time = create_from(entry, date(2026, 7, 3), calendar=CALENDAR, rules=RULES, now=NOW)
    assert on_time.task is not None
    assert (on_time.task.due_at, on_time.task.owner) == (end_of_day(date(2026, 7, 10)), "mgr-1")
    assert on_time.entry_after is not None
    assert (on_time.entry_after.open_task, on_time.entry_after.create_on) == ("PD-C1-20260710", None)
    late = create_from(entry, date(2026, 7, 20), calendar=CALENDAR, rules=RULES, now=NOW)
    assert late.task is not None
    assert late.task.due_at == end_of_day(date(2026, 7, 20))


def test_a_care_task_for_this_birthday_then_next_years_and_none_for_a_birthday_gone_by() -> None:
    entry = care_entry(None, view(), RULES)
    assert entry is not None
    made = create_from(entry, date(2026, 9, 17), calendar=CALENDAR, rules=RULES, now=NOW)
    assert made.task is not None
    assert (made.task.callback_id, made.task.due_at) == ("CR-C1-2026", end_of_day(date(2026, 9, 20)))
    assert made.entry_after is not None
    assert (made.entry_after.due_on, made.entry_after.create_on) == (date(2027, 9, 20), date(2027, 9, 17))
    missed = create_from(entry, date(2026, 9, 25), calendar=CALENDAR, rules=RULES, now=NOW)
    assert missed.task is None
    assert missed.entry_after is not None
    assert missed.entry_after.due_on == date(2027, 9, 20)


# --- attempts -------------------------------------------------------------------------------------


def test_a_reached_attempt_with_attitude_and_score_makes_the_task_done() -> None:
    planned = plan_attempt(task(), REACHED, COUNTER, NOW, RULES)
    assert (planned.task.status, planned.task.finished_at, planned.task.owner) == (TaskStatus.DONE, NOW, "ctr-1")
    assert (planned.task.attitude, planned.task.score, planned.attempt.number) == (Attitude.SATISFIED, 8, 1)
    assert planned.task.done_on_time


@given(st.integers(min_value=0, max_value=5))
def test_the_unreachable_limit_th_unreached_attempt_makes_it_unreachable(before: int) -> None:
    if before >= RULES.unreachable_after:
        return
    planned = plan_attempt(task(attempts=before, unreached=before), AttemptInput(reached=False), COUNTER, NOW, RULES)
    expected = TaskStatus.UNREACHABLE if before + 1 == RULES.unreachable_after else TaskStatus.OPEN
    assert (planned.task.status, planned.task.unreached, planned.task.attempts) == (expected, before + 1, before + 1)


def test_an_appointment_moves_the_due_time_and_counts_no_failure() -> None:
    appointment = NOW + timedelta(days=2)
    planned = plan_attempt(task(), AttemptInput(reached=True, next_at=appointment), COUNTER, NOW, RULES)
    assert (planned.task.status, planned.task.due_at, planned.task.unreached) == (TaskStatus.OPEN, appointment, 0)


@pytest.mark.parametrize(
    ("given_", "field"),
    [
        (AttemptInput(reached=True), "attitude"),
        (AttemptInput(reached=True, attitude=Attitude.NEUTRAL), "score"),
        (AttemptInput(reached=True, attitude=Attitude.NEUTRAL, score=11), "score"),
        (AttemptInput(reached=False, score=5), "score"),
        (AttemptInput(reached=False, solved=True), "solved"),
        (AttemptInput(reached=False, next_at=NOW - timedelta(minutes=1)), "next_at"),
        (AttemptInput(reached=True, attitude=Attitude.NEUTRAL, score=5, next_at=NOW + timedelta(days=1)), "next_at"),
    ],
)
def test_incomplete_or_contradictory_attempts_are_refused_naming_the_field(given_: AttemptInput, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_attempt(task(), given_, COUNTER, NOW, RULES)
    assert caught.value.field == field


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.UNREACHABLE, TaskStatus.CANCELLED])
def test_a_task_no_longer_open_takes_no_attempt(status: TaskStatus) -> None:
    with pytest.raises(Conflict):
        plan_attempt(task(status=status), REACHED, COUNTER, NOW, RULES)


@pytest.mark.parametrize("kind", [Kind.NEW_ACCOUNT, Kind.SAMPLE, Kind.POST_COMPLAINT, Kind.POST_CLOSURE])
def test_the_clients_own_manager_never_records_a_pool_kind_even_when_given_it(kind: Kind) -> None:
    with pytest.raises(Forbidden):
        plan_attempt(task(kind, owner="mgr-1"), REACHED, MANAGER, NOW, RULES)
    assert plan_attempt(task(kind, owner="mgr-2"), REACHED, OTHER_MANAGER, NOW, RULES).task.status is TaskStatus.DONE


@pytest.mark.parametrize("kind", [Kind.PERIODIC, Kind.CARE])
def test_the_manager_records_its_own_periodic_and_care_calls(kind: Kind) -> None:
    assert plan_attempt(task(kind), REACHED, MANAGER, NOW, RULES).task.status is TaskStatus.DONE
    with pytest.raises(Forbidden):
        plan_attempt(task(kind), REACHED, COUNTER, NOW, RULES)  # it is the manager's
    assert plan_attempt(task(kind), REACHED, SUPERVISOR, NOW, RULES).task.status is TaskStatus.DONE


def test_the_person_complained_about_never_calls_back() -> None:
    named = task(Kind.POST_COMPLAINT, excluded=("ctr-1",), source="TS-2606-0001")
    with pytest.raises(Forbidden):
        plan_attempt(named, REACHED, COUNTER, NOW, RULES)
    with pytest.raises(InvalidInput):
        plan_owner(named, "ctr-1", SUPERVISOR, RULES)


def test_a_manager_takes_no_pool_task_without_it_being_assigned() -> None:
    with pytest.raises(Forbidden):
        plan_attempt(task(manager_id="mgr-9"), REACHED, MANAGER, NOW, RULES)


# --- owners ---------------------------------------------------------------------------------------


def test_supervisors_assign_counter_staff_take_themselves() -> None:
    assert plan_owner(task(), "ctr-9", SUPERVISOR, RULES).owner == "ctr-9"
    assert plan_owner(task(), "ctr-1", COUNTER, RULES).owner == "ctr-1"
    assert plan_owner(task(owner="ctr-1"), None, SUPERVISOR, RULES).owner is None
    with pytest.raises(Forbidden):
        plan_owner(task(), "ctr-9", COUNTER, RULES)
    with pytest.raises(Forbidden):
        plan_owner(task(), "mgr-2", MANAGER, RULES)
    with pytest.raises(InvalidInput):
        plan_owner(task(), "mgr-1", SUPERVISOR, RULES)  # the client's own manager
    with pytest.raises(InvalidInput):
        plan_owner(task(Kind.PERIODIC), None, SUPERVISOR, RULES)  # a manager's kind has a person
    with pytest.raises(Conflict):
        plan_owner(task(status=TaskStatus.DONE), "ctr-9", SUPERVISOR, RULES)


# --- the rule table --------------------------------------------------------------------------------


def test_the_shipped_table_holds_domain_5s_defaults() -> None:
    assert (RULES.new_account_window_days, RULES.post_complaint_working_days, RULES.post_closure_days) == (31, 2, 30)
    assert (RULES.periodic_lead_days, RULES.care_lead_days, RULES.unreachable_after) == (7, 3, 3)
    assert RULES.periodic_months == {
        "A+": 1, "B+": 1, "A": 3, "B": 3, "C": 3, "D": 3, "C-": 12, "D-": 12, "E": 12, "F": 12, "G": 0,
    }  # fmt: skip
    assert {k for k in Kind if RULES.is_pool_kind(k)} == {
        Kind.NEW_ACCOUNT,
        Kind.SAMPLE,
        Kind.POST_COMPLAINT,
        Kind.POST_CLOSURE,
    }
    assert (RULES.sample_rate, RULES.sample_due, RULES.at_risk_asset_drop) == (Decimal("0.10"), (6, 30), Decimal("0.5"))


def build(table: dict[str, Any]) -> CallbackRules:
    return CallbackRules.from_table(table, rules.classification().class_order)


@pytest.mark.parametrize(
    "breakage",
    [
        _set("version", KeyError),
        _set("unreachable_after", 0),
        _set("unreachable_after", 2.5),
        _set("post_complaint_working_days", 0),
        _set("new_account_window_days", 0),
        _set("care_lead_days", -1),
        _set("periodic_months.G", KeyError),
        _set("periodic_months.Z", 3),
        _set("periodic_months.A", -1),
        _set("periodic_months.A", 1.5),
        _set("owners.sample", "manager-ish"),
        _set("owners.care", KeyError),
        _set("sample.rate", Decimal("0")),
        _set("sample.rate", Decimal("1.5")),
        _set("sample.due", "02-29"),
        _set("sample.due", "13-01"),
        _set("at_risk.asset_drop", Decimal("0")),
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_callbacks_table_is_refused(
    breakage: Callable[[dict[str, Any]], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("callbacks", build, breakage)
