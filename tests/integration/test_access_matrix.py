"""Roles × routes (issue 5, item 1; DOMAIN §0; API.md «Roles»).

Every route of the committed OpenAPI document × every role × in scope / out of scope, with the
expected answer derived from the one access table (`crm/rules/access.toml`):

- role not granted → 403;
- scope `all` → allowed on branch B1's records and on branch B2's;
- scope `branch` → allowed on B1's records for a B1 caller, refused (403/404) on B2's;
- scope `own` → allowed for mgr-1 on its client C001, refused for mgr-2 (same branch, not the
  manager: the `peer` case) and on B2's.

A listing names its branch: in scope `branch_id=B1`, out of scope `branch_id=B2`. An `own` listing
is answered for the peer, but without mgr-1's records. Allowed means 2xx (every request here is
meant to succeed); refused means 403 or 404, and the body holds none of the record's data (name,
ID and phone numbers, masked or not, ids, contents) beyond what the request itself named.
Company-wide resources (calendars, products, the threshold T) have no out-of-scope record.

One world is seeded per module. Reads see it unchanged; a write that succeeds works on a record
of its own (a fresh client, contact or complaint), or appends (questionnaires, sales,
disclosures, contacts, complaints), or rewrites a value with itself (metrics, calendar), or
changes a field to a value unique to the case (e-mail, profile note), so the order of the cases
does not matter. Every request gets its own request time, a minute after the previous one.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
import requests
from moto import mock_aws

from crm import rules, topology
from crm.api.openapi import COMMITTED
from crm.domain.access import BRANCH_ROLES, READ_METHODS, Role, Scope
from crm.domain.pii import id_number_problem, mask_id_number, mask_phone
from crm.local.front import GatewayResponse
from crm.local.tokens import TokenIssuer
from tests.integration.harness import Harness, build_harness, provisioned_clients

Caller = tuple[str, str, str | None]

CALLERS: dict[Role, Caller] = {
    Role.MANAGER: ("manager", "mgr-1", "B1"),
    Role.COUNTER: ("counter", "ctr-1", "B1"),
    Role.SUPERVISOR: ("supervisor", "sup-1", "B1"),
    Role.HQ: ("hq", "hq-1", None),
    Role.COMPLIANCE: ("compliance", "cmp-1", None),
}
PEER: Caller = ("manager", "mgr-2", "B1")  # same branch as mgr-1, not C001's manager
SUP_B1: Caller = CALLERS[Role.SUPERVISOR]
HQ: Caller = CALLERS[Role.HQ]
SUP_B2: Caller = ("supervisor", "sup-9", "B2")
BRANCH_ROLE_NAMES = frozenset(role.value for role in BRANCH_ROLES)
HQ_WRITES = frozenset(
    {
        "PUT /calendar/{year}",
        "PUT /staff/{staff_id}",
        "POST /imports",
        "POST /imports/{import_id}/start",
        "POST /imports/{import_id}/abort",
    }
)

POLICY = rules.access()
OPENAPI_ROUTES = frozenset(
    f"{method.upper()} {path}"
    for path, ops in json.loads(COMMITTED.read_text(encoding="utf-8"))["paths"].items()
    for method in ops
)

MATRIX_START = datetime.fromisoformat("2026-06-01T09:00:00+08:00")
FIGURES = {"assets": 700_000, "avg_assets": 100_000, "trade_volume": 100_000}  # class D (test_profiles)
# 36 points, medium (SCORED[36] of test_suitability): money_market is within the match.
ANSWERS: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"1": "E", "2": "D", "3": "E", "4": "D"}
ANSWERS |= {"5": "C", "6": "C", "9": ["A"]}
CALENDAR_2027 = {
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"],
    "workdays": ["2027-02-06"],
}
VISIT = {
    "at": "2026-06-01T08:30:00+08:00",
    "channel": "phone",
    "purpose": "回访",
    "outcome": "ok",
    "self_assessment": 3,
}
SPOT_CHECK = {"from": "2026-06-01", "to": "2026-06-01", "finding": "日志完整"}
PROSPECT = {"name": "新意向客户", "phone": "13500000002", "source": "referral"}
PROSPECT_SURNAME = {"B1": "甲", "B2": "乙"}


def in_words(n: int) -> str:
    """12 → 一二: a number a person's name may hold (letters only, API.md «Rules»)."""
    return "".join("零一二三四五六七八九"[int(digit)] for digit in str(n))


LECTURE = {"title": "新讲座", "kind": "seminar", "held_on": "2026-06-20", "topic": "债券", "speaker": "王老师"}
# A reached client asking to be called later: an attempt that leaves its task open.
LATER = {"reached": True, "next_at": "2026-12-30T10:00:00+08:00"}
REPORT = "/reports/quarterly/2026Q2"


