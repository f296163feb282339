"""Bulk imports of the trading system's files (柜台 feeds; DOMAIN §13, API.md "imports"): the pure part.

An import is a job on one uploaded CSV file of one kind, `clients` (the existing book, once) or
`metrics` (the year-end figures), whose header holds exactly the kind's columns in any order
(`rules/imports.toml`). The file is UTF-8 (byte-order mark optional) or GBK. Its states are `open`
→ `in_progress` → `complete` | `failed` | `aborted`, and nothing leaves the last three.

Reading is streaming and holds one record at a time: `read_rows` turns the upload's bytes into
`SourceRow`s, each with the line of the file where it starts (the header is line 1; a quoted field
may span lines). A problem of the file itself (not CSV, an unknown header, bytes the encoding
cannot read, too large) stops the file with an `ImportFileError` naming the line: the job reads the
whole file before it sends any row, so such a file applies nothing. Its rows then go out in
`Chunk`s (at most `batch_rows` rows, small enough for one queue message), each applied by a worker
and settled once (`chunk_counts`): a problem of one row (a wrong number of fields, a bad value) is
that row's alone, listed in the failed-rows file, one line per invalid field with the row as sent
(`FailedRowsWriter`; each cell written as text, never a formula). Every other row is checked by the
same rules as the API and applied whole or reported, never half; a row that is already so counts
as `succeeded` and `unchanged` (`ImportCounts`).

A clients row for an account opened long before it is registered is a migrated record: no
account-opening SMS, no `new_account` callback (`crm.domain.client.is_migrated`; DOMAIN §5).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from crm.domain.csv_cells import safe_row
from crm.domain.rule_values import whole_number
from crm.errors import Conflict, InvalidInput, RuleTableError


class FileEncoding(StrEnum):
    """What an import's file may be written in (which of them a brokerage takes: rules/imports.toml)."""

    UTF_8 = "utf-8"
    GBK = "gbk"


class ImportKind(StrEnum):
    CLIENTS = "clients"
    METRICS = "metrics"


# The fields a column may carry: those of `POST /clients` and of `PUT /clients/{id}/metrics/{year}`.
KNOWN_FIELDS: Mapping[ImportKind, frozenset[str]] = {
    ImportKind.CLIENTS: frozenset(
        {"client_id", "name", "id_number", "phone", "email", "birthday", "branch_id", "manager_id", "opened_on"}
    ),
    ImportKind.METRICS: frozenset({"client_id", "year", "assets", "avg_assets", "trade_volume"}),
}
OPTIONAL_FIELDS: Mapping[ImportKind, frozenset[str]] = {
    ImportKind.CLIENTS: frozenset({"email", "birthday"}),
    ImportKind.METRICS: frozenset(),
}
ROW_COLUMN = "row"  # the line number, first column of the normalized and failed-rows files
FAILURE_COLUMNS = (ROW_COLUMN, "field", "code", "message")
FIELD_COUNT = "field_count"  # the row's code when its number of fields differs from the header's
WHOLE_ROW = ""  # the field a failure names when it concerns the whole row

# How each encoding a request may name is read. GBK files are read as GB18030, its superset: every
# GBK byte sequence decodes to the same character under both, and GB18030 (the mandatory national
# standard) also reads the rare characters of names (生僻字) that systems exporting "GBK" write as
# four-byte sequences. A UTF-8 file may start with a byte-order mark (Excel's "CSV UTF-8" writes one).
CODECS: Mapping[str, str] = {"utf-8": "utf-8-sig", "gbk": "gb18030"}

# Stripped from around a value: spaces of every script (the ideographic space U+3000 included),
# tabs and line breaks; never other control characters, which the row check reports.
_BLANKS = " \t\r\n\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_SHOWN_BAD_BYTES = 8


class ImportStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"
    ABORTED = "aborted"

    @property
    def is_finished(self) -> bool:
        return not MOVES[self]


