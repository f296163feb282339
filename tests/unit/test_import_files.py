"""Import files of the trading system: reading an upload, the chunks the rows travel in, the
failed-rows file, the job's states and counts (DOMAIN §13, §5; API.md "imports"; rules/imports.toml)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm import rules
from crm.domain.imports import (
    MAX_CHUNK_BYTES,
    MOVES,
    Chunk,
    FailedRowsWriter,
    FileProblem,
    ImportCounts,
    ImportFileError,
    ImportKind,
    ImportRules,
    ImportStatus,
    JobMessage,
    JobStep,
    RowFailure,
    RowOutcome,
    SourceRow,
    check_move,
    chunk_counts,
    chunks_of,
    read_rows,
)
from crm.errors import Conflict, InvalidInput

RULES = rules.imports()
METRICS, CLIENTS = ImportKind.METRICS, ImportKind.CLIENTS
METRICS_HEADER = "client_id,year,assets,avg_assets,trade_volume"
CLIENTS_HEADER = "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def read(
    data: bytes,
    kind: ImportKind = METRICS,
    encoding: str = "utf-8",
    *,
    chunk: int = 65536,
    import_rules: ImportRules = RULES,
) -> list[SourceRow]:
    return list(read_rows(chunked(data, chunk), kind, encoding, import_rules))


def refused(data: bytes, encoding: str = "utf-8", **options: Any) -> ImportFileError:
    with pytest.raises(ImportFileError) as raised:
        read(data, encoding=encoding, **options)
    return raised.value


def metrics_file(*rows: str, newline: str = "\r\n") -> str:
    return newline.join((METRICS_HEADER, *rows)) + newline


# --- the rule table ---------------------------------------------------------------------------


def test_the_shipped_table_holds_the_columns_of_api_md() -> None:
    assert ",".join(RULES.columns_of(METRICS)) == METRICS_HEADER
    assert ",".join(RULES.columns_of(CLIENTS)) == CLIENTS_HEADER
    assert RULES.encodings == ("utf-8", "gbk")
    assert RULES.default_encoding == "utf-8"
    assert RULES.batch_rows <= 100


def test_a_brokerage_may_drop_an_optional_column() -> None:
    table = rules.load_table("imports")
    table["columns"]["clients"] = [name for name in table["columns"]["clients"] if name != "email"]
    assert "email" not in ImportRules.from_table(table).columns_of(CLIENTS)


def _set(path: str, value: object) -> Any:
    def breakage(table: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            table = table[part]
        table[last] = value

    return breakage


@pytest.mark.parametrize(
    "breakage",
    [
        _set("columns.metrics", ["client_id", "year", "assets", "avg_assets", "volume"]),  # not a field
        _set("columns.metrics", ["client_id", "year", "assets", "avg_assets"]),  # a required field missing
        _set("columns.metrics", ["client_id", "year", "assets", "avg_assets", "trade_volume", "year"]),
        _set("columns.clients", "client_id,name"),
        _set("columns.loans", ["client_id"]),
        _set("encodings", ["utf-8", "big5"]),
        _set("encodings", []),
        _set("max_file_bytes", 6 * 1024**3),
        _set("max_rows", 0),
        _set("max_row_chars", 100_000),
        _set("batch_rows", 101),
        _set("batch_rows", 50.5),
        _set("upload_url_expires_s", 8 * 86400),
        _set("max_bytes", 1),
        lambda table: table.pop("version"),
        lambda table: table["columns"].pop("metrics"),
    ],
)
def test_a_broken_table_is_refused(assert_refused: Callable[..., None], breakage: Any) -> None:
    assert_refused("imports", lambda table: ImportRules.from_table(table), breakage)


# --- reading: encodings and chunks ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 65536])
def test_utf8_with_or_without_a_byte_order_mark(encoding: str, chunk: int) -> None:
    data = metrics_file("张三,2025,5000000,1000000,3000000", "C002,2025,1,2,3").encode(encoding)
    rows = read(data, chunk=chunk)
    assert [row.line for row in rows] == [2, 3]
    assert rows[0].values == {
        "client_id": "张三",
        "year": "2025",
        "assets": "5000000",
        "avg_assets": "1000000",
        "trade_volume": "3000000",
    }


@pytest.mark.parametrize("chunk", [1, 2, 3, 65536])
def test_gbk(chunk: int) -> None:
    data = (CLIENTS_HEADER + "\r\nC001,张三,110101199003074514,13800138000,,,B001,mgr1,2024-03-01\r\n").encode("gbk")
    (row,) = read(data, CLIENTS, "gbk", chunk=chunk)
    assert row.values["name"] == "张三"
    assert row.values["email"] == ""
    assert row.line == 2


def test_gbk_is_read_as_gb18030_so_rare_characters_of_names_survive() -> None:
    data = (CLIENTS_HEADER + "\nC001,吉𠮷,110101199003074514,13800138000,,,B001,mgr1,2024-03-01\n").encode("gb18030")
    (row,) = read(data, CLIENTS, "gbk", chunk=1)
    assert row.values["name"] == "吉𠮷"


@pytest.mark.parametrize("chunk", [1, 65536])
def test_a_gbk_file_read_as_utf8_is_refused_at_the_line_of_the_first_unreadable_bytes(chunk: int) -> None:
    data = metrics_file("C001,2025,1,2,3", "C002,2025,1,2,3", "张三,2025,1,2,3").encode("gbk")
    error = refused(data, chunk=chunk)
    assert (error.code, error.line) == (FileProblem.BAD_ENCODING, 4)
    assert "line 4" in error.message
    assert "utf-8" in error.message
    assert "encoding gbk" in error.message  # the other encoding is suggested


def test_utf8_read_as_gbk_may_decode_to_the_wrong_characters() -> None:
    """Documented hazard: UTF-8 bytes are often also valid GBK. 张三 (e5 bc a0 e4 b8 89) pairs up
    into three GBK characters, so the name arrives garbled, not refused; the person choosing the
    encoding is the safeguard. When a pair is not GBK (张 followed by a comma), it is refused."""
    garbled = read(metrics_file("张三,2025,1,2,3").encode("utf-8"), encoding="gbk")
    assert garbled[0].values["client_id"] == "寮犱笁"
    error = refused(metrics_file("张,2025,1,2,3").encode("utf-8"), encoding="gbk")
    assert (error.code, error.line) == (FileProblem.BAD_ENCODING, 2)
    assert "encoding utf-8" in error.message


def test_a_utf8_byte_order_mark_read_as_gbk_says_the_file_is_utf8() -> None:
    error = refused(metrics_file("C001,2025,1,2,3").encode("utf-8-sig"), "gbk", chunk=1)
    assert (error.code, error.line) == (FileProblem.BAD_ENCODING, 1)
    assert "encoding utf-8" in error.message


def test_utf16_is_refused_for_what_it_is() -> None:
    error = refused(metrics_file("C001,2025,1,2,3").encode("utf-16"))
    assert error.code == FileProblem.BAD_ENCODING
    assert "UTF-16" in error.message


def test_a_character_cut_off_at_the_end_of_the_file_is_refused_on_its_line() -> None:
    data = metrics_file("C001,2025,1,2,3").encode() + "张".encode()[:2]
    error = refused(data, chunk=1)
    assert (error.code, error.line) == (FileProblem.BAD_ENCODING, 3)


def test_an_encoding_the_table_does_not_list_is_the_requests_fault() -> None:
    with pytest.raises(InvalidInput) as raised:
        read(b"x", encoding="big5")
    assert not isinstance(raised.value, ImportFileError)
    assert raised.value.field == "encoding"


def test_a_file_error_is_invalid_input_naming_the_file() -> None:
    error = refused(b"")
    assert isinstance(error, InvalidInput)
    assert (error.code, error.field, error.line) == ("empty", "file", None)


# --- reading: the header ----------------------------------------------------------------------


def test_the_header_may_come_in_any_order_with_spaces_around_names() -> None:
    data = " trade_volume ,assets,avg_assets,year,\ufeffclient_id\nC001 , 2025,1,2,3\n".encode()
    (row,) = read(data)
    assert row.values == {"trade_volume": "C001", "assets": "2025", "avg_assets": "1", "year": "2", "client_id": "3"}


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("client_id,year,assets,avg_assets", ["missing: 'trade_volume'"]),
        ("client_id,year,assets,avg_assets,trade_volume,note", ["unknown: 'note'"]),
        ("client_id,year,assets,assets,avg_assets,trade_volume", ["repeated: 'assets'"]),
        ("Client_ID,year,assets,avg_assets,trade_volume", ["unknown: 'Client_ID'", "missing: 'client_id'"]),
        ("client_id,year,assets,avg_assets,trade_volume,", ["unknown: ''"]),
        (CLIENTS_HEADER, ["this is the header of a clients file"]),
    ],
)
def test_a_header_that_is_not_exactly_the_kinds_columns_is_refused(header: str, named: list[str]) -> None:
    error = refused(f"\n{header}\nC001,2025,1,2,3\n".encode())
    assert (error.code, error.line) == (FileProblem.UNKNOWN_HEADER, 2)
    for words in named:
        assert words in error.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b" \n,,,,\n"])
def test_a_file_without_a_header_is_empty(data: bytes) -> None:
    assert refused(data).code == FileProblem.EMPTY


def test_a_header_without_rows_is_an_import_of_nothing() -> None:
    assert read(METRICS_HEADER.encode()) == []


# --- reading: records and lines ---------------------------------------------------------------


def test_quoted_fields_with_commas_and_line_breaks_keep_the_physical_line_numbers() -> None:
    data = metrics_file(
        'C001,2025,"1,000",2,3',
        'C002,2025,"multi\r\nline\r\nfield",2,3',
        "C003,2025,1,2,3",
        '"C004 ""quoted""",2025,1,"2\n",3',
        "C005,2025,1,2,3",
    ).encode()
    rows = read(data, chunk=3)
    assert [row.line for row in rows] == [2, 3, 6, 7, 9]
    assert rows[0].values["assets"] == "1,000"
    assert rows[1].values["assets"] == "multi\r\nline\r\nfield"
    assert rows[3].values["client_id"] == 'C004 "quoted"'
    assert rows[3].raw[3] == "2\n"
    assert rows[3].values["avg_assets"] == "2"  # stripped of surrounding whitespace


