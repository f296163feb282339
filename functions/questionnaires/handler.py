"""Risk questionnaire routes (第8条, 附件1): submit and read a client's assessments."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_id, request_time, to_json
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit
from crm.api.questionnaires import AssessmentOut, QuestionnaireHistory, Submission
from crm.observability import observed
from crm.services import questionnaires as service

app = create_app()


@app.post(
    "/clients/<client_id>/questionnaires",
    summary="Submit a risk tolerance questionnaire; the newest decides the client's risk level",
    tags=["questionnaires"],
    operation_id="submitClientQuestionnaire",
    responses=documented(201, AssessmentOut, "The scored assessment", 404, 409),
)
def submit(client_id: ClientId, body: Submission, idempotency_key: IdempotencyKey = None) -> Response[AssessmentOut]:
    def submitted() -> Response[AssessmentOut]:
        record = service.submit(
            grant(app),
            client_id,
            body.answers,
            paper_ref=body.paper_ref,
            now=request_time(app),
            submission_id=request_id(app),
        )
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=AssessmentOut.of(record))

    return once(app, idempotency_key, body, submitted, to_json)


@app.get(
    "/clients/<client_id>/questionnaires",
    summary="Every questionnaire the client submitted, newest first",
    tags=["questionnaires"],
    operation_id="listClientQuestionnaires",
    responses=documented(200, QuestionnaireHistory, "One page of the assessments", 404),
)
def history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> QuestionnaireHistory:
    records, next_cursor = service.history(grant(app), client_id, limit=limit, cursor=cursor)
    return QuestionnaireHistory(items=[AssessmentOut.of(r) for r in records], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
