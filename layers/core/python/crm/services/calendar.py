"""The working-day calendar in force: HQ's loaded years over the library's (DOMAIN §10)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime

from crm.data import calendars as calendar_data
from crm.domain.access import Grant
from crm.domain.calendar import WorkingCalendar, YearSchedule, library_schedule, years_spanned
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.time import iso


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


def load_year(
    grant: Grant,
    year: int,
    holidays: list[date],
    workdays: list[date],
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> YearSchedule:
    """HQ loads a year's holidays and make-up working days; provisional deadlines in that year
    are then recomputed through the settings table's stream. `expected_version`: the
    `year_version` of the calendar the load replaces."""
    schedule = YearSchedule.validated(year, holidays, workdays, source="loaded")
    if expected_version is None:
        calendar_data.put_year(schedule, by=grant.identity.user_id, at=now)
        return schedule
    in_force = describe_year(year)
    require_version(expected_version, year_version(year, *in_force), what=f"the {year} calendar")
    calendar_data.put_year(schedule, by=grant.identity.user_id, at=now, guarded=True, loaded_at=in_force[2])
    return schedule


def year_version(year: int, schedule: YearSchedule | None, loaded_by: str | None, loaded_at: datetime | None) -> str:
    """The version of a year's calendar in force: a digest of all it says — days, source, who
    loaded it and when — since the settings item keeps no version counter (and the library's and
    an unknown year's have no item at all)."""
    content = {
        "year": year,
        "source": schedule.source if schedule else None,
        "holidays": sorted(d.isoformat() for d in schedule.holidays) if schedule else [],
        "workdays": sorted(d.isoformat() for d in schedule.workdays) if schedule else [],
        "loaded_by": loaded_by,
        "loaded_at": iso(loaded_at) if loaded_at else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def describe_year(year: int) -> tuple[YearSchedule | None, str | None, datetime | None]:
    """The year's calendar in force, who loaded it and when (None for the library's)."""
    detail = calendar_data.loaded_detail(year)
    if detail is not None:
        return detail
    return library_schedule(year), None, None