def test_blank_lines_are_skipped_and_still_counted() -> None:
    data = metrics_file("", "C001,2025,1,2,3", "   ", ",,,,", " , ,\u3000,,", "C002,2025,1,2,3", newline="\n").encode()
    assert [row.line for row in read(data)] == [3, 7]


def test_a_last_line_without_a_line_break_is_read() -> None:
    (row,) = read((METRICS_HEADER + "\nC001,2025,1,2,3").encode())
    assert row.values["trade_volume"] == "3"


def test_a_row_of_the_wrong_length_is_a_row_problem_not_a_file_problem() -> None:
    short, long, good = read(metrics_file("C001,2025,1", "C002,2025,1,2,3,4", "C003,2025,1,2,3").encode())
    assert short.values == {"client_id": "C001", "year": "2025", "assets": "1"}
    assert short.field_count_problem == "the row has 3 fields; the header has 5"
    assert long.raw == ("C002", "2025", "1", "2", "3", "4")
    assert long.field_count_problem == "the row has 6 fields; the header has 5"
    assert good.field_count_problem is None


def test_control_characters_in_a_field_are_left_for_the_row_check() -> None:
    (row,) = read(metrics_file("C\x1b001\x0c,2025,1,2,3").encode())
    assert row.values["client_id"] == "C\x1b001\x0c"  # never stripped away as if they were spaces


