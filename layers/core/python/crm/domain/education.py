"""Investor education (Part 9; DOMAIN §9a): activities — 理财大讲堂 lectures, seminars, material,
online sessions — with branch, date, topic and speaker, and the clients who attended. Counted in
the quarterly report; a client's history shows what it attended."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from crm.domain.time import beijing
from crm.errors import InvalidInput


class EducationKind(StrEnum):
    LECTURE = "lecture"  # 理财大讲堂
    SEMINAR = "seminar"
    MATERIAL = "material"
    ONLINE = "online"


# An activity is recorded when it is held, or announced up to this far ahead.
ANNOUNCED_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class EducationActivity:
    activity_id: str
    title: str
    kind: EducationKind
    branch_id: str
    held_on: date
    topic: str
    speaker: str
    recorded_by: str
    recorded_at: datetime
    attendees: int = 0
    version: int | None = None


def check_activity(held_on: date, now: datetime) -> None:
    if held_on > beijing(now).date() + ANNOUNCED_AHEAD:
        raise InvalidInput("held_on lies more than a year ahead", field="held_on")


def check_attendance(activity: EducationActivity, client_ids: Sequence[str], now: datetime, limit: int) -> list[str]:
    """The attendance list as given, once: nobody twice, no more than the rule table allows, and
    only for an activity that has been held."""
    if activity.held_on > beijing(now).date():
        raise InvalidInput(
            f"the activity is held on {activity.held_on.isoformat()}: no attendance yet", field="client_ids"
        )
    if len(client_ids) > limit:
        raise InvalidInput(f"an attendance list names at most {limit} clients", field="client_ids")
    if len(set(client_ids)) != len(client_ids):
        twice = next(c for c in client_ids if list(client_ids).count(c) > 1)
        raise InvalidInput(f"{twice} is listed twice", field="client_ids")
    return list(client_ids)


@dataclass(frozen=True)
class Attendance:
    activity_id: str
    client_id: str
    branch_id: str
    held_on: date
    title: str
    kind: EducationKind
    topic: str
    recorded_by: str
    recorded_at: datetime