def id_number(prefix17: str) -> str:
    """A resident ID number with a valid check digit (GB 11643)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights, strict=True))
    number = prefix17 + "10X98765432"[total % 11]
    assert id_number_problem(number) is None, number
    return number


def person(client_id: str, *, name: str, id_no: str, phone: str, branch: str, manager: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": name,
        "id_number": id_no,
        "phone": phone,
        "email": f"{client_id.lower()}@example.com",
        "birthday": "1985-02-14",
        "branch_id": branch,
        "manager_id": manager,
        "opened_on": "2020-05-18",
    }


C001 = person(
    "C001", name="张三", id_no="110101199003074514", phone="13800138000", branch="B1", manager="mgr-0"
)  # re-assigned to mgr-1 while seeding, so its manager history has an entry
C003 = person(
    "C003", name="王五", id_no=id_number("32010219880808123"), phone="13600000003", branch="B1", manager="mgr-2"
)
C002 = person(
    "C002", name="李四", id_no=id_number("31010419850214221"), phone="13912340099", branch="B2", manager="mgr-9"
)


# ---------------------------------------------------------------------------------------------
# The world


@dataclass(frozen=True)
class Request:
    path: str
    body: Any = None
    query: str = ""

    def text(self) -> str:
        return f"{self.path}?{self.query} {json.dumps(self.body, ensure_ascii=False)}"


@dataclass
class World:
    harness: Harness
    records: dict[str, str] = field(default_factory=dict)
    secrets_b2: tuple[str, ...] = ()  # branch B2's data: never shown to a B1 caller
    secrets_mgr1: tuple[str, ...] = ()  # mgr-1's own clients and inquiries: never shown to mgr-2
    listed: dict[str, tuple[str, str]] = field(default_factory=dict)  # listing → (a B1 item, a B2 item)
    _minutes: Iterator[int] = field(default_factory=itertools.count)
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def now(self) -> str:
        return (MATRIX_START + timedelta(minutes=next(self._minutes))).isoformat()

    def serial(self) -> int:
        return next(self._serial)

    def call(self, method: str, request: Request, as_: Caller, at: str | None = None) -> GatewayResponse:
        return self.harness.call(method, request.path, request.body, as_=as_, query=request.query, at=at or self.now())

    def ok(self, method: str, path: str, body: Any = None, *, as_: Caller = SUP_B1, at: str | None = None) -> Any:
        response = self.call(method, Request(path, body), as_, at)
        assert 200 <= response.status < 300, (method, path, response.status, response.body)
        return response.json()

    # Fresh records for writes that change state for good (B1, seeded by its supervisor).

    def fresh_client(self, *, disclosure: str | None = None, opened_today: bool = False) -> str:
        n = self.serial()
        client_id = f"F{n:04d}"
        body = person(
            client_id,
            name=f"新客户{in_words(n)}",
            id_no=id_number(f"110101{1970 + n % 30}0101{n % 1000:03d}"),
            phone=f"137{n:08d}",
            branch="B1",
            manager="mgr-1",
        )
        now = self.now()
        if opened_today:
            body["opened_on"] = now[:10]
        self.ok("POST", "/clients", body, at=now)
        if disclosure:
            document = {"business": disclosure, "document_ref": f"RD-F{n}", "signed_on": "2026-03-01"}
            self.ok("POST", f"/clients/{client_id}/risk-disclosures", document)
        return client_id

    def fresh_contact(self, first_responder: str) -> str:
        body = {"client_id": "C001", "channel": "phone", "subject": "新的咨询", "first_responder": first_responder}
        return str(self.ok("POST", "/contacts", body)["contact_id"])

    def fresh_pool_task(self) -> str:
        """A new-account callback of a client opened today: in the branch's pool."""
        client_id = self.fresh_client(opened_today=True)
        self.harness.drain()
        self.harness.trigger("callbacks", self.now())
        return f"NA-{client_id}"

    def fresh_prospect(self) -> str:
        body = PROSPECT | {"branch_id": "B1", "manager_id": "mgr-1"}
        return str(self.ok("POST", "/prospects", body)["prospect_id"])

    def fresh_case(self) -> str:
        body = {"client_id": self.fresh_client(), "kind": "closure", "reason": "fees"}
        return str(self.ok("POST", "/retention-cases", body)["case_id"])

    def fresh_import(self, *, uploaded: bool) -> str:
        """An open import of headquarters (its file uploaded, or not yet)."""
        job = self.ok("POST", "/imports", {"kind": "metrics", "file_name": "metrics.csv"}, as_=HQ)
        if uploaded:
            requests.put(job["upload_url"], data=b"client_id,year,assets,avg_assets,trade_volume\r\n", timeout=30)
        return str(job["import_id"])

    def fresh_complaint(self, *moves: str) -> str:
        body = {"client_id": "C001", "channel": "phone", "category": "other", "content": "新的投诉"}
        complaint_no = str(self.ok("POST", "/complaints", body)["complaint_no"])
        for to in moves:
            self.ok("POST", f"/complaints/{complaint_no}/transitions", {"to": to, "note": f"to {to}"})
        return complaint_no


