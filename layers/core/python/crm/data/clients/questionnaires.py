"""Risk questionnaires (第8条, 附件1): every submission kept in the client's collection
(QUESTIONNAIRE#<at>#<id>), the newest deciding the risk level on the client's record."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from crm.data.base import stamp_actions
from crm.data.clients.items import ClientsItem, ProfileItem, change_with_history, client_pk, history, history_page
from crm.domain.audit import Stamp
from crm.domain.client import Client
from crm.domain.client_history.questionnaires import QuestionnaireRecord
from crm.domain.risk_level import RiskLevel
from crm.domain.time import iso, parse_iso


class _QuestionnaireItem(ClientsItem):
    client_id = UnicodeAttribute()
    questionnaire_id = UnicodeAttribute()
    score = NumberAttribute()
    risk_level = UnicodeAttribute()
    answers = JSONAttribute()
    rules_version = UnicodeAttribute()
    submitted_at = UnicodeAttribute()
    submitted_by = UnicodeAttribute()
    paper_ref = UnicodeAttribute(null=True)


def record_questionnaire(client: Client, record: QuestionnaireRecord) -> None:
    """Keep the submission and make it decide the client's risk level (the newest decides)."""
    change_with_history(
        client,
        [
            ProfileItem.risk_level.set(record.risk_level.value),
            ProfileItem.risk_score.set(record.score),
            ProfileItem.risk_assessed_at.set(iso(record.submitted_at)),
            *stamp_actions(
                ProfileItem,
                Stamp(
                    by=record.submitted_by,
                    reason="risk questionnaire",
                    evidence_ref=record.paper_ref,
                    at=record.submitted_at,
                ),
            ),
        ],
        _QuestionnaireItem(
            pk=client_pk(client.client_id),
            sk=f"QUESTIONNAIRE#{iso(record.submitted_at)}#{record.questionnaire_id}",
            client_id=client.client_id,
            questionnaire_id=record.questionnaire_id,
            score=record.score,
            risk_level=record.risk_level.value,
            answers=record.answers,
            rules_version=record.rules_version,
            submitted_at=iso(record.submitted_at),
            submitted_by=record.submitted_by,
            paper_ref=record.paper_ref,
        ),
    )


def _record(item: _QuestionnaireItem) -> QuestionnaireRecord:
    return QuestionnaireRecord(
        client_id=item.client_id,
        questionnaire_id=item.questionnaire_id,
        score=int(item.score),
        risk_level=RiskLevel(item.risk_level),
        answers=item.answers,
        rules_version=item.rules_version,
        submitted_at=parse_iso(item.submitted_at),
        submitted_by=item.submitted_by,
        paper_ref=item.paper_ref,
    )


def questionnaires(client_id: str) -> list[QuestionnaireRecord]:
    return [_record(item) for item in history(_QuestionnaireItem, client_id, "QUESTIONNAIRE#")]


def questionnaire_page(
    client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[QuestionnaireRecord], str | None]:
    return history_page(_QuestionnaireItem, client_id, "QUESTIONNAIRE#", _record, limit=limit, cursor=cursor)
