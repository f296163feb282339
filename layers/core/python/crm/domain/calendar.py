"""Working days of the mainland-China calendar and the deadlines counted in them (DOMAIN §10).

A working day is a weekday that is not a statutory holiday, or a make-up working day (调休)
on a weekend. The schedule of a year comes from HQ's loaded calendar when there is one (the
State Council publishes it each November), else from the chinese-calendar library, else it is
unknown: then only weekends count as days off and everything computed from it is provisional,
to be recomputed once the year is loaded. Nothing is refused for want of a calendar.

A deadline of N working days is the end (23:59:59 Beijing) of the N-th working day after the
day of receipt; the day of receipt never counts, whatever the hour (第36条; complaint appendix).
This is the civil calendar, not the exchanges' trading calendar: make-up Saturdays are working
days here although the exchanges are closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crm.domain.time import BEIJING, beijing
from crm.errors import InvalidInput

MIN_YEAR, MAX_YEAR = 2000, 2100
END_OF_DAY = time(23, 59, 59)
SATURDAY = 5


@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: frozenset[date]  # statutory days off, weekdays among them
    workdays: frozenset[date]  # make-up working days on weekends
    source: str  # "loaded" (by HQ) or "library"

    @classmethod
    def validated(cls, year: int, holidays: Iterable[date], workdays: Iterable[date], source: str) -> YearSchedule:
        """A schedule HQ loads: every date inside the year, make-up days on weekends, no overlap."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}", field="year")
        holiday_list, workday_list = list(holidays), list(workdays)
        for name, days in (("holidays", holiday_list), ("workdays", workday_list)):
            outside = [d for d in days if d.year != year]
            if outside:
                raise InvalidInput(f"{outside[0].isoformat()} is not in {year}", field=name)
            if len(set(days)) != len(days):
                twice = next(d for d in days if days.count(d) > 1)
                raise InvalidInput(f"{twice.isoformat()} is listed twice", field=name)
        both = sorted(set(holiday_list) & set(workday_list))
        if both:
            raise InvalidInput(f"{both[0].isoformat()} cannot be both a holiday and a workday", field="workdays")
        weekdays = sorted(d for d in workday_list if d.weekday() < SATURDAY)
        if weekdays:
            raise InvalidInput(
                f"{weekdays[0].isoformat()} is a weekday; workdays lists make-up working days on weekends",
                field="workdays",
            )
        return cls(year=year, holidays=frozenset(holiday_list), workdays=frozenset(workday_list), source=source)

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < SATURDAY and day not in self.holidays)


def library_schedule(year: int) -> YearSchedule | None:
    """The chinese-calendar library's schedule of `year`, or None beyond what it covers."""
    from chinese_calendar.constants import holidays, workdays

    covered = {d.year for d in holidays}
    if year not in covered:
        return None
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d in holidays if d.year == year),
        workdays=frozenset(d for d in workdays if d.year == year),
        source="library",
    )


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool  # some day counted lies in a year with no known calendar
    unknown_years: frozenset[int]


class WorkingCalendar:
    """Working-day arithmetic over known schedules; unknown years fall back to weekends only."""

    def __init__(self, schedules: Mapping[int, YearSchedule]) -> None:
        self._schedules = dict(schedules)

    def knows(self, year: int) -> bool:
        return year in self._schedules

    def is_working_day(self, day: date) -> bool:
        schedule = self._schedules.get(day.year)
        return schedule.is_working_day(day) if schedule else day.weekday() < SATURDAY

    def nth_working_day_after(self, day: date, n: int) -> tuple[date, frozenset[int]]:
        """The n-th working day after `day` (never `day` itself) and the unknown years crossed."""
        if n < 1:
            raise ValueError("n must be at least 1")
        unknown: set[int] = set()
        current, counted = day, 0
        while counted < n:
            current += timedelta(days=1)
            if not self.knows(current.year):
                unknown.add(current.year)
            if self.is_working_day(current):
                counted += 1
        return current, frozenset(unknown)

    def deadline(self, received_at: datetime, working_days: int) -> Deadline:
        """End (23:59:59 Beijing) of the N-th working day after the day of receipt (DOMAIN §10)."""
        due_day, unknown = self.nth_working_day_after(beijing(received_at).date(), working_days)
        return Deadline(
            due_at=datetime.combine(due_day, END_OF_DAY, tzinfo=BEIJING),
            provisional=bool(unknown),
            unknown_years=unknown,
        )

    def within_working_hours(self, moment: datetime, start: time, end: time) -> bool:
        local = beijing(moment)
        return self.is_working_day(local.date()) and start <= local.time() < end


def years_spanned(received_at: datetime, horizon_days: int = 40) -> range:
    """Years whose schedules a deadline from `received_at` can need (a generous horizon)."""
    first = beijing(received_at).date()
    return range(first.year, (first + timedelta(days=horizon_days)).year + 1)