def seed_branch(w: World, client: dict[str, Any], sup: Caller, *, manager: str, tag: str, month: str) -> None:
    """A client with every kind of record the routes read, an open inquiry of its manager, a
    late-answered e-mail (a breach) and a complaint received in `month` (its own numbering)."""
    client_id = client["client_id"]
    at = f"2026-{month}-02T10:00:00+08:00"
    letter = {"client_id": client_id, "channel": "letter", "category": "attitude", "content": f"{tag}投诉:态度恶劣"}
    w.records[f"complaint_{tag}"] = w.ok("POST", "/complaints", letter, as_=sup, at=at)["complaint_no"]
    at = "2026-03-02T10:00:00+08:00"
    w.ok("PUT", f"/clients/{client_id}/metrics/2025", FIGURES | {"assets": 2_000_000}, as_=sup, at=at)
    w.ok("PUT", f"/clients/{client_id}/metrics/2026", FIGURES, as_=sup, at=at)  # assets fell: at risk
    w.ok("POST", f"/clients/{client_id}/questionnaires", {"answers": ANSWERS}, as_=sup, at=at)
    change = {"email": f"{client_id.lower()}.new@example.com", "evidence_ref": f"REC-{tag}"}
    w.ok("PUT", f"/clients/{client_id}/contact-details", change, as_=sup, at=at)
    for business in ("margin", "chinext"):
        document = {"business": business, "document_ref": f"RD-{tag}-{business}", "signed_on": "2026-03-01"}
        w.ok("POST", f"/clients/{client_id}/risk-disclosures", document, as_=sup, at=at)
    w.ok("POST", f"/clients/{client_id}/businesses", {"business": "margin"}, as_=sup, at=at)
    w.ok("POST", f"/clients/{client_id}/sales", {"product_id": "money_market", "amount": 10_000}, as_=sup, at=at)
    call = {"client_id": client_id, "channel": "phone", "subject": f"{tag}咨询:融资融券", "first_responder": manager}
    w.records[f"contact_{tag}"] = w.ok("POST", "/contacts", call, as_=sup, at=at)["contact_id"]
    email = {"client_id": client_id, "channel": "email", "subject": f"{tag}对账单", "first_responder": manager}
    late = w.ok("POST", "/contacts", email, as_=sup, at=at)["contact_id"]
    w.records[f"breach_{tag}"] = late
    w.ok("POST", f"/contacts/{late}/reply", {"answer": "抱歉迟复"}, as_=sup, at="2026-03-12T10:00:00+08:00")
    w.harness.drain()  # classes (D) before the profile makes the client a target VIP
    w.ok("PUT", f"/clients/{client_id}/profile", {"value_segment": "rising_star"}, as_=sup, at=at)
    case = {"client_id": client_id, "kind": "transfer", "reason": "service"}
    w.records[f"case_{tag}"] = w.ok("POST", "/retention-cases", case, as_=sup, at=at)["case_id"]
    visit = {"client_id": client_id, "at": at, "channel": "onsite", "purpose": f"{tag}拜访", "outcome": "ok"}
    w.records[f"visit_{tag}"] = w.ok("POST", "/visits", visit | {"self_assessment": 4}, as_=sup, at=at)["visit_id"]
    prospect = {
        "name": f"{PROSPECT_SURNAME[tag]}意向客户",  # a person's name holds no digits
        "phone": "13500000001",
        "source": "walk_in",
        "branch_id": tag,
        "manager_id": manager,
    }
    w.records[f"prospect_{tag}"] = w.ok("POST", "/prospects", prospect, as_=sup, at=at)["prospect_id"]
    lecture = LECTURE | {"title": f"{tag}理财大讲堂", "branch_id": tag, "held_on": "2026-03-01"}
    w.records[f"activity_{tag}"] = w.ok("POST", "/education/activities", lecture, as_=sup, at=at)["activity_id"]
    w.ok("PUT", f"/education/activities/{w.records[f'activity_{tag}']}/attendance", {"client_ids": [client_id]},
         as_=sup, at=at)  # fmt: skip
    day = {"entries": [{"kind": "call", "minutes": 30, "note": f"{tag}日志"}]}
    w.ok("PUT", f"/work-logs/{manager}/2026-06-01", day, as_=("manager", manager, tag), at="2026-06-01T08:00:00+08:00")
    week = {"achieved": f"{tag}周总结", "problems": "无", "plan": "回访"}
    w.ok(
        "PUT",
        f"/weekly-summaries/{manager}/2026-W23",
        week,
        as_=("manager", manager, tag),
        at="2026-06-01T08:00:00+08:00",
    )


