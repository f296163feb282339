"""SMS to clients (第34–35条; DOMAIN §8): the account-opening message sent once per client from
the stream, and the log a client's record shows."""

from __future__ import annotations

from dataclasses import replace

from crm import rules
from crm.data import sms as sms_gateway
from crm.data.clients import messages as message_data
from crm.domain.access import Grant
from crm.domain.client import Client, is_migrated
from crm.domain.messages import MessageRecord, MessageStatus, compose
from crm.domain.pii import mask_phone
from crm.domain.time import beijing
from crm.services.client_lookup import find as find_client

WELCOME = "account_opened"


def send_welcome(client: Client) -> MessageStatus | None:
    """Send the account-opening SMS unless an earlier delivery did, or the account is a migrated
    record (opened long before it was registered: DOMAIN §5, §13); the outcome (None: none sent now)."""
    if is_migrated(client.opened_on, beijing(client.created_at).date(), rules.callbacks().new_account_window_days):
        return None
    sms_rules = rules.sms()
    sms = compose(client, WELCOME, sms_rules, message_id=f"{WELCOME}-{client.client_id}")
    pending = MessageRecord(
        message_id=sms.message_id,
        client_id=client.client_id,
        template=WELCOME,
        rules_version=sms_rules.version,
        status=MessageStatus.NOT_SENT,
        phone_masked=mask_phone(client.phone),
        at=client.created_at,
    )
    if message_data.begin(pending) != message_data.PENDING:
        return None  # a redelivered record: sent (or refused) before
    if sms.problem is not None:
        outcome = replace(pending, reason=sms.problem)
    else:
        try:
            provider_id = sms_gateway.send(sms, sms_rules)
        except sms_gateway.SmsRefused as refused:
            outcome = replace(pending, reason=str(refused))
        else:
            outcome = replace(pending, status=MessageStatus.SENT, provider_id=provider_id)
    message_data.finish(outcome)
    return outcome.status


def messages(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[MessageRecord], str | None]:
    find_client(grant, client_id)
    return message_data.message_page(client_id, limit=limit, cursor=cursor)
