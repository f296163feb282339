"""SMS to clients (第34–35条; DOMAIN §8): the welcome and notice message on account opening, sent
through SNS, and the log of every SMS against the client — template, time and masked phone (the
text itself is the template's, filled from the record; the log keeps no copy of it).

Templates are data (`rules/sms.toml`). A number that is not a valid mainland mobile, or one that
has opted out, is logged as not sent, with the reason.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm.domain.client import Client
from crm.domain.pii import phone_problem
from crm.errors import RuleTableError

# The fields of the client record a template may name.
TEMPLATE_FIELDS = frozenset({"name", "client_id", "manager_id", "branch_id"})
MAX_SMS_CHARACTERS = 350  # five concatenated SMS of Chinese text


class MessageStatus(StrEnum):
    PENDING = "pending"  # being sent: the outcome is not known yet (or a failure is being retried)
    SENT = "sent"
    NOT_SENT = "not_sent"


@dataclass(frozen=True)
class SmsRules:
    version: str
    sms_type: str
    sender_id: str
    country_code: str
    templates: Mapping[str, str]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> SmsRules:
        try:
            rules = cls(
                version=str(table["version"]),
                sms_type=str(table["sms_type"]),
                sender_id=str(table["sender_id"]),
                country_code=str(table["country_code"]),
                templates={str(name): str(body["text"]) for name, body in table["templates"].items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RuleTableError(f"sms table: {exc!r}") from exc
        if rules.sms_type not in ("Transactional", "Promotional"):
            raise RuleTableError("sms table: sms_type is Transactional or Promotional")
        if not rules.country_code.startswith("+") or not rules.country_code[1:].isdigit():
            raise RuleTableError("sms table: country_code is +<digits>")
        for name, text in rules.templates.items():
            fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
            if not fields <= TEMPLATE_FIELDS:
                raise RuleTableError(f"sms table: {name} names unknown fields {sorted(fields - TEMPLATE_FIELDS)}")
            if len(text) > MAX_SMS_CHARACTERS:
                raise RuleTableError(f"sms table: {name} is longer than {MAX_SMS_CHARACTERS} characters")
        if "account_opened" not in rules.templates:
            raise RuleTableError("sms table: the account_opened template is sent on every registration")
        return rules


@dataclass(frozen=True)
class Sms:
    """One SMS to send: to whom (E.164), what, under which template."""

    message_id: str
    client_id: str
    template: str
    to: str | None  # None: no valid number
    text: str
    problem: str | None  # why it cannot be sent


def compose(client: Client, template: str, rules: SmsRules, *, message_id: str) -> Sms:
    text = rules.templates[template].format(
        name=client.name, client_id=client.client_id, manager_id=client.manager_id, branch_id=client.branch_id
    )
    problem = phone_problem(client.phone)
    to = None if problem else f"{rules.country_code}{client.phone}"
    return Sms(
        message_id=message_id,
        client_id=client.client_id,
        template=template,
        to=to,
        text=text,
        problem=f"the phone number {problem}" if problem else None,
    )


@dataclass(frozen=True)
class MessageRecord:
    """An SMS in the client's log (sent or not, with the reason)."""

    message_id: str
    client_id: str
    template: str
    rules_version: str
    status: MessageStatus
    phone_masked: str
    at: datetime
    reason: str | None = None
    provider_id: str | None = None  # SNS's message id
