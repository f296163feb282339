"""Bulk imports of the trading system's files (DOMAIN §13; API.md "imports"): the job as
headquarters drives it — created with an upload URL, started once the file is there, watched,
aborted — and its two steps on the import-jobs queue: reading the whole file and sending its rows
in chunks to the import-rows queue (crm.services.import_rows applies them), then finishing once
every chunk is settled.

Reading checks the whole file before it sends a row: a file that is not CSV, has an unknown
header, undecodable bytes or is too large fails the import and applies nothing. It reads the
version of the upload found at the start (what is uploaded after changes nothing), and records how
many chunks it has sent, so a reading cut short (a timeout, a crash) resumes where it stopped and
a chunk is sent again at most once more — which its settling counts once anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from typing import IO

from crm import rules
from crm.data import import_files as files
from crm.data import imports as import_data
from crm.data import queues
from crm.domain.access import Grant
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.imports import (
    FailedRowsWriter,
    FileProblem,
    ImportFileError,
    ImportJob,
    ImportKind,
    ImportProblem,
    ImportStatus,
    JobMessage,
    JobStep,
    SourceRow,
    check_move,
    chunks_of,
    read_rows,
)
from crm.domain.time import beijing
from crm.errors import Conflict, InvalidInput
from crm.observability import logger
from crm.topology import IMPORT_JOBS, IMPORT_ROWS

NOT_QUEUED = "not_queued"  # the problem of an import whose reading could not be queued
SENT_RECORDED_EVERY = 20  # SendMessageBatch requests between two records of the progress


def import_id_for(now: datetime, request_id: str) -> str:
    return f"IMP-{beijing(now):%Y%m%d}-{request_id.replace('-', '')[:10]}"


def create(
    grant: Grant, kind: ImportKind, encoding: str | None, file_name: str, *, now: datetime, import_id: str
) -> ImportJob:
    import_rules = rules.imports()
    job = ImportJob(
        import_id=import_id,
        kind=kind,
        encoding=encoding or import_rules.default_encoding,
        file_name=file_name,
        status=ImportStatus.OPEN,
        created_at=now,
        created_by=grant.identity.user_id,
        rules_version=import_rules.version,
    )
    import_data.create(job)
    return job


def upload_url(job: ImportJob) -> str | None:
    """Where the file goes (a presigned PUT), while the import is open."""
    if job.status is not ImportStatus.OPEN:
        return None
    return files.upload_url(job.import_id, rules.imports().upload_url_expires_s)


def failed_rows_url(job: ImportJob) -> str | None:
    """A short-lived link to the failed-rows file, once it is written (freshly signed each time)."""
    if not job.failed_rows:
        return None
    return files.failed_rows_url(
        job.import_id, f"{job.import_id}-failed-rows.csv", rules.imports().failed_rows_url_expires_s
    )


def get(grant: Grant, import_id: str) -> ImportJob:
    return import_data.require(import_id)


def listing(
    grant: Grant, *, statuses: frozenset[str] | None, limit: int, cursor: str | None
) -> tuple[list[ImportJob], str | None]:
    return import_data.page(statuses=statuses, limit=limit, cursor=cursor)


def start(grant: Grant, import_id: str, *, now: datetime, expected: ExpectedVersion | None) -> ImportJob:
    """Start the import on the file uploaded (422 naming `file` when there is none; 409 unless open)."""
    job = import_data.require(import_id)
    require_version(expected, job.version, what=f"import {import_id}")
    check_move(job.status, ImportStatus.IN_PROGRESS, import_id=import_id)
    upload = files.uploaded(import_id)
    if upload is None:
        raise InvalidInput("nothing was uploaded: PUT the file to the import's upload_url, then start it", field="file")
    started = import_data.move(job, ImportStatus.IN_PROGRESS, at=now, source_version=upload.version)
    try:
        queues.send(IMPORT_JOBS, JobMessage(JobStep.READ, import_id).message())
    except Exception:
        # Not left in progress with nothing to run it: failed, so that it is created again.
        problem = ImportProblem(NOT_QUEUED, "the import could not be queued; create it again")
        import_data.move(started, ImportStatus.FAILED, at=now, problem=problem)
        raise
    return started


def abort(grant: Grant, import_id: str, *, now: datetime, expected: ExpectedVersion | None) -> ImportJob:
    """Stop the import: rows applied stay applied, no other is (409 once it is finished)."""
    job = import_data.require(import_id)
    require_version(expected, job.version, what=f"import {import_id}")
    aborted = import_data.move(job, ImportStatus.ABORTED, at=now)
    if job.status is ImportStatus.IN_PROGRESS:  # the failed rows of what was applied, in their file
        queues.send(IMPORT_JOBS, JobMessage(JobStep.FINISH, import_id).message())
    return aborted


# --- the steps on the import-jobs queue ---------------------------------------------------------


def run_step(message: JobMessage, *, now: datetime) -> None:
    if message.step is JobStep.READ:
        read(message.import_id, now=now)
    else:
        finish(message.import_id, now=now)


def read(import_id: str, *, now: datetime) -> None:
    """Read the whole file, then send its rows in chunks (resuming after the chunks sent before)."""
    job = import_data.get(import_id)
    if job is None or job.status is not ImportStatus.IN_PROGRESS:
        return  # aborted, or done by an earlier delivery
    import_rules = rules.imports()
    if job.chunks_total is None:
        try:
            rows, chunks = _check_file(job)
        except ImportFileError as error:
            logger.info("import file refused", import_id=import_id, code=error.code, line=error.line)
            _fail(job, ImportProblem.of(error), now=now)
            return
        job = import_data.record_read(import_id, rows=rows, chunks=chunks)
        if chunks == 0:
            finish(import_id, now=now)
            return
    pending = (
        chunk.message() for chunk in chunks_of(import_id, _rows(job), import_rules) if chunk.number > job.chunks_sent
    )
    sent, requests = job.chunks_sent, 0
    for count in queues.send_all(IMPORT_ROWS, pending):
        sent, requests = sent + count, requests + 1
        if requests % SENT_RECORDED_EVERY == 0:
            import_data.record_sent(import_id, sent)
            if import_data.require(import_id).status is not ImportStatus.IN_PROGRESS:
                return  # aborted meanwhile: the rest is not sent
    import_data.record_sent(import_id, sent)


def _rows(job: ImportJob) -> Iterator[SourceRow]:
    return read_rows(files.read_upload(job.import_id, job.source_version), job.kind, job.encoding, rules.imports())


def _check_file(job: ImportJob) -> tuple[int, int]:
    """The rows and chunks of the whole file, or its `ImportFileError`."""
    import_rules = rules.imports()
    upload = files.uploaded(job.import_id)
    if upload is None:
        raise ImportFileError(FileProblem.EMPTY, "the uploaded file is gone (deleted since the import started)")
    if upload.size > import_rules.max_file_bytes:
        raise ImportFileError(
            FileProblem.TOO_LARGE,
            f"the file has {upload.size:,} bytes; an import takes {import_rules.max_file_bytes:,} at most: split it",
        )
    rows = chunks = 0
    for chunk in chunks_of(job.import_id, _rows(job), import_rules):
        rows += len(chunk.rows)
        chunks += 1
    return rows, chunks


def _fail(job: ImportJob, problem: ImportProblem, *, now: datetime) -> None:
    with suppress(Conflict):  # aborted meanwhile: it stays aborted
        import_data.move(job, ImportStatus.FAILED, at=now, problem=problem)


def finish(import_id: str, *, now: datetime) -> None:
    """Once every chunk is settled (or the import was aborted): the failed-rows file from the
    chunks' parts, in file order, then the import complete. Safe to run twice."""
    job = import_data.get(import_id)
    if job is None or job.status not in (ImportStatus.IN_PROGRESS, ImportStatus.ABORTED):
        return
    if job.status is ImportStatus.IN_PROGRESS and not job.all_settled:
        return  # a chunk is still out
    if not job.failed_rows:
        failed_chunks = list(import_data.chunks_with_failures(import_id))
        if failed_chunks:
            files.write_failed_rows(import_id, lambda out: _join_parts(out, job.kind, failed_chunks, import_id))
            import_data.record_failed_rows(import_id)
    if job.status is ImportStatus.IN_PROGRESS:
        with suppress(Conflict):  # aborted at the last moment, or completed by a twin delivery
            import_data.move(job, ImportStatus.COMPLETE, at=now)


def _join_parts(out: IO[bytes], kind: ImportKind, chunks: list[int], import_id: str) -> None:
    FailedRowsWriter(out, kind, rules.imports())  # the byte-order mark and the heading
    for chunk in chunks:
        out.write(files.read_failed_part(import_id, chunk))
