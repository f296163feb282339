"""Bulk imports on moto, end to end (issue 21; DOMAIN §13, §5): the job through the API, the file
through its presigned PUT, the import-jobs and import-rows queues delivered to the real workers as
Lambda delivers them, and everything downstream through the real streams. Each row applied whole
or reported; the same file twice changes nothing; a migrated book is not greeted; a file that is
no import applies nothing; a worker that dies half-way, or is throttled, applies each row once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from crm import rules
from crm.data.clients import metrics as metrics_data
from crm.domain.pii import mask_phone
from crm.domain.time import BEIJING
from crm.local.sms import sent_sms
from crm.services import clients as client_service
from tests.integration.harness import Harness, person_of

IMPORT_RULES = rules.imports()
HQ = ("hq", "hq-1", None)
COMPLIANCE = ("compliance", "cmp-1", None)
SUPERVISOR = ("supervisor", "sup-b1", "B1")
CLIENTS_HEADER = "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"
METRICS_HEADER = "client_id,year,assets,avg_assets,trade_volume"
CHUNK = 30  # rows a chunk holds here (100 in rules/imports.toml): several chunks, a quick suite
BOOK = 50  # two chunks


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "imports", lambda: replace(IMPORT_RULES, batch_rows=CHUNK))


def name_of(n: int) -> str:
    return "王" + chr(0x4E00 + n)  # 王一, 王丁, …: a name of letters only, one per account


def book_rows(count: int = BOOK, *, opened_on: str = "2019-03-01", prefix: str = "K") -> list[str]:
    rows = []
    for n in range(1, count + 1):
        client_id = f"{prefix}{n:04d}"
        person = person_of(client_id)
        rows.append(
            f"{client_id},{name_of(n)},{person['id_number']},{person['phone']},,{person['birthday']},B1,mgr-1,{opened_on}"
        )
    return rows


def metrics_rows(count: int = BOOK) -> list[str]:
    # assets 5,000,000 → A or better at every turnover; the turnover moves with n
    return [f"K{n:04d},2025,5000000,1000000,{n * 100000}" for n in range(1, count + 1)]


def csv_file(header: str, rows: Iterable[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join((header, *rows)) + "\r\n").encode(encoding)


def run_import(
    harness: Harness, kind: str, data: bytes, *, encoding: str | None = None, drain: bool = True
) -> dict[str, Any]:
    body = {"kind": kind, "file_name": f"{kind}.csv"} | ({"encoding": encoding} if encoding else {})
    created = harness.call("POST", "/imports", body, as_=HQ)
    assert created.status == 201, created.body
    job = created.json()
    assert job["status"] == "open"
    assert requests.put(job["upload_url"], data=data, timeout=30).status_code == 200
    started = harness.call("POST", f"/imports/{job['import_id']}/start", as_=HQ)
    assert started.status == 202, started.body
    assert started.json()["status"] == "in_progress"
    if drain:
        harness.drain()
    return read(harness, job["import_id"])


def read(harness: Harness, import_id: str, as_: Any = HQ) -> dict[str, Any]:
    answer = harness.call("GET", f"/imports/{import_id}", as_=as_)
    assert answer.status == 200, answer.body
    return answer.json()


def failed_rows(job: dict[str, Any]) -> list[dict[str, str]]:
    download = requests.get(job["failed_rows_url"], timeout=30)
    assert download.status_code == 200
    assert download.content.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))


def counts(job: dict[str, Any]) -> tuple[str, int, int, int, int]:
    return job["status"], job["rows"], job["succeeded"], job["failed"], job["unchanged"]


def load_book(harness: Harness, count: int = BOOK) -> None:
    job = run_import(harness, "clients", csv_file(CLIENTS_HEADER, book_rows(count)))
    assert counts(job) == ("complete", count, count, 0, 0), job


def test_a_gbk_metrics_file_applies_its_good_rows_and_reports_the_bad_ones(harness: Harness) -> None:
    load_book(harness)
    rows = metrics_rows()
    rows[9] = "K0010,2025,-5,1000000,100"  # line 11: negative assets
    rows[29] = "K9999,2025,1,1,1"  # line 31: no such client
    rows[44] = "K0045,2025,1,2"  # line 46: a field short
    job = run_import(harness, "metrics", csv_file(METRICS_HEADER, rows, "gbk"), encoding="gbk")
    assert counts(job) == ("complete", BOOK, BOOK - 3, 3, 0), job
    assert job["finished_at"] is not None
    reported = failed_rows(job)
    assert [(r["row"], r["field"], r["code"]) for r in reported] == [
        ("11", "assets", "invalid"),
        ("31", "client_id", "not_found"),
        ("46", "", "field_count"),
    ]
    assert reported[1]["client_id"] == "K9999"  # the row as sent
    # the classes follow through the stream, as for a single PUT
    k1 = harness.call("GET", "/clients/K0001").json()
    assert k1["client_class"] is not None
    assert harness.call("GET", "/clients/K0010").json()["client_class"] is None  # its row failed
    assert len(harness.call("GET", "/clients/K0050/class-history").json()["items"]) == 1


def test_the_same_file_again_changes_nothing(harness: Harness) -> None:
    load_book(harness)
    data = csv_file(METRICS_HEADER, metrics_rows())
    first = run_import(harness, "metrics", data)
    assert counts(first) == ("complete", BOOK, BOOK, 0, 0)
    written = {(r.client_id, r.metrics.year): r.updated_at for r in metrics_data.metrics("K0007", consistent=True)}
    history = harness.call("GET", "/clients/K0007/class-history").json()["items"]
    assert len(history) == 1

    again = run_import(harness, "metrics", data)
    assert counts(again) == ("complete", BOOK, BOOK, 0, BOOK)
    assert again["failed_rows_url"] is None
    assert {(r.client_id, r.metrics.year): r.updated_at for r in metrics_data.metrics("K0007")} == written
    assert harness.call("GET", "/clients/K0007/class-history").json()["items"] == history
    book = run_import(harness, "clients", csv_file(CLIENTS_HEADER, book_rows()))
    assert counts(book) == ("complete", BOOK, BOOK, 0, BOOK)


def test_an_existing_book_is_not_greeted_as_new_accounts(harness: Harness) -> None:
    """Accounts opened more than 31 days before the import get no account-opening SMS and no
    `new_account` callback (DOMAIN §5, §13); two opened days ago are new accounts and get both."""
    today = datetime.now(BEIJING).date()
    opened = (today - timedelta(days=2)).isoformat()
    new = book_rows(2, opened_on=opened, prefix="N")
    job = run_import(harness, "clients", csv_file(CLIENTS_HEADER, [*book_rows(10), *new]))
    assert counts(job) == ("complete", 12, 12, 0, 0), job
    greeted = sorted(message["to"] for message in sent_sms())
    assert greeted == sorted(mask_phone(person_of(f"N{n:04d}")["phone"]) for n in (1, 2))
    assert harness.call("GET", "/clients/K0001/messages").json()["items"] == []
    harness.trigger("callbacks", f"{today.isoformat()}T06:00:00+08:00")
    tasks = harness.call("GET", "/callbacks", query="kind=new_account", as_=SUPERVISOR).json()["items"]
    assert sorted(task["client_id"] for task in tasks) == ["N0001", "N0002"]


def test_a_clients_row_is_checked_as_post_clients_checks_it(harness: Harness) -> None:
    load_book(harness, 2)
    rows = [
        *book_rows(2),  # on record with the same data: unchanged
        book_rows(3)[2].replace(",mgr-1,", ",nobody,"),  # line 4: a manager not on the register
        book_rows(4)[3].replace(",B1,mgr-1,", ",B2,mgr-1,"),  # line 5: mgr-1 works in B1
        book_rows(1)[0].replace(name_of(1), "别人"),  # line 6: K0001 on record with another name
        book_rows(5)[4],  # line 7: new
        book_rows(5)[4],  # line 8: the same again
    ]
    job = run_import(harness, "clients", csv_file(CLIENTS_HEADER, rows))
    assert counts(job) == ("complete", 7, 4, 3, 3), job
    assert [(r["row"], r["field"], r["code"]) for r in failed_rows(job)] == [
        ("4", "manager_id", "invalid_input"),
        ("5", "manager_id", "invalid_input"),
        ("6", "name", "conflict"),
    ]
    assert harness.call("GET", "/clients/K0001").json()["name"] == name_of(1)  # never overwritten
    assert harness.call("GET", "/clients/K0003").status == 404


@pytest.mark.parametrize(
    ("data", "encoding", "code", "line"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", None, "not_csv", 1),  # a workbook
        (csv_file("client_id,year,assets", ["K0001,2025,1"]), None, "unknown_header", 1),
        (csv_file(METRICS_HEADER, ["K0001,2025,1,1,1", "张三,2025,1,1,1"], "gbk"), "utf-8", "bad_encoding", 3),
        (b"", None, "empty", None),
    ],
)
def test_a_file_that_is_no_import_fails_it_and_applies_nothing(
    harness: Harness, data: bytes, encoding: str | None, code: str, line: int | None
) -> None:
    load_book(harness, 1)
    job = run_import(harness, "metrics", data, encoding=encoding)
    assert job["status"] == "failed", job
    assert (job["problem"]["code"], job["problem"]["line"]) == (code, line)
    assert (job["succeeded"], job["failed"]) == (0, 0)
    assert harness.call("GET", "/clients/K0001/metrics").json()["items"] == []


def test_a_file_over_the_size_limit_fails_naming_the_limit(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    small = replace(IMPORT_RULES, batch_rows=CHUNK, max_file_bytes=1000)
    monkeypatch.setattr(rules, "imports", lambda: small)
    load_book(harness, 1)
    job = run_import(harness, "metrics", csv_file(METRICS_HEADER, metrics_rows(1) * 40))
    assert (job["status"], job["problem"]["code"]) == ("failed", "too_large")
    assert "1,000" in job["problem"]["message"]
    assert harness.call("GET", "/clients/K0001/metrics").json()["items"] == []


def test_who_may_run_an_import_and_its_states(harness: Harness) -> None:
    body = {"kind": "metrics", "file_name": "m.csv"}
    assert harness.call("POST", "/imports", body, as_=SUPERVISOR).status == 403
    assert harness.call("POST", "/imports", body, as_=COMPLIANCE).status == 403
    refused = harness.call("POST", "/imports", body | {"encoding": "big5"}, as_=HQ)
    assert (refused.status, refused.json()["error"]["field"]) == (422, "encoding")
    job = harness.call("POST", "/imports", body, as_=HQ).json()
    import_id = job["import_id"]
    nothing = harness.call("POST", f"/imports/{import_id}/start", as_=HQ)
    assert (nothing.status, nothing.json()["error"]["field"]) == (422, "file")
    assert harness.call("POST", f"/imports/{import_id}/start", as_=SUPERVISOR).status == 403
    requests.put(job["upload_url"], data=csv_file(METRICS_HEADER, []), timeout=30)
    etag = harness.call("GET", f"/imports/{import_id}", as_=HQ).headers["ETag"]
    assert harness.call("POST", f"/imports/{import_id}/start", as_=HQ, headers={"If-Match": '"99"'}).status == 412
    assert harness.call("POST", f"/imports/{import_id}/start", as_=HQ, headers={"If-Match": etag}).status == 202
    again = harness.call("POST", f"/imports/{import_id}/start", as_=HQ)
    assert (again.status, again.json()["error"]["code"]) == (409, "conflict")
    harness.drain()
    done = read(harness, import_id, as_=COMPLIANCE)
    assert counts(done) == ("complete", 0, 0, 0, 0)
    assert harness.call("POST", f"/imports/{import_id}/abort", as_=HQ).status == 409
    listed = harness.call("GET", "/imports", query="status=complete", as_=COMPLIANCE).json()["items"]
    assert [j["import_id"] for j in listed] == [import_id]


def test_the_same_creation_twice_is_one_import(harness: Harness) -> None:
    body = {"kind": "clients", "file_name": "book.csv"}
    key = {"Idempotency-Key": "book-2026-12"}
    first = harness.call("POST", "/imports", body, as_=HQ, headers=key)
    second = harness.call("POST", "/imports", body, as_=HQ, headers=key)
    assert first.json()["import_id"] == second.json()["import_id"]
    assert len(harness.call("GET", "/imports", as_=HQ).json()["items"]) == 1


def test_an_aborted_import_applies_no_more_rows(harness: Harness) -> None:
    load_book(harness)
    job = run_import(harness, "metrics", csv_file(METRICS_HEADER, metrics_rows()), drain=False)
    import_id = job["import_id"]
    read_step = harness.queue_pumps["import_files:import-jobs"]
    assert read_step.poll_once()  # the file read and its two chunks sent
    rows_step = harness.queue_pumps["import_rows:import-rows"]
    assert rows_step.poll_once()  # the first chunk applied
    aborted = harness.call("POST", f"/imports/{import_id}/abort", as_=HQ)
    assert aborted.status == 200
    assert aborted.json()["status"] == "aborted"
    harness.drain()
    after = read(harness, import_id)
    assert counts(after) == ("aborted", BOOK, CHUNK, 0, 0)
    assert harness.call("GET", f"/clients/K{CHUNK + 1:04d}/metrics").json()["items"] == []  # the second chunk's


def test_a_worker_that_dies_half_way_applies_every_row_once(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clients worker dies after registering 20 accounts of its chunk; the chunk comes back
    (after the queue's visibility timeout) and the import ends with every row applied once."""
    register = client_service.register
    calls = {"n": 0}

    def dies_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 21:
            raise RuntimeError("the worker's instance died")
        return register(*args, **kwargs)

    monkeypatch.setattr(client_service, "register", dies_once)
    job = run_import(harness, "clients", csv_file(CLIENTS_HEADER, book_rows()))
    assert counts(job) == ("complete", BOOK, BOOK, 0, 0), job  # the 20 count as applied, not unchanged
    listed = harness.call("GET", "/clients", query="branch_id=B1&limit=200").json()["items"]
    assert sorted(c["client_id"] for c in listed) == [f"K{n:04d}" for n in range(1, BOOK + 1)]


def test_a_throttled_chunk_is_applied_once_when_it_comes_back(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_book(harness)
    original = BaseClient._make_api_call
    throttled = {"n": 0}

    def throttle_once(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "BatchWriteItem" and not throttled["n"]:
            throttled["n"] += 1
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
            raise ClientError(error, operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttle_once)
    job = run_import(harness, "metrics", csv_file(METRICS_HEADER, metrics_rows()))
    assert throttled["n"] == 1
    assert counts(job) == ("complete", BOOK, BOOK, 0, 0), job
    history = harness.call("GET", "/clients/K0042/class-history").json()["items"]
    assert len(history) == 1