def secrets_of(client: dict[str, Any], *records: str) -> tuple[str, ...]:
    return (
        client["client_id"],
        client["name"],
        client["id_number"],
        mask_id_number(client["id_number"]),
        client["phone"],
        mask_phone(client["phone"]),
        *records,
    )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with mock_aws():
        harness = build_harness(provisioned_clients())
        w = World(harness)
        opened = "2026-02-01T10:00:00+08:00"
        w.ok("POST", "/clients", C001, as_=SUP_B1, at=opened)
        w.ok("POST", "/clients", C003, as_=SUP_B1, at=opened)
        harness.trigger("callbacks", opened)  # the 2026 sample: drawn among B1's clients alone
        w.ok("POST", "/clients", C002, as_=SUP_B2, at=opened)
        handover = {"manager_id": "mgr-1", "reason": "mgr-0 left the branch"}
        w.ok("PUT", "/clients/C001/manager", handover, as_=SUP_B1, at=opened)
        seed_branch(w, C001, SUP_B1, manager="mgr-1", tag="B1", month="03")
        seed_branch(w, C002, SUP_B2, manager="mgr-9", tag="B2", month="02")
        w.harness.drain()  # the audit trail, the breaches, the target VIPs, the callback schedule
        harness.trigger("callbacks", "2026-05-27T06:00:00+08:00")  # the periodic calls of C001 and C002
        harness.trigger("quarterly-report", "2026-07-01T01:00:00+08:00")  # 2026Q2, both branches
        r = w.records
        r["callback_B1"], r["callback_B2"] = "PD-C001-20260602", "PD-C002-20260602"
        w.secrets_b2 = secrets_of(
            C002,
            "B2",
            "mgr-9",
            r["complaint_B2"],
            "B2投诉",
            r["contact_B2"],
            "B2咨询",
            r["breach_B2"],
            "B2对账单",
            r["case_B2"],
            r["visit_B2"],
            r["prospect_B2"],
            f"{PROSPECT_SURNAME['B2']}意向客户",
            "B2理财大讲堂",
            "B2日志",
        )
        w.secrets_mgr1 = secrets_of(C001, r["contact_B1"], "B1咨询")
        w.listed = {
            "/clients": ("张三", "李四"),
            "/contacts": ("B1咨询", "B2咨询"),
            "/complaints": ("B1投诉", "B2投诉"),
            "/sla/breaches": (r["breach_B1"], r["breach_B2"]),
            "/vip/targets": ("张三", "李四"),
            "/clients/at-risk": ("C001", "C002"),
            "/callbacks": (r["callback_B1"], r["callback_B2"]),
            "/retention-cases": (r["case_B1"], r["case_B2"]),
            "/visits": (r["visit_B1"], r["visit_B2"]),
            "/prospects": (f"{PROSPECT_SURNAME['B1']}意向客户", f"{PROSPECT_SURNAME['B2']}意向客户"),
            "/staff": ('"mgr-1"', '"mgr-9"'),
            "/education/activities": ("B1理财大讲堂", "B2理财大讲堂"),
            REPORT: ("/branches/B1/", "/branches/B2/"),  # in the download URLs' object keys
            f"{REPORT}/figures": ('"B1"', '"B2"'),
        }
        yield w


# ---------------------------------------------------------------------------------------------
# The table: an in-scope and an out-of-scope request for every route

Build = Callable[[World, Caller], Request]
Kind = Literal["record", "listing", "company"]


@dataclass(frozen=True)
class Entry:
    kind: Kind
    inside: Build  # on B1's records (for mgr-1's client C001), built for the caller it is meant for
    outside: Build | None = None  # on B2's records; None for company-wide resources
    refused_with: tuple[int, ...] = (403, 404)  # what a refusal of the outside variant may answer


def on_client(template: str, body: Callable[[World], Any] | Any = None, query: str = "") -> Entry:
    """A route on one client: C001 (B1, mgr-1) in scope, C002 (B2, mgr-9) out of scope."""

    def build(client_id: str) -> Build:
        def request(w: World, _: Caller) -> Request:
            return Request(template.format(client_id=client_id), body(w) if callable(body) else body, query)

        return request

    return Entry("record", build("C001"), build("C002"))


def listing(path: str) -> Entry:
    return Entry(
        "listing", lambda w, c: Request(path, query="branch_id=B1"), lambda w, c: Request(path, query="branch_id=B2")
    )


def company(path: str, body: Any = None) -> Entry:
    return Entry("company", lambda w, c: Request(path, body))


def registration(branch: str, manager: str) -> Build:
    def request(w: World, _: Caller) -> Request:
        n = w.serial()
        return Request(
            "/clients",
            person(
                f"N{n:04d}",
                name=f"{PROSPECT_SURNAME[branch]}新开户{in_words(n)}",
                id_no=id_number(f"120101{1970 + n % 30}0101{n % 1000:03d}"),
                phone=f"135{n:08d}",
                branch=branch,
                manager=manager,
            ),
        )

    return request


def inquiry(client_id: str) -> Build:
    def request(w: World, c: Caller) -> Request:
        body = {"client_id": client_id, "channel": "web", "subject": "咨询开户流程", "first_responder": c[1]}
        return Request("/contacts", body)

    return request


def complaint(client_id: str) -> Build:
    def request(w: World, _: Caller) -> Request:
        return Request("/complaints", {"client_id": client_id, "channel": "web", "category": "other", "content": "x"})

    return request


# The move each role may make (complaints.toml) and the moves that bring a fresh complaint to it.
MOVES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "manager": (("accepted",), {"to": "investigating", "note": "开始调查"}),
}
SUPERVISOR_MOVE: tuple[tuple[str, ...], dict[str, Any]] = ((), {"to": "accepted", "note": "受理"})


def transition(inside: bool) -> Build:
    """In scope on a fresh complaint ready for the caller's move; out of scope the same move on
    B2's complaint (still `received`), so that only its scope can refuse it with 403/404."""

    def request(w: World, c: Caller) -> Request:
        before, body = MOVES.get(c[0], SUPERVISOR_MOVE)
        complaint_no = w.fresh_complaint(*before) if inside else w.records["complaint_B2"]
        return Request(f"/complaints/{complaint_no}/transitions", body)

    return request


def record(template: str, body: Callable[[World], Any] | Any = None) -> Entry:
    """A route on one of the seeded records of B1 (in scope) and of B2 (out of scope)."""

    def build(tag: str) -> Build:
        def request(w: World, _: Caller) -> Request:
            key = template.split("{", 1)[1].split("}", 1)[0]
            return Request(template.format(**{key: w.records[f"{key.split('_')[0]}_{tag}"]}), body)

        return request

    return Entry("record", build("B1"), build("B2"))


