"""Applying a chunk of an import's rows (DOMAIN §13), as a worker of the import-rows queue.

Each row is checked by the same rules as the API — its values by the API's own request models
(the handler's `RowParser`), then by the services' rules — and is applied whole, or reported with
its line, field, code and message in the chunk's part of the failed-rows file; never half.

- `metrics`: the figures of a client on record, for a year that has begun. Figures equal to those
  on record change nothing (no write, so no reclassification, no history entry); the others are
  written in batches (25 items a request), the average holding days on record kept. A client not
  on record is a failed row, never a new record.
- `clients`: an account registered as `POST /clients` registers it (its manager on the staff
  register in its branch, its person's key information and open accounts); one on record with the
  same data is unchanged, with other data a failed row, never an overwrite. The stream consumers
  decide the rest as for any registration: an account opened long before it is registered gets no
  account-opening SMS and no `new_account` callback (DOMAIN §5).

Exactly once: before it writes anything the worker records which rows it sets out to change (the
chunk's plan); a redelivered chunk (the worker died, or was throttled) finds them applied and
counts them as changed, and settling the chunk adds its counts to the import's once. The last
chunk settled asks for the import to be finished.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from crm import rules
from crm.data import import_files as files
from crm.data import imports as import_data
from crm.data import queues
from crm.data.clients import metrics as metrics_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant, Identity, Role, Scope
from crm.domain.classification import YearMetrics
from crm.domain.client import Client
from crm.domain.client_history.class_changes import MetricsRecord
from crm.domain.imports import (
    Chunk,
    ChunkRow,
    FailedRowsWriter,
    ImportJob,
    ImportKind,
    ImportStatus,
    JobMessage,
    JobStep,
    RowFailure,
    RowOutcome,
    chunk_counts,
)
from crm.errors import CrmError
from crm.services import clients as client_service
from crm.services.client_metrics import check_year
from crm.topology import IMPORT_JOBS

# The fields a clients row must agree on with the account on record to be the same account.
CLIENT_FIELDS = ("name", "id_number", "phone", "email", "birthday", "branch_id", "manager_id", "opened_on")


@dataclass(frozen=True)
class MetricsRow:
    client_id: str
    metrics: YearMetrics


@dataclass(frozen=True)
class ParsedRow:
    """A row read by the API's models: its value (a `MetricsRow`, or a `Client` to register), or
    every problem they found."""

    row: ChunkRow
    value: MetricsRow | Client | None
    failures: tuple[RowFailure, ...] = ()


RowParser = Callable[[ChunkRow, ImportJob, datetime], ParsedRow]


def _failure(row: ChunkRow, error: CrmError) -> RowFailure:
    return RowFailure(row.line, error.field or "", error.code, error.message, row.values)


def apply(chunk: Chunk, parse: RowParser, *, now: datetime) -> None:
    job = import_data.get(chunk.import_id)
    if job is None:
        raise ValueError(f"a chunk of import {chunk.import_id}, which does not exist")
    if job.status is not ImportStatus.IN_PROGRESS:
        return  # aborted (or finished): the rest is not applied
    settled, planned = import_data.chunk_plan(job.import_id, chunk.number)
    if not settled:
        parsed = [parse(row, job, now) for row in chunk.rows]
        apply_rows = _apply_metrics if job.kind is ImportKind.METRICS else _apply_clients
        outcomes, failures = apply_rows(job, chunk.number, parsed, planned, now)
        if failures:
            files.put_failed_part(job.import_id, chunk.number, _part(job.kind, failures))
        counts = chunk_counts(outcomes, planned or frozenset())
        import_data.settle_chunk(job.import_id, chunk.number, counts)
    if import_data.require(job.import_id).all_settled:
        queues.send(IMPORT_JOBS, JobMessage(JobStep.FINISH, job.import_id).message())


def _part(kind: ImportKind, failures: Sequence[RowFailure]) -> bytes:
    out = io.BytesIO()
    writer = FailedRowsWriter(out, kind, rules.imports(), heading=False)
    for failure in failures:
        writer.write(failure)
    return out.getvalue()


Outcomes = tuple[dict[int, RowOutcome], list[RowFailure]]


def _plan(job: ImportJob, number: int, planned: frozenset[int] | None, lines: set[int]) -> None:
    """Record the rows to change before changing any (unless an earlier delivery did)."""
    if planned is None:
        import_data.plan_chunk(job.import_id, number, frozenset(lines))


def _apply_metrics(
    job: ImportJob, number: int, rows: Sequence[ParsedRow], planned: frozenset[int] | None, now: datetime
) -> Outcomes:
    outcomes: dict[int, RowOutcome] = {}
    failures: list[RowFailure] = []
    wanted = [(row.value.client_id, row.value.metrics.year) for row in rows if isinstance(row.value, MetricsRow)]
    clients, current = metrics_data.on_record(wanted)
    writes: dict[tuple[str, int], MetricsRecord] = {}
    for parsed in rows:
        line, value = parsed.row.line, parsed.value
        problems = list(parsed.failures)
        if isinstance(value, MetricsRow) and not problems:
            try:
                check_year(value.metrics.year, now)
            except CrmError as error:
                problems.append(_failure(parsed.row, error))
            if value.client_id not in clients:
                message = f"no client {value.client_id} is on record: register the account first"
                problems.append(RowFailure(line, "client_id", "not_found", message, parsed.row.values))
        if problems or not isinstance(value, MetricsRow):
            outcomes[line] = RowOutcome.FAILED
            failures += problems
            continue
        key = (value.client_id, value.metrics.year)
        before = current.get(key)
        if before is not None and before.metrics == value.metrics:
            outcomes[line] = RowOutcome.UNCHANGED
            continue
        record = MetricsRecord(
            client_id=value.client_id,
            metrics=value.metrics,
            updated_at=now,
            updated_by=job.created_by,
            avg_holding_days=before.avg_holding_days if before is not None else None,
        )
        writes[key] = current[key] = record
        outcomes[line] = RowOutcome.CHANGED
    _plan(job, number, planned, {line for line, outcome in outcomes.items() if outcome is RowOutcome.CHANGED})
    metrics_data.put_many(list(writes.values()))
    return outcomes, failures


def _grant(job: ImportJob) -> Grant:
    """The import acts for headquarters, who started it: every branch."""
    return Grant(Identity(user_id=job.created_by, role=Role.HQ, branch_id=None), Scope.ALL)


def _differences(on_record: Client, row: Client) -> list[str]:
    return [name for name in CLIENT_FIELDS if getattr(on_record, name) != getattr(row, name)]


def _compared(row: ChunkRow, client: Client, on_record: Client) -> tuple[RowOutcome, RowFailure | None]:
    """A row for an account on record: unchanged when it holds the same data, else a failed row."""
    differing = _differences(on_record, client)
    if not differing:
        return RowOutcome.UNCHANGED, None
    message = f"client {client.client_id} is on record with another {', '.join(differing)}: not overwritten"
    return RowOutcome.FAILED, RowFailure(row.line, differing[0], "conflict", message, row.values)


def _apply_clients(
    job: ImportJob, number: int, rows: Sequence[ParsedRow], planned: frozenset[int] | None, now: datetime
) -> Outcomes:
    outcomes: dict[int, RowOutcome] = {}
    failures: list[RowFailure] = []
    new: dict[str, tuple[ChunkRow, Client]] = {}  # accounts to register, by the first row naming each
    again: list[tuple[ChunkRow, Client]] = []  # rows naming an account an earlier row registers
    for parsed in rows:
        line, value = parsed.row.line, parsed.value
        if parsed.failures or not isinstance(value, Client):
            outcomes[line] = RowOutcome.FAILED
            failures += parsed.failures
        elif value.client_id in new:
            again.append((parsed.row, value))
        elif (on_record := client_data.get(value.client_id, consistent=True)) is not None:
            outcomes[line], failure = _compared(parsed.row, value, on_record)
            failures += [failure] if failure else []
        else:
            new[value.client_id] = (parsed.row, value)
    _plan(job, number, planned, {row.line for row, _ in new.values()})
    grant = _grant(job)
    registered: dict[str, Client] = {}
    for row, client in new.values():
        try:
            registered[client.client_id] = client_service.register(grant, client)
            outcomes[row.line] = RowOutcome.CHANGED
        except CrmError as error:
            # another worker registered the same account (a row of another chunk) just before
            on_record = client_data.get(client.client_id, consistent=True) if error.field == "client_id" else None
            if on_record is None:
                outcomes[row.line] = RowOutcome.FAILED
                failures.append(_failure(row, error))
            else:
                outcomes[row.line], failure = _compared(row, client, on_record)
                failures += [failure] if failure else []
                registered[client.client_id] = on_record
    for row, client in again:
        first = new[client.client_id][0]
        if client.client_id in registered:
            outcomes[row.line], failure = _compared(row, client, registered[client.client_id])
        else:
            message = f"the same account as line {first.line}, which failed"
            outcomes[row.line], failure = (
                RowOutcome.FAILED,
                RowFailure(row.line, "client_id", "conflict", message, row.values),
            )
        failures += [failure] if failure else []
    return outcomes, sorted(failures, key=lambda failure: failure.line)
