"""Request and response bodies of the callback routes (DOMAIN §5; API.md «Callbacks»)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, Field, StrictBool

from crm.api.models import Identifier, Model, Number, Strict
from crm.domain.attitude import Attitude
from crm.domain.callbacks import Attempt, AttemptInput, CallbackTask, Kind, TaskStatus
from crm.domain.sample import Sample


class CallbackOut(Model):
    callback_id: str = Field(description="Derived from what it follows up: NA-/PC-/PX-/PD-/CR-/SM-…")
    client_id: str
    branch_id: str
    kind: Kind
    due_at: datetime = Field(description="The end of its day (23:59:59 Beijing), or the appointment")
    owner: str | None = Field(description="null: the branch's pool")
    status: TaskStatus
    attempts: int = Field(description="Attempts made")
    source: str | None = Field(description="The complaint number or retention case id it follows up")
    manager_id: str = Field(description="The client's manager when the task was created")
    unreached: int = Field(description="Attempts that did not reach the client")
    due_provisional: bool = Field(description="Counted in working days of a year with no known calendar")
    rules_version: str = Field(description="The callbacks rule table it was created under")
    created_at: datetime
    finished_at: datetime | None
    attitude: Attitude | None
    score: int | None

    @classmethod
    def of(cls, task: CallbackTask) -> CallbackOut:
        return cls(
            callback_id=task.callback_id,
            client_id=task.client_id,
            branch_id=task.branch_id,
            kind=task.kind,
            due_at=task.due_at,
            owner=task.owner,
            status=task.status,
            attempts=task.attempts,
            source=task.source,
            manager_id=task.manager_id,
            unreached=task.unreached,
            due_provisional=task.due_provisional,
            rules_version=task.rules_version,
            created_at=task.created_at,
            finished_at=task.finished_at,
            attitude=task.attitude,
            score=task.score,
        )


class AttemptOut(Model):
    number: int
    by: str
    role: str
    at: datetime
    reached: bool
    solved: bool | None
    attitude: Attitude | None
    score: int | None
    suggestions: str | None
    risk_reminder: bool | None
    next_at: datetime | None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            by=attempt.by,
            role=attempt.role.value,
            at=attempt.at,
            reached=attempt.reached,
            solved=attempt.solved,
            attitude=attempt.attitude,
            score=attempt.score,
            suggestions=attempt.suggestions,
            risk_reminder=attempt.risk_reminder,
            next_at=attempt.next_at,
        )


class CallbackDetail(CallbackOut):
    attempt_log: list[AttemptOut] = Field(description="What each attempt recorded, oldest first")

    @classmethod
    def detail(cls, task: CallbackTask, attempts: list[Attempt]) -> CallbackDetail:
        return cls(**CallbackOut.of(task).model_dump(), attempt_log=[AttemptOut.of(a) for a in attempts])


class CallbackPage(Model):
    items: list[CallbackOut]
    next_cursor: str | None


class OwnerIn(Strict):
    owner: Identifier | None = Field(description="Who does it; null returns it to the branch pool")


class AttemptIn(Strict):
    reached: StrictBool = Field(description="Whether the client was reached")
    solved: StrictBool | None = Field(default=None, description="Whether the client's problem is solved")
    attitude: Attitude | None = Field(
        default=None, description="满意 satisfied, 一般 neutral, 不满意 dissatisfied; required when reached"
    )
    score: int | None = Field(default=None, ge=1, le=10, description="1–10; required when reached")
    suggestions: str | None = Field(default=None, max_length=2000)
    risk_reminder: StrictBool | None = Field(default=None, description="Whether the risk reminder was given")
    next_at: AwareDatetime | None = Field(
        default=None, description="Reached but not convenient: the appointment, which becomes the due time"
    )

    def given(self) -> AttemptInput:
        return AttemptInput(
            reached=self.reached,
            solved=self.solved,
            attitude=self.attitude,
            score=self.score,
            suggestions=self.suggestions,
            risk_reminder=self.risk_reminder,
            next_at=self.next_at,
        )


class SampleOut(Model):
    year: int
    seed: str = Field(description="32 hex characters")
    rate: Number
    population: int = Field(description="Eligible clients")
    population_digest: str = Field(description="SHA-256 of the eligible client ids, sorted, one per line")
    drawn: list[str] = Field(description='The first n ids by SHA-256 of seed + ":" + client_id')
    drawn_at: datetime
    rules_version: str

    @classmethod
    def of(cls, sample: Sample) -> SampleOut:
        return cls(
            year=sample.year,
            seed=sample.seed,
            rate=Decimal(sample.rate),
            population=sample.population,
            population_digest=sample.population_digest,
            drawn=list(sample.drawn),
            drawn_at=sample.drawn_at,
            rules_version=sample.rules_version,
        )
