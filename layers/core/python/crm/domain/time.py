"""The business clock: Beijing time (UTC+08:00).

Mainland China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact
for every date this system handles and needs no tz database in the Lambda runtime. Nothing in
the domain reads the wall clock: "now" always arrives from the edge (API Gateway's request
time, a stream record's creation time, a schedule's event time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from crm.errors import InvalidInput

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
CLOCK_SKEW = timedelta(minutes=5)  # a caller's clock a little ahead is not a time in the future


def beijing(moment: datetime) -> datetime:
    """The same instant on the Beijing clock; a naive time is taken as already Beijing."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BEIJING)
    return moment.astimezone(BEIJING)


def from_epoch_ms(epoch_ms: int | float) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(BEIJING)


def iso(moment: datetime) -> str:
    """ISO 8601 on the Beijing clock with its offset, to the millisecond (sorts as text)."""
    return beijing(moment).isoformat(timespec="milliseconds")


def parse_iso(text: str) -> datetime:
    return beijing(datetime.fromisoformat(text))


def beijing_date(moment: datetime) -> date:
    return beijing(moment).date()


def receipt_time(received_at: datetime | None, now: datetime) -> datetime:
    """When an inquiry or a complaint was received: given for letters and late logging, `now`
    otherwise, never in the future (its SLA clock starts there)."""
    if received_at is None:
        return now
    if received_at > now + CLOCK_SKEW:
        raise InvalidInput("received_at lies in the future", field="received_at")
    return min(received_at, now)
