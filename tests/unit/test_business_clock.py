"""The business clock: Beijing time, UTC+08:00 (API.md: times are ISO 8601 with offset)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.domain.time import BEIJING, beijing, beijing_date, from_epoch_ms, iso, parse_iso

NEW_YEAR_UTC = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
NEW_YEAR_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_beijing_is_eight_hours_ahead_of_utc() -> None:
    assert BEIJING.utcoffset(None) == timedelta(hours=8)


def test_a_naive_time_is_taken_as_beijing_wall_time() -> None:
    moment = beijing(datetime(2026, 5, 1, 9, 30))
    assert moment.utcoffset() == timedelta(hours=8)
    assert (moment.hour, moment.minute) == (9, 30)


def test_an_aware_time_keeps_its_instant() -> None:
    moment = beijing(NEW_YEAR_UTC)
    assert moment == NEW_YEAR_UTC
    assert moment.hour == 8
    assert moment.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("epoch_ms", "expected"),
    [
        pytest.param(0, "1970-01-01T08:00:00.000+08:00", id="epoch"),
        pytest.param(NEW_YEAR_MS, "2026-01-01T08:00:00.000+08:00", id="new-year-utc"),
        pytest.param(NEW_YEAR_MS - 8 * 3_600_000 - 1, "2025-12-31T23:59:59.999+08:00", id="last-ms-of-2025"),
        pytest.param(NEW_YEAR_MS + 0.5, "2026-01-01T08:00:00.000+08:00", id="float"),
    ],
)
def test_epoch_milliseconds_become_beijing_time(epoch_ms: float, expected: str) -> None:
    assert iso(from_epoch_ms(epoch_ms)) == expected


def test_from_epoch_ms_is_the_same_instant() -> None:
    assert from_epoch_ms(NEW_YEAR_MS) == NEW_YEAR_UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-01-01T00:00:00", "2026-01-01T00:00:00.000+08:00", id="naive-is-beijing"),
        pytest.param("2025-12-31T16:00:00Z", "2026-01-01T00:00:00.000+08:00", id="utc"),
        pytest.param("2026-01-01T00:00:00+09:00", "2025-12-31T23:00:00.000+08:00", id="tokyo"),
        pytest.param("2026-03-02T10:15:30.123456+08:00", "2026-03-02T10:15:30.123+08:00", id="to-the-ms"),
    ],
)
def test_parse_then_format_on_the_beijing_clock(text: str, expected: str) -> None:
    assert iso(parse_iso(text)) == expected


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        pytest.param(datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), date(2025, 12, 31), id="before-midnight"),
        pytest.param(datetime(2025, 12, 31, 16, 0, tzinfo=UTC), date(2026, 1, 1), id="beijing-midnight"),
        pytest.param(datetime(2026, 1, 1, 0, 30), date(2026, 1, 1), id="naive"),
    ],
)
def test_the_business_date_is_the_beijing_date(moment: datetime, day: date) -> None:
    assert beijing_date(moment) == day