@pytest.mark.parametrize("chunk", [1, 65536])
def test_a_nul_byte_makes_the_file_binary(chunk: int) -> None:
    error = refused(metrics_file("C001,2025,1,2,3", "C\x00002,2025,1,2,3").encode(), chunk=chunk)
    assert (error.code, error.line) == (FileProblem.NOT_CSV, 3)


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('C001,2025,1,2,3\nC002,"2025,1,2,3\n', 3, "never closed"),
        ('C001,"2025"x,1,2,3\n', 2, "closing quote"),
        ("C001,20\r25,1,2,3\n", 2, "carriage return"),
    ],
)
def test_text_that_is_not_csv_is_refused_on_its_line(body: str, line: int, words: str) -> None:
    error = refused((METRICS_HEADER + "\n" + body).encode())
    assert (error.code, error.line) == (FileProblem.NOT_CSV, line)
    assert words in error.message


def test_a_record_longer_than_the_rule_is_refused_where_it_starts() -> None:
    tight = replace(RULES, max_row_chars=1000)
    data = metrics_file("C001,2025,1,2,3", 'C002,"' + "x\n" * 600, newline="\n").encode()
    error = refused(data, import_rules=tight, chunk=7)
    assert (error.code, error.line) == (FileProblem.NOT_CSV, 3)
    assert "1,000 characters" in error.message


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read_through() -> None:
    data = metrics_file(*["C001,2025,1,2,3"] * 10).encode()
    tight = replace(RULES, max_file_bytes=len(data) - 1)
    error = refused(data, import_rules=tight, chunk=16)
    assert error.code == FileProblem.TOO_LARGE
    assert f"{len(data) - 1:,} bytes" in error.message
    assert read(data, import_rules=replace(RULES, max_file_bytes=len(data)))


