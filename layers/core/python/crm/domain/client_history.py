"""What a client's history is made of: each change of its class (第4–6条) or VIP status (Part 4),
of its manager (第50条 2) or of its phone/e-mail (第35–36条), each questionnaire (第8条) and each
year's metrics, kept beside the record it changed.

Apart from crm.domain.client: a capability that reads a client (a complaint, a callback, a visit)
needs the record, not its history, and a function's cold start loads only what its requests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.client import ClassBasis
from crm.domain.risk_level import RiskLevel


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
