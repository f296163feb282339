"""Request and response bodies of the questionnaire routes (附件1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from crm.api.models import Model, Strict
from crm.api.query import NextCursor
from crm.domain.client_history.questionnaires import QuestionnaireRecord
from crm.domain.risk_level import RiskLevel

# One option letter, or a list of letters for a multi-choice question. The domain checks each
# answer against its question and names the question when one is wrong.
Answer = Annotated[
    Any,
    WithJsonSchema({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


class Submission(Strict):
    answers: dict[str, Answer] = Field(
        description='Question number → option letter; Q9 takes a list: {"1": "A", …, "9": ["A", "C"], …}',
        examples=[{str(n): "A" for n in range(1, 13)} | {"9": ["A", "C"]}],
    )
    paper_ref: str | None = Field(
        default=None, max_length=200, description="Reference of the signed paper original (一户一档)"
    )


class AssessmentOut(Model):
    questionnaire_id: str
    score: int
    risk_level: RiskLevel
    rules_version: str
    submitted_at: datetime
    submitted_by: str
    paper_ref: str | None
    answers: dict[str, Answer]

    @classmethod
    def of(cls, record: QuestionnaireRecord) -> AssessmentOut:
        return cls(
            questionnaire_id=record.questionnaire_id,
            score=record.score,
            risk_level=record.risk_level,
            rules_version=record.rules_version,
            submitted_at=record.submitted_at,
            submitted_by=record.submitted_by,
            paper_ref=record.paper_ref,
            answers=record.answers,
        )


class QuestionnaireHistory(Model):
    items: list[AssessmentOut] = Field(description="Newest first; the newest decides the risk level")
    next_cursor: NextCursor
