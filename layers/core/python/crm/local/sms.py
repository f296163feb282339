"""What the local system sent by SMS: moto's SNS keeps every message published to a phone number
(and delivers none). `crm messages` prints them, the numbers masked."""

from __future__ import annotations

from typing import Any

from crm.domain.pii import mask_phone
from crm.local.invoke import ACCOUNT, REGION


def sent_sms() -> list[dict[str, Any]]:
    from moto.sns.models import sns_backends

    backend = sns_backends[ACCOUNT][REGION]
    return [
        {"message_id": message_id, "to": mask_phone(number.removeprefix("+86")), "text": text}
        for message_id, (number, text) in backend.sms_messages.items()
    ]
