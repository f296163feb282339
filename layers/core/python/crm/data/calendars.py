"""Working-day calendars HQ loads (settings table: pk = CALENDAR#<year>, sk = CURRENT, and a
HISTORY#<at> item for every load, so a replaced calendar is never lost)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, lost_to_a_condition
from crm.data.settings_table import CURRENT, SettingsItem
from crm.domain.calendar import YearSchedule
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict


class _CalendarItem(SettingsItem):
    year = UnicodeAttribute()
    holidays = ListAttribute(of=UnicodeAttribute)
    workdays = ListAttribute(of=UnicodeAttribute)
    loaded_by = UnicodeAttribute()
    loaded_at = UnicodeAttribute()


def calendar_pk(year: int) -> str:
    return f"CALENDAR#{year}"


def _item(schedule: YearSchedule, sk: str, by: str, at: datetime) -> _CalendarItem:
    return _CalendarItem(
        pk=calendar_pk(schedule.year),
        sk=sk,
        year=str(schedule.year),
        holidays=sorted(d.isoformat() for d in schedule.holidays),
        workdays=sorted(d.isoformat() for d in schedule.workdays),
        loaded_by=by,
        loaded_at=iso(at),
    )


def _schedule(item: _CalendarItem) -> YearSchedule:
    return YearSchedule(
        year=int(item.year),
        holidays=frozenset(date.fromisoformat(str(d)) for d in item.holidays),
        workdays=frozenset(date.fromisoformat(str(d)) for d in item.workdays),
        source="loaded",
    )


def put_year(
    schedule: YearSchedule, *, by: str, at: datetime, guarded: bool = False, loaded_at: datetime | None = None
) -> None:
    """Make `schedule` the year's calendar and keep the load in its history. `guarded`: only over
    the load read, made at `loaded_at` (None: none was), else 409 — the item keeps no version."""
    condition: Condition | None
    if not guarded:
        condition = None
    elif loaded_at is None:
        condition = _CalendarItem.pk.does_not_exist()
    else:
        condition = _CalendarItem.loaded_at == iso(loaded_at)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(_item(schedule, CURRENT, by, at), condition=condition)
            transaction.save(_item(schedule, f"HISTORY#{iso(at)}", by, at))
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(f"the {schedule.year} calendar was loaded meanwhile; read it again", field="year") from None
        raise


def loaded(years: Iterable[int]) -> dict[int, YearSchedule]:
    """The loaded calendars among `years` (one batch read)."""
    keys = [(calendar_pk(year), CURRENT) for year in sorted(set(years))]
    return {int(item.year): _schedule(item) for item in _CalendarItem.batch_get(keys, consistent_read=True)}


def loaded_detail(year: int) -> tuple[YearSchedule, str, datetime] | None:
    """A loaded calendar with who loaded it and when."""
    try:
        item = _CalendarItem.get(calendar_pk(year), CURRENT, consistent_read=True)
    except _CalendarItem.DoesNotExist:
        return None
    return _schedule(item), item.loaded_by, parse_iso(item.loaded_at)
