"""A person's information on request (PIPL 第45条: access and copy; DOMAIN §14): everything held
about the person behind a client, every account of theirs, in one JSON document, for the branch's
supervisor or compliance; the export itself is audited.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_id, request_time
from crm.api.personal_information import PersonalInformationOut
from crm.observability import observed
from crm.services import personal_information as service

app = create_app()


@app.get(
    "/clients/<client_id>/personal-information",
    summary="Everything held about the person behind a client, every account (PIPL 第45条: access and copy)",
    description="The person is found through the client's ID number; the document covers every fund account "
    "the person holds or held, in any branch, with the ID and phone numbers in clear (a restricted person's "
    "too). Read through keys and indexes only, never a scan. Each export leaves an entry in every covered "
    "account's audit trail and in the audit archive (who and when, never a number).",
    tags=["clients"],
    operation_id="getPersonalInformation",
    responses=documented(200, PersonalInformationOut, "The person's information, all accounts", 404),
)
def personal_information(client_id: ClientId) -> PersonalInformationOut:
    caller = grant(app)
    found = service.export(caller, client_id, now=request_time(app), request_id=request_id(app))
    return PersonalInformationOut.of(found)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
