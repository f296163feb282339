"""Service-level clocks and their escalation (DOMAIN.md §3 e-mail replies and follow-ups, §4
complaint investigation and reply; rules/sla.toml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.calendar import WorkingCalendar, YearSchedule, library_schedule
from crm.domain.sla import (
    Clock,
    ClockKind,
    Level,
    SlaRules,
    escalation_due,
    rank,
    recomputed,
    start_clock,
    steps_to,
    who_must_act,
)
from crm.domain.time import BEIJING

SLA = rules.sla()
CALENDAR = WorkingCalendar({year: schedule for year in (2026,) if (schedule := library_schedule(year))})


def at(day: str, clock: str = "10:00:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=BEIJING)


def clock_received(received_at: datetime, kind: ClockKind = ClockKind.COMPLAINT_INVESTIGATE) -> Clock:
    return start_clock(
        owner_type="complaint",
        owner_id="TS-2604-0001",
        kind=kind,
        branch_id="B1",
        received_at=received_at,
        calendar=CALENDAR,
        rules=SLA,
        assignee="m-1",
    )


# Received Wed 2026-04-29, one working day: due Thu 2026-04-30 23:59:59. Labour Day (5/1–5/5)
# follows, so the supervisor has until the end of Wed 2026-05-06 before HQ is called in.
CLOCK = clock_received(at("2026-04-29"))


# --- the shipped rule table -----------------------------------------------------------------------


def test_the_shipped_clocks_in_working_days() -> None:
    assert SLA.working_days == {
        ClockKind.CONTACT_REPLY: 2,
        ClockKind.CONTACT_FOLLOW_UP: 1,
        ClockKind.COMPLAINT_INVESTIGATE: 1,
        ClockKind.COMPLAINT_REPLY: 2,
        ClockKind.PROSPECT_FOLLOW_UP: 1,
    }


def test_the_shipped_escalation_and_working_hours() -> None:
    assert SLA.warn_before == timedelta(hours=2)
    assert SLA.hq_after_working_days == 1
    assert SLA.working_hours == (time(9), time(17))


# --- starting a clock ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        (ClockKind.CONTACT_REPLY, "2026-05-07"),
        (ClockKind.CONTACT_FOLLOW_UP, "2026-05-06"),
        (ClockKind.COMPLAINT_INVESTIGATE, "2026-05-06"),
        (ClockKind.COMPLAINT_REPLY, "2026-05-07"),
    ],
    ids=str,
)
def test_a_clock_started_before_labour_day_is_due_after_it(kind: ClockKind, due: str) -> None:
    received_at = at("2026-04-30", "16:00:00")
    clock = clock_received(received_at, kind)
    assert clock.due_at == at(due, "23:59:59")
    assert (clock.kind, clock.started_at, clock.assignee, clock.branch_id) == (kind, received_at, "m-1", "B1")
    assert (clock.is_open, clock.met_late, clock.escalation, clock.provisional) == (True, False, None, False)


def test_a_clock_into_an_unknown_year_is_provisional() -> None:
    clock = clock_received(at("2026-12-31"), ClockKind.COMPLAINT_REPLY)
    assert clock.due_at == at("2027-01-04", "23:59:59")
    assert clock.provisional
    assert clock.unknown_years == frozenset({2027})


def test_a_provisional_clock_recomputed_once_hq_loads_the_year_is_final_and_moves_past_its_holidays() -> None:
    provisional = replace(clock_received(at("2026-12-31"), ClockKind.COMPLAINT_REPLY), escalation=Level.WARNING)
    loaded = YearSchedule.validated(2027, [date(2027, 1, 1), date(2027, 1, 4)], [], "loaded")
    known = WorkingCalendar({2026: CALENDAR._schedules[2026], 2027: loaded})
    final = recomputed(provisional, known, SLA)
    assert final.due_at == at("2027-01-06", "23:59:59")  # 1 and 4 January are now days off
    assert not final.provisional
    assert final.unknown_years == frozenset()
    assert final == replace(provisional, due_at=final.due_at, provisional=False, unknown_years=frozenset())
    assert recomputed(final, known, SLA) == final  # again: nothing moves


@pytest.mark.parametrize(
    ("met_at", "late"),
    [
        pytest.param(at("2026-04-30", "23:59:59"), False, id="at-the-deadline"),
        pytest.param(at("2026-05-01", "00:00:00"), True, id="a-second-after"),
        pytest.param(datetime(2026, 4, 30, 16, 0, tzinfo=UTC), True, id="utc-past-beijing-midnight"),
    ],
)
def test_a_clock_met_after_its_deadline_is_late(met_at: datetime, late: bool) -> None:
    met = replace(CLOCK, met_at=met_at)
    assert not met.is_open
    assert met.met_late is late


# --- escalation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "level"),
    [
        pytest.param(at("2026-04-30", "10:00:00"), None, id="well-before"),
        pytest.param(at("2026-04-30", "21:59:58"), None, id="just-before-the-warning"),
        pytest.param(at("2026-04-30", "21:59:59"), Level.WARNING, id="two-hours-before"),
        pytest.param(at("2026-04-30", "23:59:59"), Level.WARNING, id="at-the-deadline"),
        pytest.param(at("2026-05-01", "00:00:00"), Level.SUPERVISOR, id="just-after"),
        pytest.param(datetime(2026, 4, 30, 16, 0, tzinfo=UTC), Level.SUPERVISOR, id="just-after-in-utc"),
        pytest.param(at("2026-05-05", "23:00:00"), Level.SUPERVISOR, id="holidays-do-not-count"),
        pytest.param(at("2026-05-06", "23:59:59"), Level.SUPERVISOR, id="end-of-next-working-day"),
        pytest.param(at("2026-05-07", "00:00:00"), Level.HQ, id="after-next-working-day"),
        pytest.param(at("2026-06-01"), Level.HQ, id="long-after"),
    ],
)
def test_an_open_clock_escalates_with_time(now: datetime, level: Level | None) -> None:
    assert escalation_due(CLOCK, now, CALENDAR, SLA) is level


@pytest.mark.parametrize(
    ("now", "level"),
    [
        pytest.param(at("2026-05-09", "23:59:59"), Level.SUPERVISOR, id="make-up-saturday-counts"),
        pytest.param(at("2026-05-10", "00:00:00"), Level.HQ, id="after-make-up-saturday"),
    ],
)
def test_hq_is_called_after_a_make_up_working_day(now: datetime, level: Level) -> None:
    due_friday = clock_received(at("2026-05-07"))
    assert due_friday.due_at == at("2026-05-08", "23:59:59")
    assert escalation_due(due_friday, now, CALENDAR, SLA) is level


@pytest.mark.parametrize("now", [at("2026-04-30", "23:00:00"), at("2026-05-02"), at("2026-06-01")], ids=str)
def test_a_met_clock_never_escalates(now: datetime) -> None:
    assert escalation_due(replace(CLOCK, met_at=at("2026-05-02")), now, CALENDAR, SLA) is None


@pytest.mark.parametrize(
    ("reached", "now", "level"),
    [
        pytest.param(Level.WARNING, at("2026-04-30", "23:00:00"), None, id="warned-once"),
        pytest.param(Level.WARNING, at("2026-05-01"), Level.SUPERVISOR, id="warned-then-breached"),
        pytest.param(Level.SUPERVISOR, at("2026-04-30", "23:00:00"), None, id="no-warning-below-supervisor"),
        pytest.param(Level.SUPERVISOR, at("2026-05-04"), None, id="supervisor-once"),
        pytest.param(Level.SUPERVISOR, at("2026-05-07"), Level.HQ, id="supervisor-then-hq"),
        pytest.param(Level.HQ, at("2026-05-07"), None, id="hq-once"),
        pytest.param(Level.HQ, at("2026-05-01"), None, id="never-down-from-hq"),
    ],
)
def test_levels_only_rise(reached: Level, now: datetime, level: Level | None) -> None:
    assert escalation_due(replace(CLOCK, escalation=reached), now, CALENDAR, SLA) is level


@pytest.mark.parametrize(
    ("current", "needed", "steps"),
    [
        pytest.param(None, Level.WARNING, [Level.WARNING], id="none-to-warning"),
        pytest.param(None, Level.SUPERVISOR, [Level.SUPERVISOR], id="none-to-supervisor"),
        pytest.param(None, Level.HQ, [Level.SUPERVISOR, Level.HQ], id="none-to-hq-via-supervisor"),
        pytest.param(Level.WARNING, Level.SUPERVISOR, [Level.SUPERVISOR], id="warning-to-supervisor"),
        pytest.param(Level.WARNING, Level.HQ, [Level.SUPERVISOR, Level.HQ], id="warning-to-hq"),
        pytest.param(Level.SUPERVISOR, Level.HQ, [Level.HQ], id="supervisor-to-hq"),
    ],
)
def test_steps_recorded_on_the_way_up(current: Level | None, needed: Level, steps: list[Level]) -> None:
    assert steps_to(current, needed) == steps


@pytest.mark.parametrize(
    ("level", "addressee"),
    [
        (Level.WARNING, {"role": None, "user": "m-1", "branch_id": "B1"}),
        (Level.SUPERVISOR, {"role": "supervisor", "user": None, "branch_id": "B1"}),
        (Level.HQ, {"role": "hq", "user": None, "branch_id": None}),
    ],
    ids=str,
)
def test_who_must_act_at_each_level(level: Level, addressee: dict[str, str | None]) -> None:
    assert who_must_act(CLOCK, level) == addressee


def test_levels_rank_warning_supervisor_hq() -> None:
    assert [rank(None), rank(Level.WARNING), rank(Level.SUPERVISOR), rank(Level.HQ)] == [0, 1, 2, 3]


sweep_times = st.lists(
    st.datetimes(min_value=datetime(2026, 4, 29), max_value=datetime(2026, 5, 12), timezones=st.just(BEIJING)),
    min_size=1,
    max_size=8,
)


@given(sweep_times)
def test_repeated_sweeps_record_each_level_once_and_agree_with_one_late_sweep(times: list[datetime]) -> None:
    clock, recorded = CLOCK, []
    for now in sorted(times):
        needed = escalation_due(clock, now, CALENDAR, SLA)
        if needed is not None:
            recorded += steps_to(clock.escalation, needed)
            clock = replace(clock, escalation=needed)
    assert [rank(level) for level in recorded] == sorted({rank(level) for level in recorded})
    assert clock.escalation is escalation_due(CLOCK, max(times), CALENDAR, SLA)


# --- rule-table validation ------------------------------------------------------------------------


def build(table: dict) -> SlaRules:
    return SlaRules.from_table(table)


def no_version(table: dict) -> None:
    del table["version"]


def a_clock_missing(table: dict) -> None:
    del table["clocks"]["complaint_reply"]


def an_unknown_clock(table: dict) -> None:
    table["clocks"]["visit_report"] = 1


def zero_working_days(table: dict) -> None:
    table["clocks"]["contact_reply"] = 0


def non_numeric_working_days(table: dict) -> None:
    table["clocks"]["contact_reply"] = "two"


def hq_at_once(table: dict) -> None:
    table["escalation"]["hq_after_working_days"] = 0


def no_escalation(table: dict) -> None:
    del table["escalation"]


def hours_reversed(table: dict) -> None:
    table["working_hours"] = {"start": "17:00", "end": "09:00"}


def hours_empty(table: dict) -> None:
    table["working_hours"]["end"] = table["working_hours"]["start"]


def hours_unreadable(table: dict) -> None:
    table["working_hours"]["start"] = "nine"


def warning_unreadable(table: dict) -> None:
    table["escalation"]["warn_before_hours"] = "two"


def warning_after_the_deadline(table: dict) -> None:
    table["escalation"]["warn_before_hours"] = -2


def fractional_working_days(table: dict) -> None:
    table["clocks"]["contact_reply"] = D("2.5")


def infinite_warning(table: dict) -> None:
    table["escalation"]["warn_before_hours"] = D("Infinity")


@pytest.mark.parametrize(
    "breakage",
    [
        no_version,
        a_clock_missing,
        an_unknown_clock,
        zero_working_days,
        non_numeric_working_days,
        hq_at_once,
        no_escalation,
        hours_reversed,
        hours_empty,
        hours_unreadable,
        warning_unreadable,
        warning_after_the_deadline,
        fractional_working_days,
        infinite_warning,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_sla_table_is_refused(breakage: Callable[[dict], None], assert_refused: Callable[..., None]) -> None:
    assert_refused("sla", build, breakage)
