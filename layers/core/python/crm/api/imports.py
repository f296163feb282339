"""Request and response bodies of the bulk imports (API.md "imports"; DOMAIN §13), and the rows of
an import read by the API's own request models: a metrics row as `PUT /clients/{id}/metrics/{year}`
reads its year and figures, a clients row as `POST /clients` reads its body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, ValidationError

from crm import rules
from crm.api.client_metrics import YearFigures
from crm.api.clients import NewClient
from crm.api.models import Model, Strict
from crm.api.problems import field_problem
from crm.api.query import NextCursor
from crm.domain.classification import YearMetrics
from crm.domain.client import Client
from crm.domain.imports import ChunkRow, FileEncoding, ImportJob, ImportKind, ImportStatus, RowFailure
from crm.errors import DetailCode, FieldProblem
from crm.services.import_rows import MetricsRow, ParsedRow

FIGURES = ("assets", "avg_assets", "trade_volume")
YEARS = (2000, 2100)  # as the metrics route's path takes them
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _known_encoding(value: FileEncoding) -> FileEncoding:
    known = rules.imports().encodings
    if value not in known:
        raise ValueError(f"is one of {', '.join(known)}")
    return value


class NewImport(Strict):
    kind: ImportKind = Field(description="clients: the existing book of accounts (once); metrics: a year's figures")
    encoding: Annotated[FileEncoding, AfterValidator(_known_encoding)] | None = Field(
        default=None, description="utf-8 (a byte-order mark allowed; the default) or gbk"
    )
    file_name: str = Field(min_length=1, max_length=200, description="The file's name as the trading system wrote it")


class ImportProblemOut(Model):
    code: str = Field(description="empty, not_csv, unknown_header, bad_encoding, too_large, too_many_rows, not_queued")
    message: str
    line: int | None = Field(description="The line of the file where it was found, when one")


class ImportOut(Model):
    import_id: str
    kind: ImportKind
    encoding: str
    file_name: str
    status: ImportStatus = Field(description="open → in_progress → complete | failed | aborted")
    rows: int = Field(description="Rows in the file, once it has been read")
    succeeded: int = Field(description="Rows applied or already so")
    failed: int = Field(description="Rows reported in the failed-rows file")
    unchanged: int = Field(description="Rows among `succeeded` that changed nothing")
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    upload_url: str | None = Field(description="While open: a presigned PUT for the CSV file")
    failed_rows_url: str | None = Field(
        description="Once finished with failed rows: a presigned GET of the failed-rows file (15 minutes)"
    )
    problem: ImportProblemOut | None = Field(description="Why a failed import failed")
    rules_version: str

    @classmethod
    def of(cls, job: ImportJob, *, upload_url: str | None, failed_rows_url: str | None) -> ImportOut:
        counts = job.counts
        return cls(
            import_id=job.import_id,
            kind=job.kind,
            encoding=job.encoding,
            file_name=job.file_name,
            status=job.status,
            rows=counts.rows,
            succeeded=counts.succeeded,
            failed=counts.failed,
            unchanged=counts.unchanged,
            created_at=job.created_at,
            created_by=job.created_by,
            started_at=job.started_at,
            finished_at=job.finished_at,
            upload_url=upload_url,
            failed_rows_url=failed_rows_url,
            problem=(
                ImportProblemOut(code=job.problem.code, message=job.problem.message, line=job.problem.line)
                if job.problem
                else None
            ),
            rules_version=job.rules_version,
        )


class ImportPage(Model):
    items: list[ImportOut]
    next_cursor: NextCursor = None


# --- the rows -------------------------------------------------------------------------------------


def _failures(row: ChunkRow, problems: list[FieldProblem]) -> tuple[RowFailure, ...]:
    return tuple(RowFailure(row.line, p.field, p.code.value, p.message, row.values) for p in problems)


def _model_problems(error: ValidationError) -> list[FieldProblem]:
    return [field_problem({**found, "loc": ("body", *found.get("loc", ()))}) for found in error.errors()]


def _read(model: type[BaseModel], values: Mapping[str, Any]) -> tuple[Any, list[FieldProblem]]:
    try:
        return model.model_validate(values), []
    except ValidationError as error:
        return None, _model_problems(error)


def _number(field: str, text: str) -> tuple[Decimal | None, FieldProblem | None]:
    if not text:
        return None, FieldProblem(field, DetailCode.REQUIRED, f"{field} is required")
    if _NUMBER.fullmatch(text):  # decimals only: Decimal() takes every text the pattern admits
        return Decimal(text), None
    return None, FieldProblem(field, DetailCode.INVALID, f"{field}: {text!r} is not a number such as 1234.56")


def metrics_row(row: ChunkRow, job: ImportJob, now: datetime) -> ParsedRow:
    """A metrics row: `client_id`, `year` (2000–2100) and the figures of `PUT …/metrics/{year}`."""
    if row.failure is not None:
        return ParsedRow(row, None, (row.failure,))
    problems: list[FieldProblem] = []
    client_id, year_text = row.values.get("client_id", ""), row.values.get("year", "")
    if not client_id:
        problems.append(FieldProblem("client_id", DetailCode.REQUIRED, "client_id is required"))
    year = int(year_text) if year_text.isdecimal() and len(year_text) == 4 else None
    if year is None or not YEARS[0] <= year <= YEARS[1]:
        problems.append(FieldProblem("year", DetailCode.INVALID, f"year: {year_text!r} is not a year 2000–2100"))
    figures: dict[str, Decimal] = {}
    for field in FIGURES:
        number, problem = _number(field, row.values.get(field, ""))
        if problem is not None:
            problems.append(problem)
        elif number is not None:
            figures[field] = number
    read, found = _read(YearFigures, figures) if len(figures) == len(FIGURES) else (None, [])
    problems += found
    if problems or year is None or read is None:
        return ParsedRow(row, None, _failures(row, problems))
    metrics = YearMetrics(year=year, assets=read.assets, avg_assets=read.avg_assets, trade_volume=read.trade_volume)
    return ParsedRow(row, MetricsRow(client_id, metrics))


def client_row(row: ChunkRow, job: ImportJob, now: datetime) -> ParsedRow:
    """A clients row: the body of `POST /clients` (an empty email or birthday: none)."""
    if row.failure is not None:
        return ParsedRow(row, None, (row.failure,))
    body = {name: value for name, value in row.values.items() if value or name not in ("email", "birthday")}
    read, problems = _read(NewClient, body)
    if problems:
        return ParsedRow(row, None, _failures(row, problems))
    return ParsedRow(row, Client(**read.model_dump(), created_at=now, created_by=job.created_by))


ROW_PARSERS = {ImportKind.METRICS: metrics_row, ImportKind.CLIENTS: client_row}


def parse_row(row: ChunkRow, job: ImportJob, now: datetime) -> ParsedRow:
    return ROW_PARSERS[job.kind](row, job, now)
