"""Contact routes: log inquiries, visits, SMS and e-mail; answer them (第29条, 第31条, 第36条)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_id, request_time, to_json
from crm.api.contacts import ContactOut, ContactPage, ContactReply, NewContact
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit, OfClient, status_query, statuses
from crm.domain.contacts import ContactStatus
from crm.observability import metrics, observed
from crm.services import contacts as service

app = create_app()

ContactId = Annotated[str, Path(min_length=1, max_length=64)]


@app.post(
    "/contacts",
    summary="Log a client contact; the first responder owns it until answered (首问负责制)",
    tags=["contacts"],
    operation_id="logContact",
    responses=documented(201, ContactOut, "The contact with its deadlines", 400, 404, etag=True, location=True),
)
def log_contact(body: NewContact, idempotency_key: IdempotencyKey = None) -> Response[ContactOut]:
    def logged() -> Response[ContactOut]:
        contact = service.log_inquiry(
            grant(app),
            client_id=body.client_id,
            channel=body.channel,
            subject=body.subject,
            first_responder=body.first_responder,
            received_at=body.received_at,
            now=request_time(app),
            contact_id=request_id(app),
        )
        return tagged(ContactOut.of(contact), contact.version, status=201, location=new_member(app, contact.contact_id))

    return once(app, idempotency_key, body, logged, to_json)


@app.get(
    "/contacts",
    summary="A branch's contacts, newest first (a manager sees the ones it owns)",
    tags=["contacts"],
    operation_id="listContacts",
    responses=documented(200, ContactPage, "One page of contacts"),
)
def list_contacts(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    client_id: OfClient = None,
    status: Annotated[str | None, status_query(ContactStatus)] = None,
    owner: Annotated[str | None, Query(max_length=64, description="First responder")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ContactPage:
    contacts, next_cursor = service.listing(
        grant(app),
        branch_id=branch_id,
        client_id=client_id,
        statuses=statuses(status, ContactStatus),
        owner=owner,
        limit=limit,
        cursor=cursor,
    )
    return ContactPage(items=[ContactOut.of(c) for c in contacts], next_cursor=next_cursor)


@app.get(
    "/contacts/<contact_id>",
    summary="Read a contact",
    tags=["contacts"],
    operation_id="getContact",
    responses=documented(200, ContactOut, "The contact", 404, etag=True),
)
def get_contact(contact_id: ContactId) -> Response[ContactOut]:
    contact = service.find(grant(app), contact_id)
    return tagged(ContactOut.of(contact), contact.version)


@app.post(
    "/contacts/<contact_id>/reply",
    summary="Answer an inquiry (its owner, or the branch supervisor)",
    tags=["contacts"],
    operation_id="replyToContact",
    responses=documented(200, ContactOut, "The answered contact", 400, 404, 409, 412, etag=True),
)
def reply(
    contact_id: ContactId, body: ContactReply, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[ContactOut]:
    expected = expected_version(if_match)

    def replied() -> Response[ContactOut]:
        contact = service.reply(grant(app), contact_id, body.answer, now=request_time(app), expected_version=expected)
        if contact.replied_same_day:  # 第36条: same day in principle; counted for the branch's assessment
            metrics.add_metric(name="SameDayReplies", unit="Count", value=1)
        return tagged(ContactOut.of(contact), contact.version)

    return once(app, idempotency_key, body, replied, to_json)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