def test_a_file_with_more_rows_than_the_limit_is_refused() -> None:
    tight = replace(RULES, max_rows=2)
    assert len(read(metrics_file("C001,2025,1,2,3", "", "C002,2025,1,2,3").encode(), import_rules=tight)) == 2
    error = refused(metrics_file("C001,2025,1,2,3", "C002,2025,1,2,3", "C003,2025,1,2,3").encode(), import_rules=tight)
    assert (error.code, error.line) == (FileProblem.TOO_MANY_ROWS, 4)


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)  # every one of them is in GBK
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
CELLS = st.text(st.one_of(CJK, PRINTABLE_ASCII, st.sampled_from(',"\n')), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=12),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    sizes=st.lists(st.integers(1, 7), min_size=1, max_size=16),
)
def test_any_rows_written_as_csv_read_back_alike_in_any_chunks(
    rows: list[list[str]], encoding: str, sizes: list[int]
) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(METRICS_HEADER.split(","))
    expected = []
    for cells in rows:
        line = text.getvalue().count("\n") + 1
        writer.writerow(cells)
        if any(cell.strip() for cell in cells):
            expected.append((line, [cell.strip() for cell in cells]))
    data = text.getvalue().encode(encoding)
    chunks: list[bytes] = []
    start = 0
    while start < len(data):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(data[start : start + size])
        start += size
    got = [(row.line, list(row.values.values())) for row in read_rows(chunks, METRICS, encoding, RULES)]
    assert got == expected


# --- the failed-rows file ---------------------------------------------------------------------


def test_the_failed_rows_file_has_one_line_per_invalid_field_every_cell_as_text() -> None:
    out = io.BytesIO()
    writer = FailedRowsWriter(out, METRICS, RULES)
    row = {"client_id": '=HYPERLINK("http://x","y")', "year": "2025", "assets": "-5", "avg_assets": "@SUM(A1)"}
    writer.write(RowFailure(7, "assets", "invalid_input", "assets must not be negative", row))
    writer.write(RowFailure(7, "avg_assets", "invalid_input", "=not a number", row))
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 3
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == ["row", "field", "code", "message", *METRICS_HEADER.split(",")]
    assert lines[1] == [
        "7",
        "assets",
        "invalid_input",
        "assets must not be negative",
        '\'=HYPERLINK("http://x","y")',
        "2025",
        "-5",  # a plain number is data, not a formula
        "'@SUM(A1)",
        "",  # a value the row did not have
    ]
    assert lines[2][1] == "avg_assets"
    assert lines[2][3] == "'=not a number"


# --- chunks: the rows as the workers get them ----------------------------------------------------


def test_rows_travel_in_chunks_of_at_most_batch_rows_in_file_order() -> None:
    rows = [f"C{n:03d},2025,1,2,3" for n in range(1, 251)]
    chunks = list(chunks_of("IMP-1", read(metrics_file(*rows).encode()), RULES))
    assert [chunk.number for chunk in chunks] == [1, 2, 3]
    assert [len(chunk.rows) for chunk in chunks] == [100, 100, 50]
    assert [row.line for chunk in chunks for row in chunk.rows] == list(range(2, 252))
    assert chunks[0].rows[0].values == {
        "client_id": "C001",
        "year": "2025",
        "assets": "1",
        "avg_assets": "2",
        "trade_volume": "3",
    }


def test_a_chunk_fits_in_one_queue_message_however_long_its_rows() -> None:
    long_name = "名" * 5000  # 15,000 bytes in UTF-8, a long but readable record
    rows = [f'C{n:03d},"{long_name}",{n},1,1,,,B1,mgr-1,2020-01-01' for n in range(60)]
    header = "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"
    data = "\r\n".join((header, *rows)).encode()
    chunks = list(chunks_of("IMP-1", read(data, CLIENTS), RULES))
    assert len(chunks) > 1
    assert all(len(chunk.message().encode()) <= MAX_CHUNK_BYTES + 100 for chunk in chunks)
    assert sum(len(chunk.rows) for chunk in chunks) == 60


def test_a_chunk_survives_its_message_and_keeps_a_row_of_the_wrong_shape_as_its_failure() -> None:
    upload = (
        "trade_volume,assets,avg_assets,year,client_id\r\n"
        '3,1,2,2025,"张三, \\ ""quoted"""\r\n'
        "3,1\r\n"
        '3,1,2,2025,"C\r\n002"\r\n'
    ).encode("gbk")
    (chunk,) = chunks_of("IMP-1", read_rows(chunked(upload, 2), METRICS, "gbk", RULES), RULES)
    again = Chunk.from_message(chunk.message())
    assert again == chunk
    assert [row.line for row in again.rows] == [2, 3, 4]
    assert again.rows[0].values["client_id"] == '张三, \\ "quoted"'
    assert again.rows[2].values["client_id"] == "C\r\n002"
    assert again.rows[0].failure is None
    failure = again.rows[1].failure
    assert failure is not None
    assert (failure.line, failure.field, failure.code) == (3, "", "field_count")


