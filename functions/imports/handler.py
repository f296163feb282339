"""Bulk-import routes (DOMAIN §13; API.md "imports"): headquarters creates an import and gets a
presigned PUT for its CSV file, starts it once the file is there, and follows its state and
counts until the failed-rows file can be downloaded; it may abort it. The work itself runs on
the queues of functions/import_files and functions/import_rows."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_id, request_time, to_json
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.imports import ImportOut, ImportPage, NewImport
from crm.api.query import Cursor, Limit, status_query, statuses
from crm.domain.imports import ImportJob, ImportStatus
from crm.observability import observed
from crm.services import imports as service

app = create_app()

ImportId = Annotated[str, Path(pattern=r"^IMP-\d{8}-[0-9A-Za-z]{1,32}$", max_length=64, description="IMP-YYYYMMDD-…")]


def _out(job: ImportJob) -> ImportOut:
    return ImportOut.of(job, upload_url=service.upload_url(job), failed_rows_url=service.failed_rows_url(job))


@app.post(
    "/imports",
    summary="Create an import: upload its CSV file to `upload_url` (a presigned PUT), then start it",
    tags=["imports"],
    operation_id="createImport",
    responses=documented(201, ImportOut, "The import, open, with its upload URL", etag=True, location=True),
)
def create(body: NewImport, idempotency_key: IdempotencyKey = None) -> Response[ImportOut]:
    def created() -> Response[ImportOut]:
        now = request_time(app)
        job = service.create(
            grant(app),
            body.kind,
            body.encoding,
            body.file_name,
            now=now,
            import_id=service.import_id_for(now, request_id(app)),
        )
        return tagged(_out(job), job.version, status=201, location=new_member(app, job.import_id))

    return once(app, idempotency_key, body, created, to_json)


@app.get(
    "/imports",
    summary="The imports, newest first",
    tags=["imports"],
    operation_id="listImports",
    responses=documented(200, ImportPage, "One page of imports"),
)
def list_imports(
    status: Annotated[str | None, status_query(ImportStatus)] = None, limit: Limit = 50, cursor: Cursor = None
) -> ImportPage:
    chosen = statuses(status, ImportStatus)
    jobs, next_cursor = service.listing(
        grant(app),
        statuses=frozenset(s.value for s in chosen) if chosen else None,
        limit=limit,
        cursor=cursor,
    )
    return ImportPage(items=[_out(job) for job in jobs], next_cursor=next_cursor)


@app.get(
    "/imports/<import_id>",
    summary="An import: its state, counts and, once finished, its failed-rows file",
    tags=["imports"],
    operation_id="getImport",
    responses=documented(200, ImportOut, "The import", 404, etag=True),
)
def get(import_id: ImportId) -> Response[ImportOut]:
    job = service.get(grant(app), import_id)
    return tagged(_out(job), job.version)


@app.post(
    "/imports/<import_id>/start",
    summary="Start the import on the file uploaded (202: it runs on its own; follow it with GET)",
    tags=["imports"],
    operation_id="startImport",
    responses=documented(202, ImportOut, "The import, in progress", 404, 409, 412, etag=True),
)
def start(import_id: ImportId, if_match: IfMatch = None) -> Response[ImportOut]:
    job = service.start(grant(app), import_id, now=request_time(app), expected=expected_version(if_match))
    return tagged(_out(job), job.version, status=202)


@app.post(
    "/imports/<import_id>/abort",
    summary="Abort the import: rows already applied stay applied, the rest are not",
    tags=["imports"],
    operation_id="abortImport",
    responses=documented(200, ImportOut, "The import, aborted", 404, 409, 412, etag=True),
)
def abort(import_id: ImportId, if_match: IfMatch = None) -> Response[ImportOut]:
    job = service.abort(grant(app), import_id, now=request_time(app), expected=expected_version(if_match))
    return tagged(_out(job), job.version)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
