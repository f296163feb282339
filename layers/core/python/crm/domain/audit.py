"""The audit trail (留痕, DOMAIN §0): one entry per change of any record — who, when, what it
was before and after, why, and on what evidence (e.g. the call recording of 第35条).

Entries are derived from the tables' change streams, so no write path can forget to leave a
trace. Who, why and evidence come from the record itself: mutable records carry the stamp of
their last change (`changed_by`, `change_reason`, `evidence_ref`); history records name their
author and reason in their own fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm.domain.time import iso

WHO = (
    "changed_by",
    "by",
    "recorded_by",
    "submitted_by",
    "replied_by",
    "updated_by",
    "created_by",
    "loaded_by",
    "enabled_by",
)
WHY = ("change_reason", "reason", "note", "cause")
EVIDENCE = ("evidence_ref", "document_ref", "acknowledgement_ref", "paper_ref")
# Bookkeeping that says nothing about the record: left out of before/after.
BOOKKEEPING = frozenset(
    {"version", "open_clock", "due_key", "provisional_year", "turnover_shard", "listed_at", "published_at"}
)
# Derived figures kept for the system's own use, not records of the business: not audited.
DERIVED_PREFIXES = ("AGGREGATE#", "CONTRIB#")


@dataclass(frozen=True)
class Stamp:
    """Who made a change to a record, when, why, and on what evidence: written on the record with
    the change, so the audit trail can tell (system work is signed `system:<function>`), and so
    what counts a change (the quarterly report) counts it in the quarter it was made."""

    by: str
    at: datetime  # the business time of the change (the request's, the job's)
    reason: str | None = None
    evidence_ref: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    subject: str  # CLIENT#<id> for everything about a client; else the record's own key
    table: str
    key: Mapping[str, str]
    event: str  # INSERT, MODIFY, REMOVE
    at: datetime
    sequence: str
    by: str | None
    reason: str | None
    evidence_ref: str | None
    before: Mapping[str, Any]
    after: Mapping[str, Any]

    @property
    def entry(self) -> str:
        """The entry's sort key: time first; the stream position makes it unique and replay-safe."""
        return f"{iso(self.at)}#{self.table}#{self.sequence}"


def _first(image: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = image.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _subject(table: str, key: Mapping[str, str], image: Mapping[str, Any]) -> str:
    if table == "clients":
        return str(key["pk"])
    client_id = image.get("client_id")
    return f"CLIENT#{client_id}" if client_id else f"{table.upper()}#{key.get('pk', '')}"


def entry_for(
    table: str,
    event: str,
    key: Mapping[str, str],
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    sequence: str,
    at: datetime,
) -> AuditEntry | None:
    """The audit entry of one stream record, or None when nothing worth a trace changed."""
    if str(key.get("pk", "")).startswith(DERIVED_PREFIXES):
        return None
    before_image = {k: v for k, v in (old or {}).items() if k not in BOOKKEEPING}
    after_image = {k: v for k, v in (new or {}).items() if k not in BOOKKEEPING}
    changed = {k for k in before_image.keys() | after_image.keys() if before_image.get(k) != after_image.get(k)}
    if not changed:
        return None  # a write that changed nothing (or only bookkeeping) leaves no trace
    if event == "MODIFY":
        before = {k: before_image.get(k) for k in sorted(changed)}
        after = {k: after_image.get(k) for k in sorted(changed)}
    else:
        before, after = before_image, after_image
    source = new if new is not None else (old or {})
    return AuditEntry(
        subject=_subject(table, key, source),
        table=table,
        key=dict(key),
        event=event,
        at=at,
        sequence=sequence,
        by=_first(source, WHO),
        reason=_first(source, WHY),
        evidence_ref=_first(source, EVIDENCE),
        before=before,
        after=after,
    )
