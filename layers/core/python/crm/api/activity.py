"""Request and response bodies of the managers' service-record routes (DOMAIN §8)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, ConfigDict, Field

from crm.api.models import Identifier, Model, Strict
from crm.api.query import NextCursor
from crm.domain.activity import Activity, EntryKind, LogEntry, SpotCheck, Visit, VisitChannel, WeeklySummary, WorkLog


class LogEntryIn(Strict):
    kind: EntryKind = Field(description="call, visit, meeting, research, education or other")
    minutes: int = Field(description="1–1440; a day holds at most 1440")
    client_id: Identifier | None = Field(default=None, description="One of the manager's own clients")
    note: str | None = Field(default=None, max_length=2000)

    def entry(self) -> LogEntry:
        return LogEntry(kind=self.kind, minutes=self.minutes, note=self.note, client_id=self.client_id)


class WorkLogIn(Strict):
    entries: list[LogEntryIn] = Field(max_length=500)
    reason: str | None = Field(
        default=None, max_length=500, description="Required when a supervisor amends a log after its window"
    )


class WorkLogOut(Model):
    manager_id: str
    branch_id: str
    date: date
    entries: list[LogEntryIn]
    minutes: int
    written_by: str
    written_at: datetime
    amended_by: str | None
    amend_reason: str | None

    @classmethod
    def of(cls, log: WorkLog) -> WorkLogOut:
        return cls(
            manager_id=log.manager_id,
            branch_id=log.branch_id,
            date=log.day,
            entries=[
                LogEntryIn(kind=e.kind, minutes=e.minutes, client_id=e.client_id, note=e.note) for e in log.entries
            ],
            minutes=log.minutes,
            written_by=log.written_by,
            written_at=log.written_at,
            amended_by=log.amended_by,
            amend_reason=log.amend_reason,
        )


class WorkLogPage(Model):
    items: list[WorkLogOut] = Field(description="Oldest first")
    next_cursor: NextCursor


class SummaryIn(Strict):
    achieved: str = Field(min_length=1, max_length=5000)
    problems: str = Field(min_length=1, max_length=5000)
    plan: str = Field(min_length=1, max_length=5000)


class SummaryOut(Model):
    manager_id: str
    week: str
    achieved: str
    problems: str
    plan: str
    written_by: str
    written_at: datetime

    @classmethod
    def of(cls, summary: WeeklySummary) -> SummaryOut:
        return cls(
            manager_id=summary.manager_id,
            week=summary.week,
            achieved=summary.achieved,
            problems=summary.problems,
            plan=summary.plan,
            written_by=summary.written_by,
            written_at=summary.written_at,
        )


class VisitIn(Strict):
    client_id: Identifier
    at: AwareDatetime = Field(description="When it took place (ISO 8601 with offset)")
    channel: VisitChannel = Field(description="phone, onsite or online")
    purpose: str = Field(min_length=1, max_length=2000)
    outcome: str = Field(min_length=1, max_length=2000)
    self_assessment: int = Field(description="The manager's own assessment, 1–5")


class VisitOut(Model):
    visit_id: str
    client_id: str
    branch_id: str
    manager_id: str
    at: datetime
    channel: VisitChannel
    purpose: str
    outcome: str
    self_assessment: int
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, visit: Visit) -> VisitOut:
        return cls(**{name: getattr(visit, name) for name in cls.model_fields})


class VisitPage(Model):
    items: list[VisitOut]
    next_cursor: str | None


class SpotCheckIn(Strict):
    manager_id: Identifier
    from_: date = Field(alias="from")
    to: date
    finding: str = Field(min_length=1, max_length=5000)
    logs: list[date] = Field(default_factory=list, max_length=366, description="The work logs looked at (their days)")
    visits: list[Identifier] = Field(default_factory=list, max_length=500, description="The visits looked at")


class SpotCheckOut(Model):
    model_config = ConfigDict(populate_by_name=True)

    check_id: str
    manager_id: str
    branch_id: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    finding: str
    logs: list[date]
    visits: list[str]
    by: str
    at: datetime

    @classmethod
    def of(cls, check: SpotCheck) -> SpotCheckOut:
        return cls(
            check_id=check.check_id,
            manager_id=check.manager_id,
            branch_id=check.branch_id,
            from_=check.start,
            to=check.end,
            finding=check.finding,
            logs=list(check.logs),
            visits=list(check.visits),
            by=check.by,
            at=check.at,
        )


class WeekOut(Model):
    week: str
    summary_written: bool


class ManagerActivityOut(Model):
    model_config = ConfigDict(populate_by_name=True)

    manager_id: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    work_logs: int = Field(description="Working days with a log")
    minutes: dict[EntryKind, int] = Field(description="Logged minutes by kind")
    visits: int
    spot_checks: int
    weekly_summaries: list[WeekOut] = Field(description="Each ISO week of the period, and whether its summary exists")
    weekly_summaries_missing: int

    @classmethod
    def of(cls, activity: Activity) -> ManagerActivityOut:
        weeks = [WeekOut(week=w, summary_written=written) for w, written in activity.weekly_summaries.items()]
        return cls(
            manager_id=activity.manager_id,
            from_=activity.start,
            to=activity.end,
            work_logs=activity.work_logs,
            minutes=dict(activity.minutes),
            visits=activity.visits,
            spot_checks=activity.spot_checks,
            weekly_summaries=weeks,
            weekly_summaries_missing=sum(not w.summary_written for w in weeks),
        )