def attempt(inside: bool) -> Build:
    """A manager works its own client's periodic call; service staff a fresh task in the pool."""

    def request(w: World, c: Caller) -> Request:
        if not inside:
            return Request(f"/callbacks/{w.records['callback_B2']}/attempts", LATER)
        callback_id = w.records["callback_B1"] if c[0] == "manager" else w.fresh_pool_task()
        return Request(f"/callbacks/{callback_id}/attempts", LATER)

    return request


def ownership(inside: bool) -> Build:
    """Counter staff take a fresh pool task; a supervisor assigns one."""

    def request(w: World, c: Caller) -> Request:
        if not inside:
            return Request(f"/callbacks/{w.records['callback_B2']}/owner", {"owner": c[1]})
        return Request(f"/callbacks/{w.fresh_pool_task()}/owner", {"owner": c[1] if c[0] == "counter" else "ctr-5"})

    return request


def of_manager(template: str, body: Any = None, query: str = "") -> Entry:
    """A route on a manager's records: mgr-1's (B1) in scope, mgr-9's (B2) out of scope."""

    def build(manager: str) -> Build:
        return lambda w, c: Request(template.format(manager_id=manager), body, query)

    return Entry("record", build("mgr-1"), build("mgr-9"))


def reassignment(client_id: str, manager: str) -> Request:
    return Request(f"/clients/{client_id}/manager", {"manager_id": manager, "reason": "客户要求更换客户经理"})


