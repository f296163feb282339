"""The audit table: append-only (PutItem with a condition, never UpdateItem or DeleteItem; the
audit function's role is granted nothing more). pk = subject (CLIENT#<id>, …), sk = entry
(<at>#<table>#<stream sequence>), so a redelivered record appends nothing."""

from __future__ import annotations

import json
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from crm.data.base import decode_cursor, encode_cursor, meta_for
from crm.domain.audit import AuditEntry
from crm.domain.time import iso, parse_iso
from crm.topology import AUDIT


def plain(value: Any) -> Any:
    """Stream images hold Decimals and sets; the trail keeps them as JSON numbers and lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


class _AuditItem(Model):
    Meta = meta_for(AUDIT)
    subject = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    table = UnicodeAttribute()
    record_key = JSONAttribute()
    event = UnicodeAttribute()
    at = UnicodeAttribute()
    sequence = UnicodeAttribute()
    by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute(null=True)
    before = JSONAttribute()
    after = JSONAttribute()


def append(entry: AuditEntry) -> bool:
    """Append one entry; False when it was already there (a redelivered record)."""
    try:
        _AuditItem(
            subject=entry.subject,
            entry=entry.entry,
            table=entry.table,
            record_key=plain(entry.key),
            event=entry.event,
            at=iso(entry.at),
            sequence=entry.sequence,
            by=entry.by,
            reason=entry.reason,
            evidence_ref=entry.evidence_ref,
            before=plain(entry.before),
            after=plain(entry.after),
        ).save(condition=_AuditItem.entry.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _entry(item: _AuditItem) -> AuditEntry:
    return AuditEntry(
        subject=item.subject,
        table=item.table,
        key=item.record_key,
        event=item.event,
        at=parse_iso(item.at),
        sequence=item.sequence,
        by=item.by,
        reason=item.reason,
        evidence_ref=item.evidence_ref,
        before=item.before,
        after=item.after,
    )


def for_subject(subject: str, *, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    """A subject's entries, newest first."""
    listing = f"audit:{subject}"
    pages = _AuditItem.query(
        subject, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor, listing)
    )
    entries = [_entry(item) for item in pages]
    return entries, encode_cursor(pages.last_evaluated_key, listing)


def every_entry(subject: str, *, events: Collection[str]) -> list[AuditEntry]:
    """Every entry of a subject whose event is one of `events`, oldest first: a query of the
    subject's partition, page after page to its end, filtered (the access export, PIPL 第45条)."""
    items = _AuditItem.query(subject, filter_condition=_AuditItem.event.is_in(*events))
    return [_entry(item) for item in items]


def as_json_line(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "subject": entry.subject,
            "entry": entry.entry,
            "table": entry.table,
            "key": plain(entry.key),
            "event": entry.event,
            "at": iso(entry.at),
            "by": entry.by,
            "reason": entry.reason,
            "evidence_ref": entry.evidence_ref,
            "before": plain(entry.before),
            "after": plain(entry.after),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