@pytest.mark.parametrize("body", ["", "{}", '{"import_id": "I", "chunk": "x", "rows": []}', "[1]"])
def test_a_message_that_is_no_chunk_is_refused(body: str) -> None:
    with pytest.raises(ValueError, match="not a chunk"):
        Chunk.from_message(body)


def test_a_job_step_survives_its_message() -> None:
    for step in JobStep:
        assert JobMessage.from_message(JobMessage(step, "IMP-1").message()) == JobMessage(step, "IMP-1")
    with pytest.raises(ValueError, match="not a step"):
        JobMessage.from_message('{"step": "dance", "import_id": "IMP-1"}')


def test_a_chunks_failed_rows_part_has_no_heading() -> None:
    out = io.BytesIO()
    FailedRowsWriter(out, METRICS, RULES, heading=False).write(RowFailure(9, "year", "invalid", "no", {"year": "x"}))
    assert out.getvalue() == b"9,year,invalid,no,,x,,,\r\n"


CHANGED, UNCHANGED, FAILED = RowOutcome.CHANGED, RowOutcome.UNCHANGED, RowOutcome.FAILED


def test_a_chunk_counts_each_row_once() -> None:
    outcomes = {2: CHANGED, 3: UNCHANGED, 4: FAILED, 5: UNCHANGED}
    assert chunk_counts(outcomes, frozenset({2})) == ImportCounts(succeeded=3, failed=1, unchanged=2)


def test_a_redelivered_chunk_counts_what_its_first_delivery_changed_as_changed() -> None:
    """The first delivery planned rows 2 and 3 and died after writing them: found already so now,
    they count as changed, as the first delivery would have counted them."""
    again = {2: UNCHANGED, 3: UNCHANGED, 4: UNCHANGED, 5: FAILED}
    assert chunk_counts(again, frozenset({2, 3})) == ImportCounts(succeeded=3, failed=1, unchanged=1)


@given(
    st.dictionaries(st.integers(2, 200), st.sampled_from(list(RowOutcome)), max_size=100),
    st.frozensets(st.integers(2, 200)),
)
def test_chunk_counts_add_up(outcomes: dict[int, RowOutcome], planned: frozenset[int]) -> None:
    counts = chunk_counts(outcomes, planned)
    assert counts.settled == len(outcomes)
    assert counts.failed == sum(outcome is FAILED for outcome in outcomes.values())


# --- states and counts ----------------------------------------------------------------

LEGAL = {
    (ImportStatus.OPEN, ImportStatus.IN_PROGRESS),
    (ImportStatus.OPEN, ImportStatus.ABORTED),
    (ImportStatus.IN_PROGRESS, ImportStatus.COMPLETE),
    (ImportStatus.IN_PROGRESS, ImportStatus.FAILED),
    (ImportStatus.IN_PROGRESS, ImportStatus.ABORTED),
}


@pytest.mark.parametrize("move", sorted(LEGAL))
def test_legal_moves(move: tuple[ImportStatus, ImportStatus]) -> None:
    assert check_move(*move, import_id="I1") is move[1]


@pytest.mark.parametrize("move", sorted({(a, b) for a in ImportStatus for b in ImportStatus} - LEGAL))
def test_every_other_move_is_a_conflict_naming_the_current_status(move: tuple[ImportStatus, ImportStatus]) -> None:
    with pytest.raises(Conflict) as raised:
        check_move(*move, import_id="I1")
    assert f"import I1 is {move[0]}" in raised.value.message


def test_starting_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="is in_progress: it cannot be started"):
        check_move(ImportStatus.IN_PROGRESS, ImportStatus.IN_PROGRESS, import_id="I1")


def test_nothing_leaves_a_finished_import() -> None:
    assert {status for status in ImportStatus if status.is_finished} == {
        ImportStatus.COMPLETE,
        ImportStatus.FAILED,
        ImportStatus.ABORTED,
    }
    assert set(MOVES) == set(ImportStatus)


def test_counts_add_up() -> None:
    first_pass = ImportCounts(rows=10, failed=1)
    batches: Iterable[ImportCounts] = [ImportCounts(succeeded=5, unchanged=2), ImportCounts(succeeded=3, failed=1)]
    total = sum(batches, first_pass)
    assert total == ImportCounts(rows=10, succeeded=8, failed=2, unchanged=2)
    assert total.settled == total.rows
    with pytest.raises(ValueError, match="impossible"):
        ImportCounts(succeeded=1, unchanged=2)