TABLE: dict[str, Entry] = {
    "POST /clients": Entry("record", registration("B1", "mgr-1"), registration("B2", "mgr-9")),
    "GET /clients": listing("/clients"),
    "GET /clients/{client_id}": on_client("/clients/{client_id}"),
    "PUT /clients/{client_id}/metrics/{year}": on_client("/clients/{client_id}/metrics/2026", FIGURES),
    "GET /clients/{client_id}/metrics": on_client("/clients/{client_id}/metrics"),
    "GET /clients/{client_id}/class-history": on_client("/clients/{client_id}/class-history"),
    "GET /clients/{client_id}/vip-history": on_client("/clients/{client_id}/vip-history"),
    "PUT /clients/{client_id}/manager": Entry(
        "record", lambda w, c: reassignment(w.fresh_client(), "mgr-3"), lambda w, c: reassignment("C002", "mgr-8")
    ),
    "GET /clients/{client_id}/manager-history": on_client("/clients/{client_id}/manager-history"),
    "POST /clients/{client_id}/questionnaires": on_client(
        "/clients/{client_id}/questionnaires", {"answers": ANSWERS, "paper_ref": "PAPER-1"}
    ),
    "GET /clients/{client_id}/questionnaires": on_client("/clients/{client_id}/questionnaires"),
    "PUT /clients/{client_id}/contact-details": on_client(
        "/clients/{client_id}/contact-details",
        lambda w: {"email": f"case{w.serial()}@example.com", "evidence_ref": "REC-2026-0601"},
    ),
    "GET /clients/{client_id}/contact-details-history": on_client("/clients/{client_id}/contact-details-history"),
    "PUT /calendar/{year}": company("/calendar/2027", CALENDAR_2027),
    "GET /calendar/{year}": company("/calendar/2026"),
    "POST /contacts": Entry("record", inquiry("C001"), inquiry("C002")),
    "GET /contacts": listing("/contacts"),
    "GET /contacts/{contact_id}": Entry(
        "record",
        lambda w, c: Request(f"/contacts/{w.records['contact_B1']}"),
        lambda w, c: Request(f"/contacts/{w.records['contact_B2']}"),
    ),
    "POST /contacts/{contact_id}/reply": Entry(
        "record",
        # the caller took it, if it is one who may (hq and compliance answer nothing)
        lambda w, c: Request(
            f"/contacts/{w.fresh_contact(c[1] if c[0] in BRANCH_ROLE_NAMES else 'mgr-1')}/reply",
            {"answer": "已答复"},
        ),
        lambda w, c: Request(f"/contacts/{w.records['contact_B2']}/reply", {"answer": "已答复"}),
    ),
    "POST /complaints": Entry("record", complaint("C001"), complaint("C002")),
    "GET /complaints": listing("/complaints"),
    "GET /complaints/{complaint_no}": Entry(
        "record",
        lambda w, c: Request(f"/complaints/{w.records['complaint_B1']}"),
        lambda w, c: Request(f"/complaints/{w.records['complaint_B2']}"),
    ),
    "POST /complaints/{complaint_no}/transitions": Entry("record", transition(True), transition(False)),
    "GET /clients/at-risk": listing("/clients/at-risk"),
    "GET /clients/{client_id}/messages": on_client("/clients/{client_id}/messages"),
    "GET /clients/{client_id}/education": on_client("/clients/{client_id}/education"),
    "PUT /work-logs/{manager_id}/{date}": of_manager(
        "/work-logs/{manager_id}/2026-06-01", {"entries": [{"kind": "research", "minutes": 60}], "reason": "核对"}
    ),
    "GET /work-logs": Entry(
        "record",
        lambda w, c: Request("/work-logs", query="manager_id=mgr-1&from=2026-06-01&to=2026-06-01"),
        lambda w, c: Request("/work-logs", query="manager_id=mgr-9&from=2026-06-01&to=2026-06-01"),
    ),
    "PUT /weekly-summaries/{manager_id}/{week}": of_manager(
        "/weekly-summaries/{manager_id}/2026-W23", {"achieved": "开户", "problems": "无", "plan": "回访"}
    ),
    "POST /visits": Entry(
        "record",
        lambda w, c: Request("/visits", VISIT | {"client_id": "C001"}),
        lambda w, c: Request("/visits", VISIT | {"client_id": "C002"}),
    ),
    "GET /visits": listing("/visits"),
    "POST /spot-checks": Entry(
        "record",
        lambda w, c: Request("/spot-checks", SPOT_CHECK | {"manager_id": "mgr-1"}),
        # B2's manager is no one B1's supervisor may name (DOMAIN §11: 422, as an unknown one)
        lambda w, c: Request("/spot-checks", SPOT_CHECK | {"manager_id": "mgr-9"}),
        refused_with=(403, 404, 422),
    ),
    "PUT /staff/{staff_id}": Entry(
        "record",
        lambda w, c: Request(
            f"/staff/ctr-new{w.serial()}", {"name": "新柜员", "role": "counter", "branch_id": "B1", "active": True}
        ),
        lambda w, c: Request("/staff/ctr-9", {"name": "乙柜员", "role": "counter", "branch_id": "B2", "active": False}),
    ),
    "GET /staff": listing("/staff"),
    "GET /clients/{client_id}/overview": on_client("/clients/{client_id}/overview"),
    "GET /clients/{client_id}/personal-information": on_client("/clients/{client_id}/personal-information"),
    "GET /work": company("/work"),
    "PUT /clients/{client_id}/securities-accounts": on_client(
        "/clients/{client_id}/securities-accounts",
        lambda w: {"accounts": [{"exchange": "SH", "account": f"A{w.serial():09d}"}]},
    ),
    # out of scope a lookup finds nothing (200, no data: the secrets check holds it), never a hint
    "POST /clients/lookup": Entry(
        "record",
        lambda w, c: Request("/clients/lookup", {"id_number": C001["id_number"]}),
        lambda w, c: Request("/clients/lookup", {"id_number": C002["id_number"]}),
        refused_with=(200,),
    ),
    "GET /staff/{staff_id}": Entry(
        "record", lambda w, c: Request("/staff/mgr-1"), lambda w, c: Request("/staff/mgr-9")
    ),
    "GET /managers/{manager_id}/activity": of_manager(
        "/managers/{manager_id}/activity", query="from=2026-06-01&to=2026-06-07"
    ),
    "POST /prospects": Entry(
        "record",
        lambda w, c: Request("/prospects", PROSPECT | {"branch_id": "B1", "manager_id": "mgr-1"}),
        lambda w, c: Request("/prospects", PROSPECT | {"branch_id": "B2", "manager_id": "mgr-9"}),
    ),
    "GET /prospects": listing("/prospects"),
    "GET /prospects/{prospect_id}": record("/prospects/{prospect_id}"),
    "POST /prospects/{prospect_id}/outcome": Entry(
        "record",
        lambda w, c: Request(f"/prospects/{w.fresh_prospect()}/outcome", {"outcome": "dropped", "reason": "无意向"}),
        lambda w, c: Request(f"/prospects/{w.records['prospect_B2']}/outcome", {"outcome": "dropped", "reason": "x"}),
    ),
    "POST /education/activities": Entry(
        "record",
        lambda w, c: Request("/education/activities", LECTURE | {"branch_id": "B1"}),
        lambda w, c: Request("/education/activities", LECTURE | {"branch_id": "B2"}),
    ),
    "GET /education/activities": listing("/education/activities"),
    "PUT /education/activities/{activity_id}/attendance": Entry(
        "record",
        lambda w, c: Request(f"/education/activities/{w.records['activity_B1']}/attendance", {"client_ids": ["C001"]}),
        lambda w, c: Request(f"/education/activities/{w.records['activity_B2']}/attendance", {"client_ids": ["C002"]}),
    ),
    "GET /callbacks": listing("/callbacks"),
    "GET /callbacks/{callback_id}": record("/callbacks/{callback_id}"),
    "PUT /callbacks/{callback_id}/owner": Entry("record", ownership(True), ownership(False)),
    "POST /callbacks/{callback_id}/attempts": Entry("record", attempt(True), attempt(False)),
    "GET /callbacks/samples/{year}": company("/callbacks/samples/2026"),
    "POST /retention-cases": Entry(
        "record",
        lambda w, c: Request("/retention-cases", {"client_id": w.fresh_client(), "kind": "closure", "reason": "fees"}),
        lambda w, c: Request("/retention-cases", {"client_id": "C002", "kind": "closure", "reason": "fees"}),
    ),
    "GET /retention-cases": listing("/retention-cases"),
    "GET /retention-cases/{case_id}": record("/retention-cases/{case_id}"),
    "POST /retention-cases/{case_id}/actions": record(
        "/retention-cases/{case_id}/actions", {"action": "电话挽留", "note": "减免佣金"}
    ),
    "POST /retention-cases/{case_id}/outcome": Entry(
        "record",
        lambda w, c: Request(f"/retention-cases/{w.fresh_case()}/outcome", {"outcome": "retained"}),
        lambda w, c: Request(f"/retention-cases/{w.records['case_B2']}/outcome", {"outcome": "retained"}),
    ),
    "GET /sla/breaches": listing("/sla/breaches"),
    "GET /settings/turnover-threshold": company("/settings/turnover-threshold"),
    "GET /products": company("/products"),
    "GET /clients/{client_id}/suitability": on_client(
        "/clients/{client_id}/suitability", query="product_id=money_market"
    ),
    "POST /clients/{client_id}/sales": on_client(
        "/clients/{client_id}/sales", {"product_id": "money_market", "amount": 20_000}
    ),
    "GET /clients/{client_id}/sales": on_client("/clients/{client_id}/sales"),
    "POST /clients/{client_id}/risk-disclosures": on_client(
        "/clients/{client_id}/risk-disclosures",
        {"business": "warrants", "document_ref": "RD-2026-0601", "signed_on": "2026-05-20"},
    ),
    "GET /clients/{client_id}/risk-disclosures": on_client("/clients/{client_id}/risk-disclosures"),
    "POST /clients/{client_id}/businesses": Entry(
        "record",
        lambda w, c: Request(f"/clients/{w.fresh_client(disclosure='chinext')}/businesses", {"business": "chinext"}),
        # C002 has a signed chinext disclosure: only its scope stands in the way
        lambda w, c: Request("/clients/C002/businesses", {"business": "chinext"}),
    ),
    "GET /clients/{client_id}/businesses": on_client("/clients/{client_id}/businesses"),
    "GET /clients/{client_id}/profile": on_client("/clients/{client_id}/profile"),
    "PUT /clients/{client_id}/profile": on_client(
        "/clients/{client_id}/profile", lambda w: {"note": f"第{w.serial()}次拜访"}
    ),
    "GET /clients/{client_id}/profile-history": on_client("/clients/{client_id}/profile-history"),
    "GET /vip/targets": listing("/vip/targets"),
    "GET /audit/clients/{client_id}": on_client("/audit/clients/{client_id}"),
    "GET /reports/quarterly/{period}": listing(REPORT),
    "GET /reports/quarterly/{period}/figures": listing(f"{REPORT}/figures"),
    "POST /imports": company("/imports", {"kind": "clients", "file_name": "book.csv"}),
    "GET /imports": company("/imports"),
    "GET /imports/{import_id}": Entry("company", lambda w, c: Request(f"/imports/{w.fresh_import(uploaded=False)}")),
    "POST /imports/{import_id}/start": Entry(
        "company", lambda w, c: Request(f"/imports/{w.fresh_import(uploaded=True)}/start")
    ),
    "POST /imports/{import_id}/abort": Entry(
        "company", lambda w, c: Request(f"/imports/{w.fresh_import(uploaded=False)}/abort")
    ),
}


