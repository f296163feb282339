"""Bulk imports in the imports table (DOMAIN §13).

Keys: pk = IMPORT#<id>; sk = JOB (the import: its state, counts and progress, under `version`,
which every change moves on) | CHUNK#<n> (a chunk of rows: the rows its first delivery set out
to change, then, once settled, its counts). Jobs are listed newest first through the sparse
`listed` index (only JOB items carry `listing`). The table's stream feeds the audit trail (its
consumer takes the JOB items only).

A chunk is settled in one transaction with the job's counts, on the condition that it was not
settled before: a chunk delivered twice is counted once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, decode_cursor, encode_cursor, lost_to_a_condition, meta_for
from crm.data.pages import read_ahead
from crm.domain.imports import ImportCounts, ImportJob, ImportKind, ImportProblem, ImportStatus, check_move
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict, NotFound
from crm.topology import IMPORTS

JOB = "JOB"
CHUNK = "CHUNK#"
LISTING = "IMPORT"


def import_pk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def chunk_sk(number: int) -> str:
    return f"{CHUNK}{number:08d}"


class ImportsItem(Model):
    Meta = meta_for(IMPORTS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _Listed(GlobalSecondaryIndex["JobItem"]):
    class Meta:
        index_name = "listed"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class JobItem(ImportsItem):
    import_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    encoding = UnicodeAttribute()
    file_name = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    rules_version = UnicodeAttribute()
    rows = NumberAttribute(default=0)
    succeeded = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    unchanged = NumberAttribute(default=0)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    problem = JSONAttribute(null=True)
    source_version = UnicodeAttribute(null=True)
    chunks_total = NumberAttribute(null=True)
    chunks_sent = NumberAttribute(default=0)
    chunks_settled = NumberAttribute(default=0)
    failed_rows = BooleanAttribute(default=False)
    version = NumberAttribute()
    listing = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    listed = _Listed()


class ChunkItem(ImportsItem):
    import_id = UnicodeAttribute()
    number = NumberAttribute()
    planned = NumberSetAttribute(null=True)  # lines the first delivery set out to change
    settled = BooleanAttribute(default=False)
    succeeded = NumberAttribute(null=True)
    failed = NumberAttribute(null=True)
    unchanged = NumberAttribute(null=True)


def _job(item: JobItem) -> ImportJob:
    problem = item.problem
    return ImportJob(
        import_id=item.import_id,
        kind=ImportKind(item.kind),
        encoding=item.encoding,
        file_name=item.file_name,
        status=ImportStatus(item.status),
        created_at=parse_iso(item.created_at),
        created_by=item.created_by,
        rules_version=item.rules_version,
        counts=ImportCounts(
            rows=int(item.rows), succeeded=int(item.succeeded), failed=int(item.failed), unchanged=int(item.unchanged)
        ),
        started_at=parse_iso(item.started_at) if item.started_at else None,
        finished_at=parse_iso(item.finished_at) if item.finished_at else None,
        problem=ImportProblem(problem["code"], problem["message"], problem.get("line")) if problem else None,
        source_version=item.source_version,
        chunks_total=None if item.chunks_total is None else int(item.chunks_total),
        chunks_sent=int(item.chunks_sent),
        chunks_settled=int(item.chunks_settled),
        failed_rows=bool(item.failed_rows),
        version=int(item.version),
    )


def create(job: ImportJob) -> None:
    item = JobItem(
        pk=import_pk(job.import_id),
        sk=JOB,
        import_id=job.import_id,
        kind=job.kind.value,
        encoding=job.encoding,
        file_name=job.file_name,
        status=job.status.value,
        created_at=iso(job.created_at),
        created_by=job.created_by,
        rules_version=job.rules_version,
        version=job.version,
        listing=LISTING,
        listed_at=f"{iso(job.created_at)}#{job.import_id}",
    )
    try:
        item.save(condition=JobItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"import {job.import_id} already exists", field="import_id") from None
        raise


def get(import_id: str, *, consistent: bool = True) -> ImportJob | None:
    try:
        return _job(JobItem.get(import_pk(import_id), JOB, consistent_read=consistent))
    except DoesNotExist:
        return None


def require(import_id: str) -> ImportJob:
    job = get(import_id)
    if job is None:
        raise NotFound(f"import {import_id} not found", field="import_id")
    return job


def page(*, statuses: frozenset[str] | None, limit: int, cursor: str | None) -> tuple[list[ImportJob], str | None]:
    """The imports, newest first."""
    listing = "imports"
    pages = JobItem.listed.query(
        LISTING,
        scan_index_forward=False,
        filter_condition=JobItem.status.is_in(*statuses) if statuses else None,
        limit=limit,
        page_size=read_ahead(limit),
        last_evaluated_key=decode_cursor(cursor, listing),
    )
    return [_job(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def _update(import_id: str, actions: list[Any], condition: Condition | None) -> ImportJob:
    """Apply `actions` to the job (moving its version on) if `condition` holds; the job after."""
    item = JobItem(pk=import_pk(import_id), sk=JOB)
    exists = JobItem.pk.exists()
    item.update(
        actions=[*actions, JobItem.version.add(1)], condition=exists if condition is None else exists & condition
    )
    return _job(item)


def move(job: ImportJob, target: ImportStatus, *, at: datetime, **more: Any) -> ImportJob:
    """The job moved to `target` if it is still in the state read (409 when another move came
    first: a second start, an abort racing the end). `source_version` (starting) names the upload's
    version to read; `problem` (failing) why."""
    check_move(job.status, target, import_id=job.import_id)
    actions: list[Any] = [JobItem.status.set(target.value)]
    if target is ImportStatus.IN_PROGRESS:
        actions.append(JobItem.started_at.set(iso(at)))
        if more.get("source_version"):
            actions.append(JobItem.source_version.set(more["source_version"]))
    if target.is_finished:
        actions.append(JobItem.finished_at.set(iso(at)))
    problem: ImportProblem | None = more.get("problem")
    if problem is not None:
        actions.append(JobItem.problem.set({"code": problem.code, "message": problem.message, "line": problem.line}))
    try:
        return _update(job.import_id, actions, JobItem.status == job.status.value)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    now = require(job.import_id)
    check_move(now.status, target, import_id=job.import_id)  # 409 naming where it is now
    raise Conflict(f"import {job.import_id} changed meanwhile; read it again", field="status")


def record_read(import_id: str, *, rows: int, chunks: int) -> ImportJob:
    """The whole file read: how many rows and chunks it holds (once; a second reading agrees)."""
    return _update(
        import_id,
        [JobItem.rows.set(rows), JobItem.chunks_total.set(chunks)],
        JobItem.status == ImportStatus.IN_PROGRESS.value,
    )


def record_sent(import_id: str, chunks_sent: int) -> None:
    """How many chunks are on the queue: a reading resumed after a crash sends the rest only."""
    try:
        _update(import_id, [JobItem.chunks_sent.set(chunks_sent)], JobItem.chunks_sent < chunks_sent)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def record_failed_rows(import_id: str) -> None:
    _update(import_id, [JobItem.failed_rows.set(True)], None)


def chunk_plan(import_id: str, number: int) -> tuple[bool, frozenset[int] | None]:
    """Whether the chunk is settled, and the lines its first delivery set out to change (None:
    no delivery got that far)."""
    try:
        item = ChunkItem.get(import_pk(import_id), chunk_sk(number), consistent_read=True)
    except DoesNotExist:
        return False, None
    return bool(item.settled), frozenset(int(line) for line in item.planned or ())


def plan_chunk(import_id: str, number: int, lines: frozenset[int]) -> frozenset[int]:
    """Record the lines this delivery sets out to change, before it changes any; if an earlier
    delivery recorded its plan meanwhile, that plan stands and is returned."""
    item = ChunkItem(
        pk=import_pk(import_id), sk=chunk_sk(number), import_id=import_id, number=number, planned=set(lines) or None
    )
    try:
        item.save(condition=ChunkItem.pk.does_not_exist())
        return lines
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return chunk_plan(import_id, number)[1] or frozenset()


def settle_chunk(import_id: str, number: int, counts: ImportCounts) -> bool:
    """Settle the chunk and add its counts to the job's, in one transaction, unless it was settled
    before (False then: nothing counted twice)."""
    chunk = ChunkItem(pk=import_pk(import_id), sk=chunk_sk(number))
    job = JobItem(pk=import_pk(import_id), sk=JOB)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                chunk,
                actions=[
                    ChunkItem.import_id.set(import_id),
                    ChunkItem.number.set(number),
                    ChunkItem.settled.set(True),
                    ChunkItem.succeeded.set(counts.succeeded),
                    ChunkItem.failed.set(counts.failed),
                    ChunkItem.unchanged.set(counts.unchanged),
                ],
                condition=ChunkItem.settled.does_not_exist() | (ChunkItem.settled == False),  # noqa: E712
            )
            transaction.update(
                job,
                actions=[
                    JobItem.succeeded.add(counts.succeeded),
                    JobItem.failed.add(counts.failed),
                    JobItem.unchanged.add(counts.unchanged),
                    JobItem.chunks_settled.add(1),
                    JobItem.version.add(1),
                ],
                condition=JobItem.pk.exists(),
            )
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def chunks_with_failures(import_id: str) -> Iterator[int]:
    """The settled chunks that left failed rows, in file order."""
    for item in ChunkItem.query(
        import_pk(import_id),
        ChunkItem.sk.startswith(CHUNK),
        filter_condition=ChunkItem.failed > 0,
        consistent_read=True,
    ):
        yield int(item.number)
