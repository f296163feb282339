"""A client's risk questionnaires as recorded (第8条; 附件1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.domain.risk_level import RiskLevel


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
