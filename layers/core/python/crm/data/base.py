"""Model plumbing shared by the repositories: table binding, Decimal numbers, cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import time
import zlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import botocore.session
import pynamodb.connection.base
from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.constants import NUMBER
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from crm import config
from crm.data import keys
from crm.domain.audit import Stamp
from crm.domain.time import iso
from crm.errors import MalformedRequest
from crm.topology import CURSOR_KEY, Table


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def meta_for(table: Table) -> Any:
    """A PynamoDB `Meta` whose table name is the running function's (`crm.config`), read on each
    use: PynamoDB rebinds its connection when the name changes, so one process can run several
    functions locally, and an undeclared table fails where it is touched."""

    class TableName(type):
        @property
        def table_name(cls) -> str:
            return config.active().table(table)

    class Meta(metaclass=TableName):
        region = region()

    return Meta


_sessions = threading.local()


def _shared_session() -> botocore.session.Session:
    """One botocore session per thread for every PynamoDB connection. PynamoDB opens a session of
    its own for each model class, and each session parses and keeps its own copy of DynamoDB's
    service model and endpoint rules (~7 MB): the access export, which reads some twenty models,
    peaked at 227 MB for that alone. Per thread, as PynamoDB keeps them: creating clients from one
    session is not thread-safe."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = botocore.session.get_session()
    return session


pynamodb.connection.base.get_session = _shared_session  # the name PynamoDB's Connection.session calls

_connection: Connection | None = None


def connection() -> Connection:
    """One low-level connection per process, for transactions."""
    global _connection
    if _connection is None:
        _connection = Connection(region=region())
    return _connection


Key = tuple[str, str]  # pk, sk
BATCH_GET_ROUNDS = 5  # BatchGetItem requests for one read, when DynamoDB leaves keys unprocessed
BATCH_GET_KEYS = 100  # the most keys one BatchGetItem takes


def batch_get_raw(table_name: str, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    """The items under `keys` (string `pk` and `sk`, at most 100) of one table, as DynamoDB returns
    them, read consistently: one BatchGetItem request, more only for keys it left unprocessed
    (retried with backoff). For items of different models read together; each is then parsed by
    its model's `from_raw_data`. Keys without an item are absent from the answer."""
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[Key, dict[str, Any]] = {}
    for attempt in range(BATCH_GET_ROUNDS):
        if attempt:
            time.sleep(0.05 * 2**attempt)
        response = connection().client.batch_get_item(
            RequestItems={table_name: {"Keys": pending, "ConsistentRead": True}}
        )
        for raw in response.get("Responses", {}).get(table_name, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        pending = response.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])
        if not pending:
            return found
    raise RuntimeError(f"{len(pending)} keys of {table_name} stayed unprocessed after {BATCH_GET_ROUNDS} requests")


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as Decimal (PynamoDB's NumberAttribute yields float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


def shard_of(key: str, shards: int) -> int:
    """A stable shard for a key (not Python's hash, which changes between processes)."""
    return zlib.crc32(key.encode()) % shards


def encode_position(last_key: dict[str, Any] | None) -> str | None:
    """Where a walk of the system's own (a job resuming across runs) stopped: plain, never handed out."""
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode()


def decode_position(position: str | None) -> dict[str, Any] | None:
    return json.loads(base64.urlsafe_b64decode(position.encode())) if position else None


CURSOR_MAC_BYTES = 16


def _cursor_mac(listing: str, payload: str) -> str:
    digest = hmac.new(keys.key(CURSOR_KEY), f"{listing}\n{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:CURSOR_MAC_BYTES]).decode().rstrip("=")


def encode_cursor(last_key: dict[str, Any] | None, listing: str) -> str | None:
    """The `next_cursor` of a page: where the listing goes on, signed for that listing (`listing`
    names it and what it is confined to, e.g. `clients:B1`), so a cursor cannot be edited, nor
    carried to another listing, without the API noticing (API.md «Rules»)."""
    if not last_key:
        return None
    payload = base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")
    return f"{payload}.{_cursor_mac(listing, payload)}"


def decode_cursor(cursor: str | None, listing: str) -> dict[str, Any] | None:
    """Where a listing goes on from, or 400 naming `cursor` for one this listing did not hand out."""
    if not cursor:
        return None
    payload, _, mac = cursor.partition(".")
    if not mac or not hmac.compare_digest(mac, _cursor_mac(listing, payload)):
        raise MalformedRequest("cursor is not one this listing returned", field="cursor")
    try:
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):  # pragma: no cover - signed by us
        raise MalformedRequest("cursor is not one this listing returned", field="cursor") from None
    return value


def set_or_remove(attribute: Attribute[Any], value: Any) -> Action:
    """An update action that stores `value`, or removes the attribute when there is none."""
    return attribute.remove() if value is None else attribute.set(value)


class Stamped:
    """The stamp of a record's last change (see crm.domain.audit.Stamp), on every table's items."""

    changed_by = UnicodeAttribute(null=True)
    change_reason = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute(null=True)
    changed_at = UnicodeAttribute(null=True)


def stamp_actions(model: Any, stamp: Stamp) -> list[Action]:
    """Update actions that sign the change (every field set, or cleared when the stamp has none)."""
    return [
        model.changed_by.set(stamp.by),
        set_or_remove(model.change_reason, stamp.reason),
        set_or_remove(model.evidence_ref, stamp.evidence_ref),
        set_or_remove(model.changed_at, iso(stamp.at) if stamp.at else None),
    ]


def stamped(item: Any, stamp: Stamp) -> Any:
    """A new item signed with its stamp, before it is saved."""
    item.changed_by, item.change_reason, item.evidence_ref = stamp.by, stamp.reason, stamp.evidence_ref
    item.changed_at = iso(stamp.at) if stamp.at else None
    return item


# Cancellation reasons that mean the state moved on under us: a condition failed, or another
# transaction held an item. Anything else (throttling, a validation error) is not a conflict.
_CONFLICTS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def lost_to_a_condition(exc: TransactWriteError) -> bool:
    """Whether a cancelled transaction lost to a condition (the caller re-reads, or reports a
    conflict); a transaction cancelled for throttling is re-raised instead and retried whole."""
    if exc.cause_response_code != "TransactionCanceledException":
        return False
    codes = {reason.code for reason in exc.cancellation_reasons if reason is not None}
    return bool(codes) and codes <= _CONFLICTS
