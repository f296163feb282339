"""Risk questionnaires (第8条): score, keep every submission, let the newest decide the level."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from crm import rules
from crm.data.clients import questionnaires as questionnaire_data
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.domain.client_history.questionnaires import QuestionnaireRecord
from crm.domain.questionnaire import assess
from crm.services.client_lookup import decided_on_fresh, find


def submit(
    grant: Grant,
    client_id: str,
    answers: Mapping[str, object],
    *,
    paper_ref: str | None,
    now: datetime,
    submission_id: str,
) -> QuestionnaireRecord:
    assessment = assess(answers, rules.questionnaire())  # raises before anything is stored
    record = QuestionnaireRecord(
        client_id=client_id,
        questionnaire_id=submission_id,
        score=assessment.score,
        risk_level=assessment.risk_level,
        answers={k: list(v) if isinstance(v, tuple) else v for k, v in assessment.answers.items()},
        rules_version=assessment.rules_version,
        submitted_at=now,
        submitted_by=grant.identity.user_id,
        paper_ref=paper_ref,
    )

    def record_on(client: Client) -> QuestionnaireRecord:
        questionnaire_data.record_questionnaire(client, record)
        return record

    return decided_on_fresh(grant, client_id, record_on)


def history(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[QuestionnaireRecord], str | None]:
    find(grant, client_id)
    return questionnaire_data.questionnaire_page(client_id, limit=limit, cursor=cursor)
