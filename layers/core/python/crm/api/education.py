"""Request and response bodies of the investor-education routes (Part 9; DOMAIN §9a)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from crm.api.models import Identifier, Model, Strict
from crm.domain.education import Attendance, EducationActivity, EducationKind


class NewActivity(Strict):
    title: str = Field(min_length=1, max_length=200)
    kind: EducationKind = Field(description="lecture (理财大讲堂), seminar, material or online")
    branch_id: Identifier
    held_on: date
    topic: str = Field(min_length=1, max_length=500)
    speaker: str = Field(min_length=1, max_length=100)


class AttendanceIn(Strict):
    client_ids: list[Identifier] = Field(max_length=1000, description="Everyone who attended: it replaces the list")


class EducationActivityOut(Model):
    activity_id: str
    title: str
    kind: EducationKind
    branch_id: str
    held_on: date
    topic: str
    speaker: str
    recorded_by: str
    recorded_at: datetime
    attendees: int

    @classmethod
    def of(cls, activity: EducationActivity) -> EducationActivityOut:
        return cls(**{name: getattr(activity, name) for name in cls.model_fields})


class AttendanceOut(EducationActivityOut):
    client_ids: list[str]


class ActivityPage(Model):
    items: list[EducationActivityOut]
    attendances: int = Field(description="Attendances of the activities on this page")
    next_cursor: str | None


class AttendedOut(Model):
    activity_id: str
    title: str
    kind: EducationKind
    topic: str
    held_on: date
    branch_id: str

    @classmethod
    def of(cls, attendance: Attendance) -> AttendedOut:
        return cls(**{name: getattr(attendance, name) for name in cls.model_fields})


class AttendedPage(Model):
    items: list[AttendedOut]
    next_cursor: str | None
