"""Request and response bodies of the calendar routes (DOMAIN §10)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from crm.api.models import Model, Strict
from crm.domain.calendar import YearSchedule


class YearCalendar(Strict):
    holidays: list[date] = Field(description="Statutory days off (YYYY-MM-DD), weekdays among them", max_length=366)
    workdays: list[date] = Field(description="Make-up working days (调休) on weekends (YYYY-MM-DD)", max_length=366)


class CalendarSource(StrEnum):
    LOADED = "loaded"
    LIBRARY = "library"
    UNKNOWN = "unknown"


class YearCalendarOut(Model):
    year: int
    source: CalendarSource = Field(
        description="loaded by HQ; from the chinese-calendar library; or unknown (weekends only, provisional)"
    )
    holidays: list[date]
    workdays: list[date]
    loaded_by: str | None
    loaded_at: datetime | None

    @classmethod
    def of(
        cls, year: int, schedule: YearSchedule | None, loaded_by: str | None, loaded_at: datetime | None
    ) -> YearCalendarOut:
        return cls(
            year=year,
            source=CalendarSource(schedule.source) if schedule else CalendarSource.UNKNOWN,
            holidays=sorted(schedule.holidays) if schedule else [],
            workdays=sorted(schedule.workdays) if schedule else [],
            loaded_by=loaded_by,
            loaded_at=loaded_at,
        )
