"""Concurrency (API.md «Rules every route follows»): every single mutable resource answers with its
`ETag`, and a change to it honours `If-Match` — a stale one is 412 `precondition_failed` and changes
nothing (every item of every table the same before and after), a current one succeeds and answers
the new `ETag` its `GET` then shows, and without `If-Match` a change is accepted as before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from crm.local.front import GatewayResponse
from tests.integration.harness import Harness, new_client
from tests.integration.test_hostile_input import stored

Caller = tuple[str, str, str | None]
SUPERVISOR: Caller = ("supervisor", "sup-b1", "B1")
MANAGER: Caller = ("manager", "mgr-1", "B1")
HQ: Caller = ("hq", "hq-1", None)
OPENED = "2026-06-01T05:00:00+08:00"
AT = "2026-06-10T10:00:00+08:00"
COMPLAINT = {"client_id": "C001", "channel": "phone", "category": "other", "content": "投诉"}
CONTACT = {"client_id": "C001", "channel": "phone", "subject": "咨询", "first_responder": "mgr-1"}
CASE = {"client_id": "C001", "kind": "transfer", "reason": "service"}
PROSPECT = {"name": "意向客户", "phone": "13500000001", "source": "walk_in", "branch_id": "B1", "manager_id": "mgr-1"}


@dataclass(frozen=True)
class Target:
    """A mutable resource made ready to change: how to read it (None: no route reads it alone), how
    to change it — with two successive valid bodies — as whom, and its ETag before any change."""

    change: str  # "METHOD path"
    bodies: tuple[Any, Any]
    caller: Caller
    etag: str
    read: str | None


def ok(harness: Harness, method: str, path: str, body: Any = None, *, as_: Caller = SUPERVISOR) -> GatewayResponse:
    response = harness.call(method, path, body, as_=as_, at=AT)
    assert 200 <= response.status < 300, (method, path, response.status, response.body)
    return response


def etag_of(response: GatewayResponse) -> str:
    tag = response.headers.get("ETag", "")
    assert tag.startswith('"'), response.headers
    assert tag.endswith('"'), response.headers
    return tag


def registered(harness: Harness, *client_ids: str) -> None:
    for client_id in client_ids:
        response = harness.call("POST", "/clients", new_client(client_id, opened_on="2026-06-01"), at=OPENED)
        assert response.status == 201, response.body


def readable(harness: Harness, read: str, change: str, bodies: tuple[Any, Any], caller: Caller = SUPERVISOR) -> Target:
    return Target(change, bodies, caller, etag_of(ok(harness, "GET", read, as_=caller)), read)


def client_change(route: str, *bodies: Any) -> Callable[[Harness], Target]:
    def prepare(harness: Harness) -> Target:
        registered(harness, "C001")
        return readable(harness, "/clients/C001", route, (bodies[0], bodies[1]))

    return prepare


def profile(harness: Harness) -> Target:
    registered(harness, "C001")
    bodies = ({"note": "拜访记录"}, {"note": "再次拜访", "value_segment": "rising_star"})
    return readable(harness, "/clients/C001/profile", "PUT /clients/C001/profile", bodies)


def complaint(harness: Harness) -> Target:
    registered(harness, "C001")
    number = ok(harness, "POST", "/complaints", COMPLAINT).json()["complaint_no"]
    bodies = ({"to": "accepted", "note": "受理"}, {"to": "investigating", "note": "调查"})
    return readable(harness, f"/complaints/{number}", f"POST /complaints/{number}/transitions", bodies)


def new_account_callback(harness: Harness) -> None:
    registered(harness, "C001")
    harness.drain()  # the callback schedule, kept by the streams
    harness.trigger("callbacks", "2026-06-01T06:00:00+08:00")


def callback_owner(harness: Harness) -> Target:
    new_account_callback(harness)
    bodies = ({"owner": "ctr-5"}, {"owner": "ctr-1"})
    return readable(harness, "/callbacks/NA-C001", "PUT /callbacks/NA-C001/owner", bodies)


def callback_attempt(harness: Harness) -> Target:
    new_account_callback(harness)
    unreached = {"reached": False, "next_at": "2026-06-11T10:00:00+08:00"}
    bodies = (unreached, {**unreached, "next_at": "2026-06-12T10:00:00+08:00"})
    return readable(harness, "/callbacks/NA-C001", "POST /callbacks/NA-C001/attempts", bodies)


def contact(harness: Harness) -> Target:
    registered(harness, "C001")
    contact_id = ok(harness, "POST", "/contacts", CONTACT).json()["contact_id"]
    bodies = ({"answer": "已答复"}, {"answer": "再次答复"})
    return readable(harness, f"/contacts/{contact_id}", f"POST /contacts/{contact_id}/reply", bodies)


def retention_case(harness: Harness) -> str:
    registered(harness, "C001")
    return str(ok(harness, "POST", "/retention-cases", CASE).json()["case_id"])


def retention_action(harness: Harness) -> Target:
    case_id = retention_case(harness)
    bodies = ({"action": "电话挽留", "note": "减免佣金"}, {"action": "上门拜访", "note": "说明服务"})
    return readable(harness, f"/retention-cases/{case_id}", f"POST /retention-cases/{case_id}/actions", bodies)


def retention_outcome(harness: Harness) -> Target:
    case_id = retention_case(harness)
    bodies = ({"outcome": "retained", "note": "留下"}, {"outcome": "transferred", "note": "转走"})
    return readable(harness, f"/retention-cases/{case_id}", f"POST /retention-cases/{case_id}/outcome", bodies)


def prospect(harness: Harness) -> Target:
    prospect_id = ok(harness, "POST", "/prospects", PROSPECT).json()["prospect_id"]
    bodies = ({"outcome": "dropped", "reason": "无意向"}, {"outcome": "dropped", "reason": "已在他处开户"})
    return readable(harness, f"/prospects/{prospect_id}", f"POST /prospects/{prospect_id}/outcome", bodies)


def staff_member(harness: Harness) -> Target:
    member = {"name": "新柜员", "role": "counter", "branch_id": "B1", "active": True, "reason": "入职"}
    ok(harness, "PUT", "/staff/ctr-new", member, as_=HQ)
    bodies = ({**member, "name": "新柜员甲", "reason": "改名"}, {**member, "active": False, "reason": "离职"})
    return readable(harness, "/staff/ctr-new", "PUT /staff/ctr-new", bodies, HQ)


def calendar_year(harness: Harness) -> Target:
    bodies = (
        {"holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-06"]},
        {"holidays": ["2027-01-01"], "workdays": []},
    )
    return readable(harness, "/calendar/2027", "PUT /calendar/2027", bodies, HQ)


def work_log(harness: Harness) -> Target:
    path = "/work-logs/mgr-1/2026-06-10"
    first = {"entries": [{"kind": "research", "minutes": 60, "note": "研究"}]}
    written = ok(harness, "PUT", path, first, as_=MANAGER)
    bodies = ({"entries": [{"kind": "research", "minutes": 90, "note": "研究"}]}, first)
    return Target(f"PUT {path}", bodies, MANAGER, etag_of(written), None)


def weekly_summary(harness: Harness) -> Target:
    path = "/weekly-summaries/mgr-1/2026-W24"
    first = {"achieved": "开户", "problems": "无", "plan": "回访"}
    written = ok(harness, "PUT", path, first, as_=MANAGER)
    bodies = ({**first, "plan": "回访三户"}, {**first, "problems": "时间紧"})
    return Target(f"PUT {path}", bodies, MANAGER, etag_of(written), None)


def education_attendance(harness: Harness) -> Target:
    registered(harness, "C001", "C002")
    lecture = {"title": "讲座", "kind": "seminar", "branch_id": "B1", "held_on": "2026-06-09", "topic": "债券"}
    created = ok(harness, "POST", "/education/activities", lecture | {"speaker": "王老师"})
    path = f"/education/activities/{created.json()['activity_id']}/attendance"
    bodies = ({"client_ids": ["C001"]}, {"client_ids": ["C001", "C002"]})
    return Target(f"PUT {path}", bodies, SUPERVISOR, etag_of(created), None)


RESOURCES: dict[str, Callable[[Harness], Target]] = {
    "client manager": client_change(
        "PUT /clients/C001/manager",
        {"manager_id": "mgr-3", "reason": "客户要求更换客户经理"},
        {"manager_id": "mgr-2", "reason": "再次更换"},
    ),
    "client contact details": client_change(
        "PUT /clients/C001/contact-details",
        {"email": "c001.a@example.com", "evidence_ref": "REC-1"},
        {"email": "c001.b@example.com", "evidence_ref": "REC-2"},
    ),
    "client securities accounts": client_change(
        "PUT /clients/C001/securities-accounts",
        {"accounts": [{"exchange": "SH", "account": "A123456789"}]},
        {"accounts": []},
    ),
    "client profile": profile,
    "complaint": complaint,
    "callback owner": callback_owner,
    "callback attempt": callback_attempt,
    "contact": contact,
    "retention action": retention_action,
    "retention outcome": retention_outcome,
    "prospect": prospect,
    "staff member": staff_member,
    "calendar year": calendar_year,
    "work log": work_log,
    "weekly summary": weekly_summary,
    "education attendance": education_attendance,
}


def change(harness: Harness, target: Target, body: Any, if_match: str | None = None) -> GatewayResponse:
    method, path = target.change.split(" ", 1)
    headers = {} if if_match is None else {"If-Match": if_match}
    return harness.call(method, path, body, as_=target.caller, headers=headers, at=AT)


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_current_if_match_changes_it_and_answers_the_etag_its_get_then_shows(harness: Harness, resource: str) -> None:
    target = RESOURCES[resource](harness)
    changed = change(harness, target, target.bodies[0], if_match=target.etag)
    assert changed.status == 200, changed.body
    assert etag_of(changed) != target.etag
    if target.read is not None:
        assert etag_of(ok(harness, "GET", target.read, as_=target.caller)) == etag_of(changed)


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_stale_if_match_is_412_and_changes_nothing(harness: Harness, resource: str) -> None:
    target = RESOURCES[resource](harness)
    current = etag_of(change(harness, target, target.bodies[0]))
    harness.drain()
    before = stored()

    refused = change(harness, target, target.bodies[1], if_match=target.etag)

    assert refused.status == 412, refused.body
    assert refused.json()["error"]["code"] == "precondition_failed"
    assert refused.json()["error"]["field"] == "If-Match"
    harness.drain()
    assert stored() == before, "a refused change stored something"
    if target.read is not None:
        assert etag_of(ok(harness, "GET", target.read, as_=target.caller)) == current


@pytest.mark.parametrize("resource", RESOURCES)
def test_without_if_match_a_change_is_accepted_as_before(harness: Harness, resource: str) -> None:
    target = RESOURCES[resource](harness)
    changed = change(harness, target, target.bodies[0])
    assert changed.status == 200, changed.body
    assert etag_of(changed) != target.etag


CREATED = {  # a creating POST whose answer is a resource with a URL of its own (its GET)
    "client": ("/clients", new_client("C009", opened_on="2026-06-01")),
    "complaint": ("/complaints", COMPLAINT),
    "contact": ("/contacts", CONTACT),
    "retention case": ("/retention-cases", CASE),
    "prospect": ("/prospects", PROSPECT),
}


@pytest.mark.parametrize("resource", CREATED)
def test_a_created_resource_answers_its_location_and_the_etag_its_get_shows(harness: Harness, resource: str) -> None:
    registered(harness, "C001")
    collection, body = CREATED[resource]
    created = harness.call("POST", collection, body, at=AT)
    assert created.status == 201, created.body
    # Location is relative to the request's URL (it holds under any stage or base path)
    read = ok(harness, "GET", urlsplit(urljoin(f"https://api.example{collection}", created.headers["Location"])).path)
    assert read.json() == created.json() or resource == "client"  # a client's read adds same_person
    assert etag_of(read) == etag_of(created)


def test_a_replayed_creation_repeats_its_etag_and_location(harness: Harness) -> None:
    key = {"Idempotency-Key": "register-C009"}
    first = harness.call("POST", "/clients", new_client("C009"), headers=key, at=AT)
    again = harness.call("POST", "/clients", new_client("C009"), headers=key, at=AT)
    assert (first.status, again.status) == (201, 201)
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Location"] == first.headers["Location"] == "clients/C009"


# If-Match as RFC 9110 §13.1.1 reads it: `*`, a list, strong comparison.


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ("*", 200),  # any version, so long as there is one
        ('"0", "{current}"', 200),  # a list naming the current one
        (' "{current}" , ', 200),  # whitespace and empty elements
        ('W/"{current}"', 412),  # a weak tag never matches under If-Match
        ('"0", "99"', 412),
        ("{current}", 400),  # not quoted: no entity tag at all
        ('"{current}" "0"', 400),  # two tags without a comma
        (",", 400),
    ],
)
def test_if_match_is_read_as_rfc_9110_says(harness: Harness, if_match: str, status: int) -> None:
    target = RESOURCES["client contact details"](harness)
    current = target.etag.strip('"')
    answer = change(harness, target, target.bodies[0], if_match=if_match.format(current=current))
    assert answer.status == status, answer.body
    if status != 200:
        assert answer.json()["error"]["field"] == "If-Match"


def test_if_match_star_on_a_record_not_yet_written_is_412(harness: Harness) -> None:
    answer = harness.call(
        "PUT",
        "/work-logs/mgr-1/2026-06-10",
        {"entries": [{"kind": "research", "minutes": 60, "note": "研究"}]},
        as_=MANAGER,
        headers={"If-Match": "*"},
        at=AT,
    )
    assert answer.status == 412, answer.body


def test_the_profile_shares_the_clients_etag(harness: Harness) -> None:
    """The profile lives on the client's record: one version, whichever route changed it."""
    target = RESOURCES["client profile"](harness)
    assert etag_of(ok(harness, "GET", "/clients/C001")) == target.etag
    changed = change(harness, target, target.bodies[0], if_match=target.etag)
    assert etag_of(ok(harness, "GET", "/clients/C001")) == etag_of(changed)
    stale = harness.call(
        "PUT",
        "/clients/C001/contact-details",
        {"email": "c001.z@example.com", "evidence_ref": "REC-9"},
        headers={"If-Match": target.etag},
        at=AT,
    )
    assert stale.status == 412, stale.body