# ---------------------------------------------------------------------------------------------
# Expectations, from the access table

Variant = Literal["in", "out", "peer"]
Outcome = Literal["denied", "allowed", "refused", "filtered"]


def expected(route: str, role: Role, variant: Variant) -> Outcome:
    """denied: 403, the role may not call the route; allowed: 2xx; refused: 403/404 without the
    record's data; filtered: 2xx, a listing without mgr-1's records."""
    scope = POLICY.routes.get(route, {}).get(role)
    if scope is None:
        return "denied"
    if variant == "in" or scope is Scope.ALL:
        return "allowed"
    if variant == "out":
        return "refused"
    if scope is Scope.OWN:
        return "filtered" if TABLE[route].kind == "listing" else "refused"
    return "allowed"


class WrongStatus(AssertionError):
    """The answer's status is not the one the access table calls for."""


def cases() -> list[Any]:
    params = []
    for route in sorted(TABLE, key=lambda r: (r.split(" ", 1)[1], r)):
        entry = TABLE[route]
        for role in Role:
            variants: list[Variant] = ["in"]
            if entry.outside is not None:
                variants.append("out")
            if role is Role.MANAGER:
                variants.append("peer")
            for variant in variants:
                params.append(pytest.param(route, role, variant, id=f"{route}|{role.value}|{variant}"))
    return params


# A presigned URL's query (credential, expiry, signature) is random text: it may spell "B2".
_SIGNED_QUERY = re.compile(r"(https://[^\s\"?]+)\?[^\s\"]*")


def response_text(response: GatewayResponse) -> str:
    raw = response.body.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):
        raw += json.dumps(response.json(), ensure_ascii=False)
    return _SIGNED_QUERY.sub(r"\1", raw)


def leaked(response: GatewayResponse, request: Request, secrets: tuple[str, ...]) -> list[str]:
    """The secrets in the response that the request did not name itself."""
    said, answered = request.text(), response_text(response)
    return [s for s in secrets if s in answered and s not in said]


