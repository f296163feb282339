"""Client routes: records (一户一档), manager re-assignment, contact details, the messages sent,
and the branch's clients at risk of leaving. A client's yearly metrics and class and VIP history
are the client_metrics function's.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_time, to_json
from crm.api.clients import (
    AtRiskPage,
    ClientOut,
    ClientPage,
    ContactDetails,
    ContactDetailsChangeOut,
    ContactDetailsHistoryPage,
    ManagerAssignmentOut,
    ManagerHistoryPage,
    MessagePage,
    NewClient,
    Reassignment,
    SecuritiesAccountsIn,
)
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit, OfClient
from crm.domain.client import Client
from crm.observability import observed
from crm.services import clients as service
from crm.services import messages as message_service
from crm.services.same_person import same_person

app = create_app()


@app.post(
    "/clients",
    summary="Register a client",
    tags=["clients"],
    operation_id="registerClient",
    responses=documented(201, ClientOut, "The client as stored", 409, etag=True, location=True),
)
def register_client(body: NewClient, idempotency_key: IdempotencyKey = None) -> Response[ClientOut]:
    def registered() -> Response[ClientOut]:
        caller = grant(app)
        client = service.register(
            caller,
            Client(
                **body.model_dump(),
                created_at=request_time(app),
                created_by=caller.identity.user_id,
            ),
        )
        return tagged(
            ClientOut.of(client, caller.identity.role, request_time(app)),
            client.version,
            status=201,
            location=new_member(app, client.client_id),
        )

    return once(app, idempotency_key, body, registered, to_json)


@app.get(
    "/clients",
    summary="List clients of a branch (a manager sees its own)",
    tags=["clients"],
    operation_id="listClients",
    responses=documented(200, ClientPage, "One page of clients"),
)
def list_clients(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ClientPage:
    caller = grant(app)
    clients, next_cursor = service.listing(caller, branch_id=branch_id, limit=limit, cursor=cursor)
    now = request_time(app)
    return ClientPage(items=[ClientOut.of(c, caller.identity.role, now) for c in clients], next_cursor=next_cursor)


@app.get(
    "/clients/at-risk",
    summary="The branch's clients at risk of leaving, with the reasons (第50条 10)",
    description="Kept current by the streams: a year's assets at most half the year before's, or an open "
    "transfer or closure request. Clients who left are not on it.",
    tags=["clients"],
    operation_id="listClientsAtRisk",
    responses=documented(200, AtRiskPage, "One page of clients at risk"),
)
def at_risk(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    client_id: OfClient = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AtRiskPage:
    found = service.at_risk(grant(app), branch_id=branch_id, client_id=client_id, limit=limit, cursor=cursor)
    return AtRiskPage.of(*found)


@app.get(
    "/clients/<client_id>",
    summary="Read a client with its class, risk level and VIP status",
    tags=["clients"],
    operation_id="getClient",
    responses=documented(200, ClientOut, "The client", 404, etag=True),
)
def get_client(client_id: ClientId) -> Response[ClientOut]:
    caller = grant(app)
    client = service.find(caller, client_id)
    out = ClientOut.of(client, caller.identity.role, request_time(app), same_person=same_person(caller, client))
    return tagged(out, client.version)


@app.put(
    "/clients/<client_id>/manager",
    summary="Re-assign the client's manager (supervisor)",
    tags=["clients"],
    operation_id="reassignClientManager",
    responses=documented(200, ClientOut, "The client with its new manager", 404, 409, 412, etag=True),
)
def reassign_manager(client_id: ClientId, body: Reassignment, if_match: IfMatch = None) -> Response[ClientOut]:
    caller = grant(app)
    client = service.reassign_manager(
        caller,
        client_id,
        body.manager_id,
        body.reason,
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(ClientOut.of(client, caller.identity.role, request_time(app)), client.version)


@app.get(
    "/clients/<client_id>/manager-history",
    summary="Every manager re-assignment with who, when and why, newest first",
    tags=["clients"],
    operation_id="listClientManagerHistory",
    responses=documented(200, ManagerHistoryPage, "One page of the re-assignments", 404),
)
def manager_history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> ManagerHistoryPage:
    assignments, next_cursor = service.manager_history(grant(app), client_id, limit=limit, cursor=cursor)
    return ManagerHistoryPage(items=[ManagerAssignmentOut.of(a) for a in assignments], next_cursor=next_cursor)


@app.put(
    "/clients/<client_id>/contact-details",
    summary="Change the person's key information — phone, e-mail, name, birthday — with the evidence it rests "
    "on (第35–36条)",
    description="Made on every fund account of the person (the same ID number), in other branches too, in one "
    "step; each account keeps its history entry naming who made it and on which account (DOMAIN §12).",
    tags=["clients"],
    operation_id="changeClientContactDetails",
    responses=documented(200, ClientOut, "The client with its new details", 400, 404, 409, 412, etag=True),
)
def change_contact_details(client_id: ClientId, body: ContactDetails, if_match: IfMatch = None) -> Response[ClientOut]:
    caller = grant(app)
    client = service.change_key_information(
        caller,
        client_id,
        name=body.name,
        phone=body.phone,
        email=body.email,
        birthday=body.birthday,
        evidence_ref=body.evidence_ref,
        reason=body.reason,
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(ClientOut.of(client, caller.identity.role, request_time(app)), client.version)


@app.get(
    "/clients/<client_id>/contact-details-history",
    summary="Every change of the person's key information on this account, with its evidence, newest first",
    tags=["clients"],
    operation_id="listClientContactDetailsChanges",
    responses=documented(200, ContactDetailsHistoryPage, "One page of the changes", 404),
)
def contact_details_history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> ContactDetailsHistoryPage:
    caller = grant(app)
    changes, next_cursor = service.contact_details_history(caller, client_id, limit=limit, cursor=cursor)
    return ContactDetailsHistoryPage(
        items=[ContactDetailsChangeOut.of(c, caller.identity.role) for c in changes], next_cursor=next_cursor
    )


@app.get(
    "/clients/<client_id>/messages",
    summary="The SMS sent to the client, newest first (template, time, masked phone; 第34–35条)",
    tags=["clients"],
    operation_id="listClientMessages",
    responses=documented(200, MessagePage, "One page of the messages", 404),
)
def messages(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> MessagePage:
    return MessagePage.of_page(*message_service.messages(grant(app), client_id, limit=limit, cursor=cursor))


@app.put(
    "/clients/<client_id>/securities-accounts",
    summary="The securities accounts (证券账号) a fund account names; each belongs to one fund account",
    description="The whole list: accounts left out are released. An account another fund account holds is 409.",
    tags=["clients"],
    operation_id="setClientSecuritiesAccounts",
    responses=documented(200, ClientOut, "The client with its securities accounts", 404, 409, 412, etag=True),
)
def set_securities_accounts(
    client_id: ClientId, body: SecuritiesAccountsIn, if_match: IfMatch = None
) -> Response[ClientOut]:
    caller = grant(app)
    client = service.set_securities_accounts(
        caller, client_id, body.named(), now=request_time(app), expected_version=expected_version(if_match)
    )
    return tagged(ClientOut.of(client, caller.identity.role, request_time(app)), client.version)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
