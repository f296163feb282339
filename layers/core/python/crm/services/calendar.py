"""The working-day calendar in force: HQ's loaded years over the library's (DOMAIN §10)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from crm.data import calendars as calendar_data
from crm.domain.access import Grant
from crm.domain.calendar import WorkingCalendar, YearSchedule, library_schedule, years_spanned


def working_calendar(years: Iterable[int]) -> WorkingCalendar:
    """A calendar knowing `years` as well as they can be known: loaded, else library, else not."""
    wanted = sorted(set(years))
    schedules: dict[int, YearSchedule] = {}
    for year in wanted:
        found = library_schedule(year)
        if found is not None:
            schedules[year] = found
    schedules.update(calendar_data.loaded(wanted))  # a loaded year overrides the library
    return WorkingCalendar(schedules)


def calendar_for(*moments: datetime) -> WorkingCalendar:
    """The calendar every deadline counted from these moments may need."""
    return working_calendar(year for moment in moments for year in years_spanned(moment))


def load_year(grant: Grant, year: int, holidays: list[date], workdays: list[date], *, now: datetime) -> YearSchedule:
    """HQ loads a year's holidays and make-up working days; provisional deadlines in that year
    are then recomputed through the settings table's stream."""
    schedule = YearSchedule.validated(year, holidays, workdays, source="loaded")
    calendar_data.put_year(schedule, by=grant.identity.user_id, at=now)
    return schedule


def describe_year(year: int) -> tuple[YearSchedule | None, str | None, datetime | None]:
    """The year's calendar in force, who loaded it and when (None for the library's)."""
    detail = calendar_data.loaded_detail(year)
    if detail is not None:
        return detail
    return library_schedule(year), None, None
