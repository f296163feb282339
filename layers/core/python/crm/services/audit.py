"""The audit trail (留痕): turning change-stream records into entries, and reading a client's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm.data import archive as archive_data
from crm.data import audit as audit_data
from crm.domain.access import Grant
from crm.domain.audit import AuditEntry, entry_for


def record_change(
    table: str,
    event: str,
    key: Mapping[str, str],
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    sequence: str,
    at: datetime,
) -> AuditEntry | None:
    """Append the change's entry (once, whatever the redeliveries); None when it needs none."""
    entry = entry_for(table, event, key, old, new, sequence=sequence, at=at)
    if entry is not None:
        audit_data.append(entry)
    return entry


def archive_batch(entries: list[AuditEntry], batch_id: str) -> str | None:
    return archive_data.archive(entries, batch_id)


def client_trail(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[AuditEntry], str | None]:
    """Everything that happened to a client's records, newest first (compliance)."""
    return audit_data.for_subject(f"CLIENT#{client_id}", limit=limit, cursor=cursor)