MOVES: Mapping[ImportStatus, frozenset[ImportStatus]] = {
    ImportStatus.OPEN: frozenset({ImportStatus.IN_PROGRESS, ImportStatus.ABORTED}),
    ImportStatus.IN_PROGRESS: frozenset({ImportStatus.COMPLETE, ImportStatus.FAILED, ImportStatus.ABORTED}),
    ImportStatus.COMPLETE: frozenset(),
    ImportStatus.FAILED: frozenset(),
    ImportStatus.ABORTED: frozenset(),
}
_MOVE_NAMES = {
    ImportStatus.IN_PROGRESS: "be started",
    ImportStatus.COMPLETE: "complete",
    ImportStatus.FAILED: "fail",
    ImportStatus.ABORTED: "be aborted",
    ImportStatus.OPEN: "be reopened",
}


def check_move(current: ImportStatus, target: ImportStatus, *, import_id: str) -> ImportStatus:
    """`target`, if an import in `current` may move there; otherwise 409 naming the current status
    (starting twice, aborting a finished import)."""
    if target not in MOVES[current]:
        raise Conflict(f"import {import_id} is {current}: it cannot {_MOVE_NAMES[target]}", field="status")
    return target


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class ImportRules:
    version: str
    columns: Mapping[ImportKind, tuple[str, ...]]
    encodings: tuple[str, ...]  # the first is the default
    max_file_bytes: int
    max_rows: int
    max_row_chars: int
    batch_rows: int
    upload_url_expires_s: int
    failed_rows_url_expires_s: int

    def columns_of(self, kind: ImportKind) -> tuple[str, ...]:
        return self.columns[kind]

    @property
    def default_encoding(self) -> str:
        return self.encodings[0]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ImportRules:
        """The table, checked."""
        counts = (
            "max_file_bytes",
            "max_rows",
            "max_row_chars",
            "batch_rows",
            "upload_url_expires_s",
            "failed_rows_url_expires_s",
        )
        unknown = set(table) - {"version", "encodings", "columns", *counts}
        if unknown:
            raise RuleTableError(f"imports table: unknown keys {sorted(unknown)}")
        try:
            rules = cls(
                version=str(table["version"]),
                columns={ImportKind(kind): _names(names) for kind, names in table["columns"].items()},
                encodings=_names(table["encodings"]),
                **{name: whole_number(table[name]) for name in counts},
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise RuleTableError(f"imports table: {exc!r}") from exc
        problems = [*rules._column_problems(), *rules._limit_problems()]
        if problems:
            raise RuleTableError("imports table: " + "; ".join(problems))
        return rules

    def _column_problems(self) -> Iterator[str]:
        for kind in ImportKind:
            columns = self.columns.get(kind)
            if columns is None:
                yield f"columns.{kind} is missing"
                continue
            if len(set(columns)) != len(columns):
                yield f"columns.{kind} names a column twice"
            if set(columns) - KNOWN_FIELDS[kind]:
                yield f"columns.{kind}: {sorted(set(columns) - KNOWN_FIELDS[kind])} are not fields of a {kind} row"
            required = KNOWN_FIELDS[kind] - OPTIONAL_FIELDS[kind]
            if required - set(columns):
                yield f"columns.{kind} lacks the required {sorted(required - set(columns))}"

    def _limit_problems(self) -> Iterator[str]:
        if not self.encodings or len(set(self.encodings)) != len(self.encodings):
            yield "encodings lists at least one encoding, each once"
        if set(self.encodings) - set(CODECS):
            yield f"encodings are among {sorted(CODECS)}"
        if not 1 <= self.max_file_bytes <= 5 * 1024**3:
            yield "max_file_bytes lies within 1 byte and 5 GiB (one S3 PUT)"
        if self.max_rows < 1:
            yield "max_rows is at least 1"
        if not 1_000 <= self.max_row_chars <= 32_768:
            yield "max_row_chars lies within 1,000 and 32,768 (a row must fit in one queue message)"
        if not 1 <= self.batch_rows <= 100:
            yield "batch_rows lies within 1 and 100 (DynamoDB's limit on one batch or transaction)"
        for name in ("upload_url_expires_s", "failed_rows_url_expires_s"):
            if not 60 <= getattr(self, name) <= 7 * 86400:
                yield f"{name} lies within a minute and 7 days (a presigned URL's longest life)"


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise TypeError(f"{value!r} is not a list of names")
    return tuple(value)


# ---------------------------------------------------------------------------------------------
# Reading an upload


class FileProblem(StrEnum):
    EMPTY = "empty"
    NOT_CSV = "not_csv"
    UNKNOWN_HEADER = "unknown_header"
    BAD_ENCODING = "bad_encoding"
    TOO_LARGE = "too_large"
    TOO_MANY_ROWS = "too_many_rows"


class ImportFileError(InvalidInput):
    """The uploaded file as a whole cannot be imported; `code` is a `FileProblem`, `line` where
    it was found (None: the file as a whole)."""

    def __init__(self, code: FileProblem, message: str, line: int | None = None) -> None:
        super().__init__(message, field="file", code=code.value)
        self.line = line


@dataclass(frozen=True)
class SourceRow:
    """One record of the file: where it starts, its values by column (stripped) and its fields as sent."""

    line: int
    values: dict[str, str]
    raw: tuple[str, ...]
    header_fields: int

    @property
    def field_count_problem(self) -> str | None:
        """Why the row cannot be read against the header (a row problem, not a file problem), or None."""
        if len(self.raw) == self.header_fields:
            return None
        return f"the row has {len(self.raw)} fields; the header has {self.header_fields}"


class _Lines:
    """The upload's physical lines, decoded as its bytes arrive; counts them and bounds a record.

    A line feed byte (0x0A) is never part of a multi-byte character in UTF-8 or GB18030, so the
    bytes are cut into lines before decoding: an undecodable byte is always on a known line.
    """

    def __init__(self, chunks: Iterable[bytes], encoding: str, rules: ImportRules) -> None:
        self._chunks = chunks
        self._encoding = encoding
        self._rules = rules
        self.lines_read = 0
        self._record_start = 1
        self._record_chars = 0

    def begin_record(self) -> int:
        """Mark where the next record starts; its line number."""
        self._record_start = self.lines_read + 1
        self._record_chars = 0
        return self._record_start

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(CODECS[self._encoding])()
        pending: list[str] = []  # the pieces of the line being read
        pending_chars = 0
        size = 0
        for chunk in self._checked_start(self._chunks):
            size += len(chunk)
            if size > self._rules.max_file_bytes:
                raise ImportFileError(
                    FileProblem.TOO_LARGE,
                    f"the file is larger than {self._rules.max_file_bytes:,} bytes: split it",
                )
            for segment, ends_line in _segments(chunk):
                line = self.lines_read + 1
                if b"\x00" in segment:
                    raise ImportFileError(
                        FileProblem.NOT_CSV,
                        f"line {line} holds a NUL byte: the file is binary (a workbook? save it as CSV)",
                        line=line,
                    )
                text = self._decode(decoder, segment, line, final=False)
                pending.append(text)
                pending_chars += len(text)
                self._check_record_size(pending_chars)
                if ends_line:
                    yield self._take(pending)
                    pending_chars = 0
        pending.append(self._decode(decoder, b"", self.lines_read + 1, final=True))
        if any(pending):
            yield self._take(pending)

    def _take(self, pending: list[str]) -> str:
        line = "".join(pending)
        pending.clear()
        self.lines_read += 1
        self._record_chars += len(line)
        return line

    def _check_record_size(self, pending_chars: int) -> None:
        limit = self._rules.max_row_chars
        if self._record_chars + pending_chars > limit:
            start = self._record_start
            raise ImportFileError(
                FileProblem.NOT_CSV,
                f"the record starting on line {start} is longer than {limit:,} characters"
                " (a quote never closed?): not a row of an import file",
                line=start,
            )

    def _checked_start(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks, once their first bytes show no byte-order mark of another encoding."""
        rest = iter(chunks)
        head = b""
        for chunk in rest:
            head += chunk
            if len(head) >= len(codecs.BOM_UTF8):
                break
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(
                FileProblem.BAD_ENCODING, "the file is UTF-16 text: save it as CSV (UTF-8 or GBK)", line=1
            )
        if self._encoding != "utf-8" and head.startswith(codecs.BOM_UTF8):
            raise ImportFileError(
                FileProblem.BAD_ENCODING,
                f"the file starts with a UTF-8 byte-order mark: it is UTF-8, not {self._encoding}"
                " (import it with encoding utf-8)",
                line=1,
            )
        if head:
            yield head
        yield from rest

    def _decode(self, decoder: codecs.IncrementalDecoder, data: bytes, line: int, *, final: bool) -> str:
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start : exc.end][:_SHOWN_BAD_BYTES].hex(" ")
            others = [name for name in self._rules.encodings if name != self._encoding]
            hint = f"; if the file is {others[0]}, import it with encoding {others[0]}" if others else ""
            raise ImportFileError(
                FileProblem.BAD_ENCODING,
                f"line {line} cannot be read as {self._encoding} (bytes {bad}){hint}",
                line=line,
            ) from None


def _segments(chunk: bytes) -> Iterator[tuple[bytes, bool]]:
    """The chunk cut after each line feed; whether each piece ends a line."""
    start = 0
    while (end := chunk.find(b"\n", start)) >= 0:
        yield chunk[start : end + 1], True
        start = end + 1
    if start < len(chunk):
        yield chunk[start:], False


# What breaks CSV, from Python's words into those of the person who exported the file.
_CSV_PROBLEMS = {
    "unexpected end of data": "a quoted field is never closed",
    "',' expected after '\"'": "text follows a closing quote (quote the whole field and double the quotes inside)",
    "new-line character seen in unquoted field": "a carriage return inside a field that is not quoted",
}


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    return next((plain for known, plain in _CSV_PROBLEMS.items() if text.startswith(known)), text)


def _is_blank(fields: list[str]) -> bool:
    """An empty line, or one of only separators (spreadsheets export formatted empty rows so)."""
    return not any(field.strip(_BLANKS) for field in fields)


def _header(fields: list[str], kind: ImportKind, rules: ImportRules, line: int) -> tuple[str, ...]:
    names = tuple(field.strip(_BLANKS + "\ufeff") for field in fields)
    columns = rules.columns_of(kind)
    unknown = [name for name in dict.fromkeys(names) if name not in columns]
    missing = [name for name in columns if name not in names]
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if not (unknown or missing or repeated):
        return names
    problems = [
        f"{label}: {', '.join(repr(name) for name in found)}"
        for label, found in (("unknown", unknown), ("missing", missing), ("repeated", repeated))
        if found
    ]
    other = [other for other in ImportKind if other != kind and set(names) == set(rules.columns_of(other))]
    hint = f" (this is the header of a {other[0]} file)" if other else ""
    raise ImportFileError(
        FileProblem.UNKNOWN_HEADER,
        f"the header of a {kind} file holds exactly {', '.join(columns)} (any order) — {'; '.join(problems)}{hint}",
        line=line,
    )


def read_rows(chunks: Iterable[bytes], kind: ImportKind, encoding: str, rules: ImportRules) -> Iterator[SourceRow]:
    """The rows of an uploaded file, read as its chunks arrive (memory: one chunk and one record).

    Blank lines, and lines of separators only, are skipped. A file problem raises `ImportFileError`
    when it is met, possibly after rows were yielded: read the whole file before applying any row.
    """
    if encoding not in rules.encodings:
        raise InvalidInput(f"encoding is one of {', '.join(rules.encodings)}", field="encoding")
    source = _Lines(chunks, encoding, rules)
    records = csv.reader(source, strict=True)  # strict: a quote left open is an error, not data
    header: tuple[str, ...] | None = None
    rows = 0
    while True:
        start = source.begin_record()
        try:
            fields = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFileError(
                FileProblem.NOT_CSV, f"the record starting on line {start} is not CSV: {_csv_problem(exc)}", line=start
            ) from None
        if _is_blank(fields):
            continue
        if header is None:
            header = _header(fields, kind, rules, start)
            continue
        rows += 1
        if rows > rules.max_rows:
            raise ImportFileError(
                FileProblem.TOO_MANY_ROWS, f"the file holds more than {rules.max_rows:,} rows: split it", line=start
            )
        values = {name: value.strip(_BLANKS) for name, value in zip(header, fields, strict=False)}
        yield SourceRow(line=start, values=values, raw=tuple(fields), header_fields=len(header))
    if header is None:
        raise ImportFileError(FileProblem.EMPTY, "the file is empty: it has no header row")


# ---------------------------------------------------------------------------------------------
# Writing the failed-rows file


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _CsvSink:
    """CSV lines to a binary file, one record at a time (nothing accumulates)."""

    def __init__(self, out: ByteSink, dialect: type[csv.Dialect]) -> None:
        self._out = out
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, dialect)

    def write(self, cells: Iterable[str]) -> None:
        self._writer.writerow(cells)
        self._out.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()


@dataclass(frozen=True)
class RowFailure:
    """One invalid field of one row (a row with two bad fields has two), with the row as sent."""

    line: int
    field: str  # WHOLE_ROW when the problem is the row's own
    code: str
    message: str
    values: Mapping[str, str]


class FailedRowsWriter:
    """The failed-rows file: CSV in UTF-8 with a byte-order mark (Excel opens it as such), CRLF,
    `row,field,code,message` and then the kind's columns; every cell written as text (OWASP).
    A part of it (one chunk's failures, joined to the others at the end) has no heading."""

    def __init__(self, out: ByteSink, kind: ImportKind, rules: ImportRules, *, heading: bool = True) -> None:
        self._columns = rules.columns_of(kind)
        self._sink = _CsvSink(out, csv.excel)
        if heading:
            out.write(codecs.BOM_UTF8)
            self._sink.write((*FAILURE_COLUMNS, *self._columns))

    def write(self, failure: RowFailure) -> None:
        cells = (str(failure.line), failure.field, failure.code, failure.message)
        self._sink.write(safe_row((*cells, *(failure.values.get(name, "") for name in self._columns))))


# ---------------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True)
class ImportCounts:
    """`succeeded` counts the rows applied or already so, `unchanged` those of them that changed
    nothing (so unchanged ≤ succeeded); the job is done when succeeded + failed = rows."""

    rows: int = 0
    succeeded: int = 0
    failed: int = 0
    unchanged: int = 0

    def __post_init__(self) -> None:
        if min(self.rows, self.succeeded, self.failed, self.unchanged) < 0 or self.unchanged > self.succeeded:
            raise ValueError(f"impossible counts {self}")

    def __add__(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            rows=self.rows + other.rows,
            succeeded=self.succeeded + other.succeeded,
            failed=self.failed + other.failed,
            unchanged=self.unchanged + other.unchanged,
        )

    @property
    def settled(self) -> int:
        return self.succeeded + self.failed


class RowOutcome(StrEnum):
    CHANGED = "changed"  # applied: the records now hold the row
    UNCHANGED = "unchanged"  # already so: nothing written
    FAILED = "failed"  # reported in the failed-rows file, nothing written


def chunk_counts(outcomes: Mapping[int, RowOutcome], planned: Collection[int]) -> ImportCounts:
    """A chunk's counts from each row's outcome (by line). `planned`: the rows an earlier delivery
    of the chunk set out to change; such a row found already so was changed by that delivery (it
    died before settling the chunk), so it counts as changed, not unchanged: a redelivered chunk
    counts as the first delivery would have."""
    changed = unchanged = failed = 0
    for line, outcome in outcomes.items():
        if outcome is RowOutcome.FAILED:
            failed += 1
        elif outcome is RowOutcome.CHANGED or line in planned:
            changed += 1
        else:
            unchanged += 1
    return ImportCounts(succeeded=changed + unchanged, failed=failed, unchanged=unchanged)


# ---------------------------------------------------------------------------------------------
# Chunks: the rows as the workers get them


# What one chunk's message may hold of rows: SQS takes 256 KiB a message; the rest is the envelope.
MAX_CHUNK_BYTES = 200_000


@dataclass(frozen=True)
class ChunkRow:
    """A row as a worker gets it: its line, its values by column, and why it cannot be read
    against the header (`SourceRow.field_count_problem`), if it cannot."""

    line: int
    values: Mapping[str, str]
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "values": dict(self.values), "problem": self.problem}

    @property
    def failure(self) -> RowFailure | None:
        """The row's own failure (a wrong number of fields), before any of its values is checked."""
        if self.problem is None:
            return None
        return RowFailure(self.line, WHOLE_ROW, FIELD_COUNT, self.problem, self.values)


@dataclass(frozen=True)
class Chunk:
    """Rows of one import in file order; `number` counts from 1, the same on every reading of the
    same file, so a chunk sent twice is the same chunk."""

    import_id: str
    number: int
    rows: tuple[ChunkRow, ...]

    def message(self) -> str:
        body = {"import_id": self.import_id, "chunk": self.number, "rows": [row.as_json() for row in self.rows]}
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_message(cls, body: str) -> Chunk:
        try:
            parsed = json.loads(body)
            rows = tuple(
                ChunkRow(int(row["line"]), {str(k): str(v) for k, v in row["values"].items()}, row.get("problem"))
                for row in parsed["rows"]
            )
            return cls(import_id=str(parsed["import_id"]), number=int(parsed["chunk"]), rows=rows)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a chunk of an import: {exc!r}") from None


def _row_bytes(row: ChunkRow) -> int:
    return len(json.dumps(row.as_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1


def chunks_of(import_id: str, rows: Iterable[SourceRow], rules: ImportRules) -> Iterator[Chunk]:
    """The rows in chunks of at most `batch_rows` rows and `MAX_CHUNK_BYTES`, in file order."""
    pending: list[ChunkRow] = []
    size = number = 0
    for source in rows:
        row = ChunkRow(source.line, source.values, source.field_count_problem)
        row_bytes = _row_bytes(row)
        if pending and (len(pending) == rules.batch_rows or size + row_bytes > MAX_CHUNK_BYTES):
            number += 1
            yield Chunk(import_id, number, tuple(pending))
            pending, size = [], 0
        pending.append(row)
        size += row_bytes
    if pending:
        yield Chunk(import_id, number + 1, tuple(pending))


class JobStep(StrEnum):
    READ = "read"  # check the whole file, then send its chunks
    FINISH = "finish"  # every chunk settled (or the import aborted): the failed-rows file, the end


@dataclass(frozen=True)
class JobMessage:
    step: JobStep
    import_id: str

    def message(self) -> str:
        return json.dumps({"step": self.step.value, "import_id": self.import_id})

    @classmethod
    def from_message(cls, body: str) -> JobMessage:
        try:
            parsed = json.loads(body)
            return cls(JobStep(parsed["step"]), str(parsed["import_id"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a step of an import: {exc!r}") from None


# ---------------------------------------------------------------------------------------------
# The job


@dataclass(frozen=True)
class ImportProblem:
    """Why an import failed as a whole: a `FileProblem` code, a message, the line (if one)."""

    code: str
    message: str
    line: int | None = None

    @classmethod
    def of(cls, error: ImportFileError) -> ImportProblem:
        return cls(code=error.code, message=error.message, line=error.line)


@dataclass(frozen=True)
class ImportJob:
    import_id: str
    kind: ImportKind
    encoding: str
    file_name: str
    status: ImportStatus
    created_at: datetime
    created_by: str
    rules_version: str
    counts: ImportCounts = ImportCounts()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    problem: ImportProblem | None = None
    source_version: str | None = None  # the version of the upload the import reads (S3 VersionId)
    chunks_total: int | None = None  # known once the whole file is read
    chunks_sent: int = 0
    chunks_settled: int = 0
    failed_rows: bool = False  # its failed-rows file is written
    version: int = 1

    @property
    def all_settled(self) -> bool:
        return self.chunks_total is not None and self.chunks_settled >= self.chunks_total


def upload_key(import_id: str) -> str:
    return f"imports/{import_id}/upload.csv"


def failed_rows_key(import_id: str) -> str:
    return f"imports/{import_id}/failed-rows.csv"


def failed_part_key(import_id: str, chunk: int) -> str:
    return f"imports/{import_id}/failed-parts/{chunk:08d}.csv"
