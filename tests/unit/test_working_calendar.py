"""Working days of the mainland-China calendar and deadlines counted in them (DOMAIN.md §10;
issue 3's examples; TOOLCHAIN.md «Calendar»: chinese-calendar covers 2004–2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.calendar import WorkingCalendar, YearSchedule, library_schedule
from crm.domain.time import BEIJING
from crm.errors import InvalidInput

LIBRARY_YEARS = range(2004, 2027)
LIBRARY_SCHEDULES = {year: schedule for year in LIBRARY_YEARS if (schedule := library_schedule(year))}
LIBRARY = WorkingCalendar(LIBRARY_SCHEDULES)
NEW_YORK = timezone(timedelta(hours=-4))
WORKING_HOURS = rules.sla().working_hours


def at(day: str, clock: str = "10:00:00", tz: timezone = BEIJING) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=tz)


def end_of(day: str) -> datetime:
    return at(day, "23:59:59")


def loaded(year: int, holidays: tuple[str, ...] = (), workdays: tuple[str, ...] = ()) -> YearSchedule:
    return YearSchedule.validated(
        year, [date.fromisoformat(d) for d in holidays], [date.fromisoformat(d) for d in workdays], source="loaded"
    )


# --- the library's data -------------------------------------------------------------------------


def test_the_library_covers_2004_to_2026_and_nothing_after() -> None:
    assert [year for year in range(2000, 2031) if library_schedule(year)] == list(LIBRARY_YEARS)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("2026-02-14", True, id="spring-festival-make-up-sat"),
        pytest.param("2026-02-15", False, id="spring-festival-first-day"),
        pytest.param("2026-02-18", False, id="spring-festival-wednesday"),
        pytest.param("2026-02-23", False, id="spring-festival-last-day-monday"),
        pytest.param("2026-02-24", True, id="after-spring-festival"),
        pytest.param("2026-02-28", True, id="spring-festival-make-up-sat-2"),
        pytest.param("2026-04-30", True, id="before-labour-day"),
        pytest.param("2026-05-01", False, id="labour-day-friday"),
        pytest.param("2026-05-05", False, id="labour-day-tuesday"),
        pytest.param("2026-05-06", True, id="after-labour-day"),
        pytest.param("2026-05-09", True, id="labour-day-make-up-sat"),
        pytest.param("2026-05-10", False, id="plain-sunday"),
        pytest.param("2026-09-20", True, id="national-day-make-up-sun"),
        pytest.param("2026-10-01", False, id="national-day"),
        pytest.param("2026-10-07", False, id="national-day-last"),
        pytest.param("2026-10-08", True, id="after-national-day"),
        pytest.param("2026-10-10", True, id="national-day-make-up-sat"),
        pytest.param("2026-10-11", False, id="sunday-after-make-up-sat"),
    ],
)
def test_2026_holidays_and_make_up_days_from_the_library(day: str, working: bool) -> None:
    assert LIBRARY.is_working_day(date.fromisoformat(day)) is working


def test_a_library_schedule_says_where_it_comes_from() -> None:
    schedule = library_schedule(2026)
    assert schedule is not None
    assert schedule.source == "library"
    assert {date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)} <= schedule.workdays
    assert {date(2026, 2, 15) + timedelta(days=i) for i in range(9)} <= schedule.holidays


# --- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "working_days", "due"),
    [
        pytest.param(at("2026-04-30", "08:00:00"), 1, "2026-05-06", id="labour-day-morning"),
        pytest.param(at("2026-04-30", "23:30:00"), 1, "2026-05-06", id="labour-day-late-evening"),
        pytest.param(at("2026-04-30"), 2, "2026-05-07", id="labour-day-two-days"),
        pytest.param(at("2026-05-02"), 1, "2026-05-06", id="received-on-a-holiday"),
        pytest.param(at("2026-05-08"), 1, "2026-05-09", id="make-up-saturday"),
        pytest.param(at("2026-05-08"), 2, "2026-05-11", id="make-up-saturday-then-monday"),
        pytest.param(at("2026-05-06", "00:00:01"), 1, "2026-05-07", id="receipt-day-never-counts"),
        pytest.param(at("2026-05-15"), 1, "2026-05-18", id="plain-weekend"),
        pytest.param(at("2026-05-16"), 1, "2026-05-18", id="received-on-saturday"),
        pytest.param(at("2026-09-18"), 1, "2026-09-20", id="make-up-sunday"),
        pytest.param(at("2026-09-30"), 1, "2026-10-08", id="national-day"),
        pytest.param(at("2026-09-30"), 2, "2026-10-09", id="national-day-two-days"),
        pytest.param(at("2026-10-09"), 1, "2026-10-10", id="national-day-make-up-saturday"),
        pytest.param(at("2026-02-13"), 1, "2026-02-14", id="spring-festival-make-up-saturday"),
        pytest.param(at("2026-02-14"), 1, "2026-02-24", id="spring-festival"),
        pytest.param(at("2026-02-27"), 1, "2026-02-28", id="spring-festival-second-make-up-day"),
        pytest.param(at("2026-12-30"), 1, "2026-12-31", id="last-day-of-a-known-year"),
    ],
)
def test_deadline_is_the_end_of_the_nth_working_day_after_receipt(
    received_at: datetime, working_days: int, due: str
) -> None:
    deadline = LIBRARY.deadline(received_at, working_days)
    assert deadline.due_at == end_of(due)
    assert not deadline.provisional
    assert deadline.unknown_years == frozenset()


@pytest.mark.parametrize(
    ("received_at", "due"),
    [
        pytest.param(datetime(2026, 4, 29, 16, 30, tzinfo=UTC), "2026-05-06", id="utc-evening-is-next-beijing-day"),
        pytest.param(datetime(2026, 4, 29, 15, 59, 59, tzinfo=UTC), "2026-04-30", id="utc-before-beijing-midnight"),
        pytest.param(datetime(2026, 5, 7, 17, 0, tzinfo=UTC), "2026-05-09", id="utc-friday-beijing"),
        pytest.param(datetime(2026, 4, 29, 12, 0, tzinfo=NEW_YORK), "2026-05-06", id="new-york-noon"),
        pytest.param(datetime(2026, 4, 30, 8, 0), "2026-05-06", id="naive-is-beijing"),
    ],
)
def test_deadline_counts_from_the_beijing_date_and_ends_at_23_59_59_beijing(received_at: datetime, due: str) -> None:
    due_at = LIBRARY.deadline(received_at, 1).due_at
    assert due_at == end_of(due)
    assert due_at.utcoffset() == timedelta(hours=8)
    assert due_at.time() == time(23, 59, 59)


def test_zero_working_days_is_not_a_deadline() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LIBRARY.nth_working_day_after(date(2026, 5, 6), 0)


# --- a year with no known calendar ----------------------------------------------------------------


def test_into_an_unknown_year_the_deadline_counts_weekends_only_and_is_provisional() -> None:
    deadline = LIBRARY.deadline(at("2026-12-30"), 2)
    assert deadline.due_at == end_of("2027-01-01")  # New Year's Day, unknown yet: a Friday
    assert deadline.provisional
    assert deadline.unknown_years == frozenset({2027})


def test_into_a_loaded_year_the_deadline_follows_it_and_is_final() -> None:
    calendar = WorkingCalendar({**LIBRARY_SCHEDULES, 2027: loaded(2027, holidays=("2027-01-01",))})
    deadline = calendar.deadline(at("2026-12-30"), 2)
    assert deadline.due_at == end_of("2027-01-04")
    assert not deadline.provisional
    assert deadline.unknown_years == frozenset()


def test_an_unknown_year_skips_weekends_but_no_holidays() -> None:
    unknown = WorkingCalendar({})
    assert unknown.nth_working_day_after(date(2027, 10, 1), 1) == (date(2027, 10, 4), frozenset({2027}))
    assert not unknown.knows(2027)


def test_a_receipt_day_in_an_unknown_year_does_not_make_a_deadline_provisional() -> None:
    calendar = WorkingCalendar({2028: loaded(2028)})
    deadline = calendar.deadline(at("2027-12-31"), 1)
    assert deadline.due_at == end_of("2028-01-03")
    assert not deadline.provisional


# --- loaded schedules -----------------------------------------------------------------------------


def test_a_loaded_year_overrides_the_library_for_that_year() -> None:
    calendar = WorkingCalendar({2026: loaded(2026, holidays=("2026-06-01",))})
    assert calendar.is_working_day(date(2026, 5, 1))  # the library's Labour Day is gone
    assert not calendar.is_working_day(date(2026, 5, 9))  # and so is its make-up Saturday
    assert not calendar.is_working_day(date(2026, 6, 1))  # a Monday made a holiday
    assert calendar.deadline(at("2026-05-29"), 1).due_at == end_of("2026-06-02")


def test_a_loaded_make_up_day_on_a_weekend_is_a_working_day() -> None:
    calendar = WorkingCalendar({2027: loaded(2027, holidays=("2027-02-08",), workdays=("2027-02-06",))})
    assert calendar.deadline(at("2027-02-05"), 1).due_at == end_of("2027-02-06")
    assert calendar.deadline(at("2027-02-06"), 1).due_at == end_of("2027-02-09")


@pytest.mark.parametrize(
    ("year", "holidays", "workdays", "field"),
    [
        pytest.param(1999, (), (), "year", id="year-before-2000"),
        pytest.param(2101, (), (), "year", id="year-after-2100"),
        pytest.param(2027, ("2026-12-31",), (), "holidays", id="holiday-outside-the-year"),
        pytest.param(2027, (), ("2028-01-01",), "workdays", id="workday-outside-the-year"),
        pytest.param(2027, ("2027-01-01", "2027-01-01"), (), "holidays", id="holiday-twice"),
        pytest.param(2027, (), ("2027-02-06", "2027-02-06"), "workdays", id="workday-twice"),
        pytest.param(2027, ("2027-02-06",), ("2027-02-06",), "workdays", id="holiday-and-workday"),
        pytest.param(2027, (), ("2027-02-08",), "workdays", id="make-up-day-on-a-monday"),
    ],
)
def test_a_bad_schedule_is_refused_naming_its_field(
    year: int, holidays: tuple[str, ...], workdays: tuple[str, ...], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        loaded(year, holidays, workdays)
    assert caught.value.field == field


@pytest.mark.parametrize("year", [2000, 2100], ids=str)
def test_the_edge_years_are_accepted(year: int) -> None:
    assert loaded(year).year == year


def test_a_valid_schedule_keeps_its_days_and_source() -> None:
    schedule = loaded(2027, holidays=("2027-01-01", "2027-01-02"), workdays=("2027-02-06",))
    assert schedule.holidays == frozenset({date(2027, 1, 1), date(2027, 1, 2)})
    assert schedule.workdays == frozenset({date(2027, 2, 6)})
    assert schedule.source == "loaded"


# --- working hours (首问负责制 follow-ups, DEFAULT 09:00–17:00) -------------------------------------


@pytest.mark.parametrize(
    ("moment", "within"),
    [
        pytest.param(at("2026-05-06", "08:59:59"), False, id="before-nine"),
        pytest.param(at("2026-05-06", "09:00:00"), True, id="nine"),
        pytest.param(at("2026-05-06", "16:59:59"), True, id="last-second"),
        pytest.param(at("2026-05-06", "17:00:00"), False, id="five"),
        pytest.param(at("2026-05-09", "10:00:00"), True, id="make-up-saturday"),
        pytest.param(at("2026-05-09", "17:30:00"), False, id="make-up-saturday-evening"),
        pytest.param(at("2026-05-04", "10:00:00"), False, id="holiday-monday"),
        pytest.param(at("2026-05-16", "10:00:00"), False, id="plain-saturday"),
        pytest.param(at("2026-05-06", "01:00:00", UTC), True, id="utc-is-beijing-nine"),
        pytest.param(at("2026-05-06", "09:00:00", UTC), False, id="utc-is-beijing-five"),
    ],
)
def test_working_hours_are_nine_to_five_on_working_days(moment: datetime, within: bool) -> None:
    assert LIBRARY.within_working_hours(moment, *WORKING_HOURS) is within


# --- properties -----------------------------------------------------------------------------------

receipts = st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(BEIJING))
counts = st.integers(min_value=1, max_value=15)


@given(receipts, counts)
def test_the_deadline_falls_on_a_working_day_after_the_day_of_receipt(received_at: datetime, n: int) -> None:
    due_at = LIBRARY.deadline(received_at, n).due_at
    assert due_at.date() > received_at.date()
    assert LIBRARY.is_working_day(due_at.date())


@given(receipts, counts)
def test_one_more_working_day_is_a_later_deadline(received_at: datetime, n: int) -> None:
    assert LIBRARY.deadline(received_at, n + 1).due_at > LIBRARY.deadline(received_at, n).due_at


@given(receipts, counts)
def test_exactly_n_working_days_end_at_the_deadline(received_at: datetime, n: int) -> None:
    due_day = LIBRARY.deadline(received_at, n).due_at.date()
    between = (received_at.date() + timedelta(days=i) for i in range(1, (due_day - received_at.date()).days + 1))
    assert sum(LIBRARY.is_working_day(day) for day in between) == n


@given(receipts, counts)
def test_provisional_exactly_when_a_day_counted_lies_after_2026(received_at: datetime, n: int) -> None:
    deadline = LIBRARY.deadline(received_at, n)
    first_counted = received_at.date() + timedelta(days=1)
    years_counted = range(first_counted.year, deadline.due_at.year + 1)
    assert deadline.unknown_years == {year for year in years_counted if year not in LIBRARY_YEARS}
    assert deadline.provisional is bool(deadline.unknown_years)
