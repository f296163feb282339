"""The client record (一户一档) and the checks on its identifying fields.

Every client has exactly one client manager (第50条 2); re-assignment is traced. ID numbers
and phone numbers are sensitive personal information (PIPL art. 28): they are validated and
masked on display (`crm.domain.pii`) for roles that do not need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.profile import Profile
from crm.domain.questionnaire import RiskLevel


@dataclass(frozen=True)
class ClassBasis:
    """What a client's class was computed from, kept so a decision can be explained and replayed
    (and so a recalibration of `T` can decide again from the client's record alone)."""

    metrics: YearMetrics
    threshold: Decimal
    threshold_version: str
    rules_version: str

    @property
    def metrics_year(self) -> int:
        return self.metrics.year

    @property
    def turnover(self) -> Decimal:
        return self.metrics.turnover


class ClientStatus(StrEnum):
    """A client who transferred or closed its account stays on record, readable (DOMAIN §6)."""

    ACTIVE = "active"
    TRANSFERRED = "transferred"  # 转户: to another broker
    CLOSED = "closed"  # 销户


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    id_number: str
    phone: str
    branch_id: str
    manager_id: str
    opened_on: date
    created_at: datetime
    created_by: str
    email: str | None = None
    birthday: date | None = None
    client_class: str | None = None
    vip: bool = False
    class_basis: ClassBasis | None = None
    risk_level: RiskLevel | None = None
    risk_score: int | None = None
    risk_assessed_at: datetime | None = None
    profile: Profile = field(default_factory=Profile)
    vip_target: bool = False  # on the branch's cultivation list (Part 4)
    first_classified_at: datetime | None = None  # when its class was first set
    status: ClientStatus = ClientStatus.ACTIVE
    open_case_id: str | None = None  # a transfer or closure request being handled (DOMAIN §6)
    open_case_kind: str | None = None
    assets_fell_in: int | None = None  # the year its year-end assets fell by the at-risk share
    changed_at: datetime | None = None  # the business time of the record's last change
    version: int | None = None


@dataclass(frozen=True)
class ClassChange:
    client_id: str
    client_class: str
    previous_class: str | None
    cause: ClassCause
    at: datetime
    basis: ClassBasis
    change_id: str  # makes the history key unique and the write replay-safe


@dataclass(frozen=True)
class VipChange:
    client_id: str
    vip: bool
    previous_vip: bool
    client_class: str | None
    cause: ClassCause
    at: datetime
    change_id: str


@dataclass(frozen=True)
class ManagerAssignment:
    client_id: str
    manager_id: str
    previous_manager_id: str | None
    by: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class QuestionnaireRecord:
    client_id: str
    questionnaire_id: str
    score: int
    risk_level: RiskLevel
    answers: dict[str, str | list[str]]
    rules_version: str
    submitted_at: datetime
    submitted_by: str
    paper_ref: str | None = None


@dataclass(frozen=True)
class MetricsRecord:
    client_id: str
    metrics: YearMetrics
    updated_at: datetime
    updated_by: str
    avg_holding_days: Decimal | None = None  # how long positions are held: suggests a habit (第9条)


@dataclass(frozen=True)
class ContactDetailsChange:
    """A change of a client's phone or e-mail, with its evidence (第35–36条: e.g. the recording id)."""

    client_id: str
    phone_before: str
    phone_after: str
    email_before: str | None
    email_after: str | None
    evidence_ref: str
    reason: str | None
    by: str
    at: datetime
