"""Managers' service records, prospects, investor education and SMS (第32–35条, 第52–55条, Part 9;
DOMAIN §8, §9a): who writes a log when, the bounds of minutes and assessments, ISO weeks, what a
record counts for, the outcome of a prospect, attendance lists and SMS templates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.activity import (
    ActivityRules,
    EntryKind,
    LogEntry,
    SpotCheck,
    Visit,
    VisitChannel,
    WeeklySummary,
    WorkLog,
    check_summary_week,
    check_visit,
    iso_week,
    plan_log,
    weeks_between,
)
from crm.domain.aggregates import Contribution, log_counts, spot_check_counts, summary_counts, visit_counts
from crm.domain.calendar import WorkingCalendar, library_schedule
from crm.domain.client import Client
from crm.domain.education import EducationActivity, EducationKind, check_attendance
from crm.domain.messages import SmsRules, compose
from crm.domain.prospects import Prospect, ProspectOutcome, ProspectStatus, Source, decide
from crm.domain.time import BEIJING
from crm.errors import Conflict, Forbidden, InvalidInput
from tests.unit.breakage import breaking as _set

RULES = rules.activity()
CALENDAR = WorkingCalendar({2026: library_schedule(2026)})  # type: ignore[dict-item]
MANAGER = Identity("mgr-1", Role.MANAGER, "B1")
SUPERVISOR = Identity("sup-1", Role.SUPERVISOR, "B1")
COUNTER = Identity("ctr-1", Role.COUNTER, "B1")
CALL = LogEntry(kind=EntryKind.CALL, minutes=30)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def plan(day: str, now: str, *, actor: Identity = MANAGER, reason: str | None = None, entries=(CALL,)):
    return plan_log(
        "mgr-1",
        date.fromisoformat(day),
        list(entries),
        actor=actor,
        now=at(now),
        reason=reason,
        calendar=CALENDAR,
        rules=RULES,
    )


# --- work logs -------------------------------------------------------------------------------------


def test_the_manager_writes_its_log_on_the_day_and_the_working_day_after() -> None:
    assert plan("2026-06-01", "2026-06-01T18:00") == (False, None)  # a Monday, that day
    assert plan("2026-06-05", "2026-06-08T09:00") == (False, None)  # Friday's, on Monday
    assert plan("2026-04-30", "2026-05-06T09:00") == (False, None)  # across Labour Day (1–5 May)


def test_a_log_older_than_its_window_is_a_supervisors_to_amend_with_a_reason() -> None:
    with pytest.raises(Forbidden) as caught:
        plan("2026-06-01", "2026-06-03T09:00")
    assert caught.value.field == "date"
    with pytest.raises(InvalidInput) as missing:
        plan("2026-06-01", "2026-06-03T09:00", actor=SUPERVISOR)
    assert missing.value.field == "reason"
    assert plan("2026-06-01", "2026-06-03T09:00", actor=SUPERVISOR, reason="补录") == (True, "补录")


@pytest.mark.parametrize(
    ("day", "now", "field"),
    [
        ("2026-06-06", "2026-06-06T18:00", "date"),  # a Saturday
        ("2026-10-01", "2026-10-01T18:00", "date"),  # National Day
        ("2026-06-02", "2026-06-01T18:00", "date"),  # tomorrow
    ],
)
def test_no_log_of_a_day_off_or_a_day_to_come(day: str, now: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(day, now)
    assert caught.value.field == field


def test_a_make_up_working_day_has_its_log() -> None:
    assert plan("2026-09-20", "2026-09-20T18:00") == (False, None)  # make-up Sunday


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([LogEntry(kind=EntryKind.CALL, minutes=0)], "entries.0.minutes"),
        ([LogEntry(kind=EntryKind.CALL, minutes=-5)], "entries.0.minutes"),
        ([CALL, LogEntry(kind=EntryKind.OTHER, minutes=1441)], "entries.1.minutes"),
        ([LogEntry(kind=EntryKind.CALL, minutes=800), LogEntry(kind=EntryKind.VISIT, minutes=700)], "entries"),
    ],
)
def test_minutes_are_bounded_per_entry_and_per_day(entries: list[LogEntry], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan("2026-06-01", "2026-06-01T18:00", entries=entries)
    assert caught.value.field == field


def test_only_the_manager_writes_its_own_log() -> None:
    with pytest.raises(Forbidden):
        plan("2026-06-01", "2026-06-01T18:00", actor=Identity("mgr-2", Role.MANAGER, "B1"))
    with pytest.raises(Forbidden):
        plan("2026-06-01", "2026-06-01T18:00", actor=COUNTER, reason="x")


# --- weeks, visits, summaries ----------------------------------------------------------------------


def test_iso_weeks() -> None:
    assert iso_week("2026-W23") == (date(2026, 6, 1), date(2026, 6, 7))
    assert iso_week("2026-W01") == (date(2025, 12, 29), date(2026, 1, 4))
    assert weeks_between(date(2026, 6, 3), date(2026, 6, 15)) == ["2026-W23", "2026-W24", "2026-W25"]
    for bad in ("2026-23", "2026-W54", "W23"):
        with pytest.raises(InvalidInput):
            iso_week(bad)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 1, 1)), st.integers(min_value=0, max_value=120))
def test_weeks_between_covers_every_day_once(start: date, length: int) -> None:
    from datetime import timedelta

    end = start + timedelta(days=length)
    weeks = weeks_between(start, end)
    assert len(weeks) == len(set(weeks))
    for offset in range(length + 1):
        year, week, _ = (start + timedelta(days=offset)).isocalendar()
        assert f"{year}-W{week:02d}" in weeks


def test_a_summary_is_for_a_week_begun_by_its_own_manager() -> None:
    check_summary_week("2026-W23", MANAGER, "mgr-1", at("2026-06-01T09:00"))
    with pytest.raises(InvalidInput):
        check_summary_week("2026-W24", MANAGER, "mgr-1", at("2026-06-01T09:00"))
    with pytest.raises(Forbidden):
        check_summary_week("2026-W23", MANAGER, "mgr-2", at("2026-06-01T09:00"))


@pytest.mark.parametrize(("score", "ok"), [(0, False), (1, True), (5, True), (6, False)])
def test_the_self_assessment_is_one_to_five(score: int, ok: bool) -> None:
    if ok:
        check_visit(at=at("2026-06-01T10:00"), self_assessment=score, now=at("2026-06-01T18:00"), rules=RULES)
    else:
        with pytest.raises(InvalidInput):
            check_visit(at=at("2026-06-01T10:00"), self_assessment=score, now=at("2026-06-01T18:00"), rules=RULES)


# --- what records count for ------------------------------------------------------------------------


def activity_only(contribution: Contribution) -> Contribution:
    """The activity counters of a contribution (its quarterly-report counts are test_report_rules')."""
    return {key: figures for key, figures in contribution.items() if key[0].startswith("activity#")}


def test_a_log_counts_one_day_with_its_minutes_by_kind() -> None:
    log = WorkLog(
        manager_id="mgr-1",
        branch_id="B1",
        day=date(2026, 6, 1),
        entries=(CALL, LogEntry(kind=EntryKind.VISIT, minutes=90), LogEntry(kind=EntryKind.CALL, minutes=15)),
        written_by="mgr-1",
        written_at=at("2026-06-01T18:00"),
    )
    assert activity_only(log_counts(log)) == {
        ("activity#mgr-1", "D#2026-06-01"): {"work_logs": 1, "minutes": 135, "minutes_call": 45, "minutes_visit": 90}
    }


def test_visits_summaries_and_spot_checks_count_on_their_day_or_week() -> None:
    visit = Visit("V1", "C1", "B1", "mgr-1", at("2026-06-01T23:30"), VisitChannel.PHONE, "p", "o", 4, "mgr-1", NOW)
    assert activity_only(visit_counts(visit)) == {("activity#mgr-1", "D#2026-06-01"): {"visits": 1}}
    summary = WeeklySummary("mgr-1", "B1", "2026-W23", "a", "b", "c", "mgr-1", NOW)
    assert summary_counts(summary) == {("activity#mgr-1", "W#2026-W23"): {"weekly_summaries": 1}}
    check = SpotCheck("S1", "mgr-1", "B1", date(2026, 6, 1), date(2026, 6, 5), "ok", (), (), "sup-1", NOW)
    assert activity_only(spot_check_counts(check)) == {("activity#mgr-1", "D#2026-06-08"): {"spot_checks": 1}}


NOW = at("2026-06-08T10:00")


# --- prospects -------------------------------------------------------------------------------------

PROSPECT = Prospect(
    prospect_id="P1",
    name="王五",
    phone="13800138001",
    source=Source.APPOINTMENT,
    branch_id="B1",
    manager_id="mgr-1",
    status=ProspectStatus.OPEN,
    follow_up_due_at=at("2026-06-09T23:59:59"),
    deadline_provisional=False,
    recorded_by="ctr-1",
    recorded_at=NOW,
)


def test_a_prospect_is_converted_naming_the_client_or_dropped_saying_why_once() -> None:
    converted = decide(PROSPECT, ProspectOutcome.CONVERTED, client_id="C9", reason=None, by="mgr-1", at=NOW)
    assert (converted.status, converted.client_id, converted.decided_at) == (ProspectStatus.CONVERTED, "C9", NOW)
    dropped = decide(PROSPECT, ProspectOutcome.DROPPED, client_id=None, reason="去了别家", by="mgr-1", at=NOW)
    assert (dropped.status, dropped.reason) == (ProspectStatus.DROPPED, "去了别家")
    with pytest.raises(Conflict):
        decide(converted, ProspectOutcome.DROPPED, client_id=None, reason="x", by="mgr-1", at=NOW)
    for outcome, client_id, reason, field in (
        (ProspectOutcome.CONVERTED, None, None, "client_id"),
        (ProspectOutcome.DROPPED, None, None, "reason"),
        (ProspectOutcome.DROPPED, "C9", "x", "client_id"),
    ):
        with pytest.raises(InvalidInput) as caught:
            decide(PROSPECT, outcome, client_id=client_id, reason=reason, by="mgr-1", at=NOW)
        assert caught.value.field == field


# --- education -------------------------------------------------------------------------------------

LECTURE = EducationActivity(
    "E1", "理财大讲堂", EducationKind.LECTURE, "B1", date(2026, 6, 2), "基金", "李", "ctr-1", NOW
)


def test_an_attendance_list_names_each_client_once_after_the_activity() -> None:
    assert check_attendance(LECTURE, ["C1", "C2"], NOW, 1000) == ["C1", "C2"]
    with pytest.raises(InvalidInput):
        check_attendance(LECTURE, ["C1", "C1"], NOW, 1000)
    with pytest.raises(InvalidInput):
        check_attendance(LECTURE, ["C1", "C2"], NOW, 1)
    with pytest.raises(InvalidInput):
        check_attendance(LECTURE, ["C1"], at("2026-06-01T10:00"), 1000)


# --- SMS -------------------------------------------------------------------------------------------

CLIENT = Client(
    client_id="C1",
    name="张三",
    id_number="110101199003074514",
    phone="13800138000",
    branch_id="B1",
    manager_id="mgr-1",
    opened_on=date(2026, 6, 1),
    created_at=NOW,
    created_by="ctr-1",
)


def test_the_opening_sms_goes_to_the_mainland_number_in_e164_filled_from_the_record() -> None:
    sms = compose(CLIENT, "account_opened", rules.sms(), message_id="account_opened-C1")
    assert (sms.to, sms.problem) == ("+8613800138000", None)
    assert "张三" in sms.text
    assert "C1" in sms.text
    assert "{" not in sms.text


def test_a_number_that_is_no_mainland_mobile_is_not_sent_with_the_reason() -> None:
    from dataclasses import replace

    sms = compose(replace(CLIENT, phone="02012345678"), "account_opened", rules.sms(), message_id="m")
    assert sms.to is None
    assert "11-digit mainland mobile" in (sms.problem or "")


@pytest.mark.parametrize(
    "breakage",
    [
        _set("sms_type", "Urgent"),
        _set("country_code", "86"),
        _set("templates.account_opened", KeyError),
        _set("templates.account_opened.text", "您好{id_number}"),
        _set("templates.account_opened.text", "长" * 400),
    ],
    ids=lambda b: b.__name__,
)
def test_a_broken_sms_table_is_refused(breakage: Callable[[dict[str, Any]], None], assert_refused: Any) -> None:
    assert_refused("sms", SmsRules.from_table, breakage)


@pytest.mark.parametrize(
    "breakage",
    [
        _set("work_log.late_working_days", -1),
        _set("work_log.max_minutes_per_entry", 0),
        _set("work_log.max_minutes_per_day", 2000),
        _set("work_log.max_minutes_per_entry", Decimal("30.5")),
        _set("visit.max_self_assessment", 0),
        _set("education.max_attendees", 0),
        _set("version", KeyError),
    ],
    ids=lambda b: b.__name__,
)
def test_a_broken_activity_table_is_refused(breakage: Callable[[dict[str, Any]], None], assert_refused: Any) -> None:
    assert_refused("activity", ActivityRules.from_table, breakage)