@pytest.mark.parametrize(("route", "role", "variant"), cases())
def test_role_route_scope(world: World, route: str, role: Role, variant: Variant) -> None:
    entry = TABLE[route]
    caller = PEER if variant == "peer" else CALLERS[role]
    if variant == "out":
        assert entry.outside is not None
        request = entry.outside(world, caller)
    else:  # the peer tries mgr-1's records, built as they would be for mgr-1
        request = entry.inside(world, CALLERS[role])
    method = route.split(" ", 1)[0]
    response = world.call(method, request, caller)
    outcome = expected(route, role, variant)
    detail = f"{outcome}: {method} {request.path}?{request.query} → {response.status} {response.body[:300]!r}"

    # Never the data, whatever the status.
    if outcome == "allowed":  # B1's data is the answer; B2's only for hq and compliance
        secrets = () if variant == "out" else world.secrets_b2
    else:  # a refusal, or a listing confined to the peer's own clients
        secrets = (*world.secrets_b2, *world.secrets_mgr1)
    assert leaked(response, request, secrets) == [], detail

    if outcome == "denied":
        right = response.status == 403
    elif outcome == "refused":
        right = response.status in entry.refused_with
    else:
        right = 200 <= response.status < 300
    if not right:
        raise WrongStatus(detail)

    # An allowed listing shows the branch's records, so the refusals above are not vacuous.
    if entry.kind == "listing" and outcome == "allowed":
        shown = world.listed[request.path][1 if variant == "out" else 0]
        assert shown in response_text(response), detail


# ---------------------------------------------------------------------------------------------
# The table covers the API; the API is in the access table; the access table keeps DOMAIN §0


def test_the_matrix_covers_every_route_of_the_openapi_document() -> None:
    assert set(TABLE) == OPENAPI_ROUTES
    assert {route.key for route, _ in topology.routes()} == OPENAPI_ROUTES


def test_every_route_of_the_openapi_document_is_in_the_access_table() -> None:
    assert OPENAPI_ROUTES - set(POLICY.routes) == set(), "a route without an entry in access.toml is denied to all"
    assert set(POLICY.routes) - OPENAPI_ROUTES == set(), "access.toml grants a route the API does not have"


def test_the_access_table_keeps_to_the_roles_of_domain_section_0() -> None:
    for route, grants in POLICY.routes.items():
        writes = route.split(" ", 1)[0] not in READ_METHODS
        assert all(grants.get(role) in (None, Scope.ALL) for role in (Role.HQ, Role.COMPLIANCE)), route
        assert all(grants.get(role) is not Scope.ALL for role in (Role.MANAGER, Role.COUNTER, Role.SUPERVISOR)), route
        assert not (writes and Role.COMPLIANCE in grants), f"compliance writes nothing: {route}"
        if writes and Role.HQ in grants:
            # hq reads; it loads calendars, manages the staff register and runs imports (DOMAIN §10, §11, §13)
            assert route in HQ_WRITES, f"hq reads; it writes calendars, the register and imports only: {route}"
        if Role.MANAGER in grants and route.startswith("/clients/{client_id}", route.index(" ") + 1):
            assert grants[Role.MANAGER] is Scope.OWN, f"a manager acts on its own clients only: {route}"


# ---------------------------------------------------------------------------------------------
# Without a valid token nothing is answered


def concrete(route: str) -> tuple[str, str]:
    method, path = route.split(" ", 1)
    values = {
        "client_id": "C001",
        "year": "2026",
        "contact_id": "c-1",
        "complaint_no": "TS-2603-0001",
        "callback_id": "PD-C001-20260602",
        "case_id": "RC-20260302-0000000000",
        "manager_id": "mgr-1",
        "date": "2026-06-01",
        "week": "2026-W23",
        "prospect_id": "p-1",
        "activity_id": "a-1",
        "period": "2026Q2",
        "staff_id": "mgr-1",
        "import_id": "IMP-20260601-0000000000",
    }
    return method, path.format(**values)


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["custom:role"], claims["cognito:username"] = "hq", "intruder"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def authorization(world: World, kind: str) -> dict[str, str]:
    issuer = world.harness.issuer
    if kind == "missing":
        return {}
    if kind == "forged":  # signed with a key that is not the system's
        other = TokenIssuer(secret=b"not-the-integration-secret-32byt", issuer=issuer.issuer)
        return {"Authorization": f"Bearer {other.mint(role='supervisor', user='sup-1', branch='B1')}"}
    if kind == "expired":
        stale = issuer.mint(role="supervisor", user="sup-1", branch="B1", now=datetime.now(UTC) - timedelta(days=1))
        return {"Authorization": f"Bearer {stale}"}
    if kind == "tampered":  # a genuine token with its claims changed after signing
        return {"Authorization": f"Bearer {tampered(issuer.mint(role='counter', user='ctr-1', branch='B1'))}"}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "forged", "expired", "tampered"])
@pytest.mark.parametrize("route", sorted(OPENAPI_ROUTES))
def test_no_valid_token_no_answer(world: World, route: str, kind: str) -> None:
    method, path = concrete(route)
    headers = {"Content-Type": "application/json", **authorization(world, kind)}
    body = b"{}" if method != "GET" else b""
    response = world.harness.gateway.handle(method, path, headers=headers, body=body)
    assert response.status == 401, (route, kind, response.body)
    assert leaked(response, Request(path), world.secrets_mgr1 + world.secrets_b2) == []
