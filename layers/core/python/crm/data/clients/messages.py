"""The SMS log of a client (第34–35条): MESSAGE#<at>#<message id> in its collection, newest first.

A message to send is recorded first (`pending`), then sent, then marked with the outcome: the
stream that sends it is the outbox, so a redelivered record finds the message sent and sends
nothing. (A crash between SNS accepting it and the mark leaves it `pending`; the next delivery
sends it again rather than lose it.) The log keeps the masked phone, never the number.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from crm.data.base import stamp_actions, stamped
from crm.data.clients.items import ClientsItem, client_pk, history, history_page
from crm.domain.audit import Stamp
from crm.domain.messages import MessageRecord, MessageStatus
from crm.domain.time import iso, parse_iso

PENDING = MessageStatus.PENDING.value
SYSTEM_SMS = "system:sms"


class _MessageItem(ClientsItem):
    client_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    template = UnicodeAttribute()
    rules_version = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | sent | not_sent
    phone_masked = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)


def _sk(message_id: str, at: datetime) -> str:
    return f"MESSAGE#{iso(at)}#{message_id}"


def begin(record: MessageRecord) -> str:
    """Record a message about to be sent; returns its status as it stands (`pending` when it is
    new, or left pending by a crash; else what an earlier delivery found)."""
    item = stamped(
        _MessageItem(
            pk=client_pk(record.client_id),
            sk=_sk(record.message_id, record.at),
            client_id=record.client_id,
            message_id=record.message_id,
            template=record.template,
            rules_version=record.rules_version,
            status=PENDING,
            phone_masked=record.phone_masked,
            at=iso(record.at),
        ),
        Stamp(by=SYSTEM_SMS, reason=f"SMS {record.template}", at=record.at),
    )
    try:
        item.save(condition=ClientsItem.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return str(_MessageItem.get(item.pk, item.sk, consistent_read=True).status)
    return PENDING


def finish(record: MessageRecord) -> None:
    """The outcome of a pending message: sent (with SNS's id) or not sent (with the reason)."""
    _MessageItem(pk=client_pk(record.client_id), sk=_sk(record.message_id, record.at)).update(
        actions=[
            _MessageItem.status.set(record.status.value),
            _MessageItem.reason.set(record.reason) if record.reason else _MessageItem.reason.remove(),
            _MessageItem.provider_id.set(record.provider_id)
            if record.provider_id
            else _MessageItem.provider_id.remove(),
            *stamp_actions(_MessageItem, Stamp(by=SYSTEM_SMS, reason=f"SMS {record.status}", at=record.at)),
        ],
        condition=_MessageItem.status == PENDING,
    )


def _message(item: _MessageItem) -> MessageRecord:
    return MessageRecord(
        message_id=item.message_id,
        client_id=item.client_id,
        template=item.template,
        rules_version=item.rules_version,
        status=MessageStatus(item.status),
        phone_masked=item.phone_masked,
        at=parse_iso(item.at),
        reason=item.reason,
        provider_id=item.provider_id,
    )


def messages(client_id: str) -> list[MessageRecord]:
    return [_message(item) for item in history(_MessageItem, client_id, "MESSAGE#")]


def message_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[MessageRecord], str | None]:
    return history_page(_MessageItem, client_id, "MESSAGE#", _message, limit=limit, cursor=cursor)
