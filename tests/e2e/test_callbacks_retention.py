"""Acceptance of the callbacks and retention issue over HTTP against `crm local`, as a new user
would try it: `crm clock` to set the day, `crm trigger callbacks --at …` to run the 06:00 job.

A system of its own: the yearly sample's population is every client on record, so no other
test's clients may be in it."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop

SUPERVISOR = ("supervisor", "sup-cb", "B9")
COUNTER = ("counter", "ctr-cb", "B9")
MANAGER = ("manager", "mgr-cb", "B9")
HQ = ("hq", "hq-cb", None)
A_PLUS = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
CLASS_E = {"assets": 50_000, "avg_assets": 10_000, "trade_volume": 20_000}
CLASS_G = {"assets": 5_000, "avg_assets": 1_000, "trade_volume": 0}
IDS = {
    "NEW20": "110101199003074514",
    "MONTHEND": "11010519491231002X",
    "PLUS": "110101198001010010",
    "SMALL": "110101198001010037",
    "SLEEPY": "110101198001010053",
    "LEAVER": "11010119800101007X",
    "LATE27": "110101198001010096",
}


@pytest.fixture(scope="module")
def system() -> Iterator[LocalSystem]:
    started = start(free_port())
    yield started
    stop(started)


def clock(system: LocalSystem, moment: str) -> None:
    crm("clock", moment, "--port", str(system.port))


def trigger(system: LocalSystem, at: str) -> dict[str, Any]:
    return json.loads(crm("trigger", "callbacks", "--at", at, "--port", str(system.port)).stdout)["result"]


def register(system: LocalSystem, client_id: str, opened_on: str, **changes: Any) -> None:
    body = {
        "client_id": client_id,
        "name": "回访客户",
        "id_number": IDS[client_id],
        "phone": f"1390000{len(client_id):04d}",
        "branch_id": "B9",
        "manager_id": "mgr-cb",
        "opened_on": opened_on,
    } | changes
    system.token("manager", body["manager_id"], body["branch_id"])  # on the staff register (crm token)
    reply = system.request("POST", "/clients", body, as_=SUPERVISOR)
    assert reply.status == 201, reply.body


def tasks(system: LocalSystem, query: str) -> list[dict[str, Any]]:
    reply = system.request("GET", f"/callbacks?{query}", as_=SUPERVISOR)
    assert reply.status == 200, reply.body
    return reply.body["items"]


def settled(system: LocalSystem, probe: Any) -> Any:
    found = system.wait_for(probe)
    assert found, "the stream handlers did not catch up"
    return found


def run_until(system: LocalSystem, at: str, query: str, count: int) -> list[dict[str, Any]]:
    """Run the job at `at` until the tasks it should create are there (the streams that keep its
    schedule are asynchronous, so the first run may come before them); the runs are idempotent."""
    return settled(system, lambda: trigger(system, at) and len(found := tasks(system, query)) == count and found)


def test_callbacks_retention_and_the_yearly_sample(system: LocalSystem) -> None:
    clock(system, "2026-11-20T10:00:00+08:00")
    register(system, "NEW20", "2026-11-20")
    clock(system, "2026-11-30T10:00:00+08:00")
    register(system, "MONTHEND", "2026-11-30")
    settled(system, lambda: system.request("GET", "/clients/MONTHEND", as_=SUPERVISOR).status == 200)

    run_until(system, "2026-12-01T06:00:00+08:00", "kind=new_account", 2)
    assert trigger(system, "2026-12-01T06:30:00+08:00")["created"] == {}  # the same day again: nothing
    pool = {t["callback_id"]: t for t in tasks(system, "owner=pool&status=open&kind=new_account")}
    assert (pool["NA-NEW20"]["due_at"], pool["NA-NEW20"]["owner"]) == ("2026-12-20T23:59:59+08:00", None)
    assert pool["NA-MONTHEND"]["due_at"] == "2026-12-31T23:59:59+08:00"  # a month-end opening: the last day

    refused = system.request("POST", "/callbacks/NA-NEW20/attempts", {"reached": False}, as_=MANAGER)
    assert refused.status == 403, refused.body
    for _ in range(3):
        last = system.request("POST", "/callbacks/NA-NEW20/attempts", {"reached": False}, as_=COUNTER)
    assert (last.body["status"], last.body["attempts"]) == ("unreachable", 3)

    # a replied complaint: its callback two working days after the reply; done, the complaint follows
    clock(system, "2026-12-02T10:00:00+08:00")  # a Wednesday
    body = {"client_id": "NEW20", "channel": "phone", "category": "efficiency", "content": "转账到账慢"}
    number = system.request("POST", "/complaints", body, as_=SUPERVISOR).body["complaint_no"]
    for to in ("accepted", "investigating", "replied"):
        moved = system.request("POST", f"/complaints/{number}/transitions", {"to": to, "note": to}, as_=SUPERVISOR)
        assert moved.status == 200, moved.body
    run_until(system, "2026-12-03T06:00:00+08:00", "kind=post_complaint", 1)
    callback = system.request("GET", f"/callbacks/PC-{number}", as_=SUPERVISOR).body
    assert callback["due_at"] == "2026-12-04T23:59:59+08:00"
    reached = {"reached": True, "attitude": "satisfied", "score": 9, "solved": True, "risk_reminder": True}
    done = system.request("POST", f"/callbacks/PC-{number}/attempts", reached, as_=COUNTER)
    assert done.body["status"] == "done", done.body
    complaint = system.request("GET", f"/complaints/{number}", as_=SUPERVISOR).body
    assert (complaint["status"], complaint["satisfaction"]) == ("callback_done", "satisfied")

    # an A+ client is called a month after its class was set, an E client not; a VIP on its birthday
    register(system, "PLUS", "2020-01-02", birthday="1980-01-09")
    register(system, "SMALL", "2020-01-02", birthday="1980-01-09")
    register(system, "SLEEPY", "2020-01-02")
    register(system, "LEAVER", "2020-01-02")
    for client_id, figures in (("PLUS", A_PLUS), ("SMALL", CLASS_E), ("SLEEPY", CLASS_G)):
        put = system.request("PUT", f"/clients/{client_id}/metrics/2026", figures, as_=SUPERVISOR)
        assert put.status == 200, put.body
    settled(system, lambda: system.request("GET", "/clients/PLUS", as_=SUPERVISOR).body["vip"])
    settled(system, lambda: system.request("GET", "/clients/SLEEPY", as_=SUPERVISOR).body["client_class"] == "G")
    (periodic,) = run_until(system, "2026-12-26T06:00:00+08:00", "kind=periodic", 1)
    assert (periodic["client_id"], periodic["due_at"], periodic["owner"]) == (
        "PLUS",
        "2027-01-02T23:59:59+08:00",
        "mgr-cb",
    )

    # a closure decided closed: the client closed, a follow-up 30 days later; nothing for a retained one
    clock(system, "2026-12-26T10:00:00+08:00")
    case = system.request(
        "POST", "/retention-cases", {"client_id": "LEAVER", "kind": "closure", "reason": "fees"}, as_=COUNTER
    ).body
    assert system.request("GET", "/clients/at-risk", as_=SUPERVISOR).body["items"][0]["reasons"] == [
        "closure_requested"
    ]
    outcome = system.request(
        "POST", f"/retention-cases/{case['case_id']}/outcome", {"outcome": "closed", "note": "销户"}, as_=COUNTER
    )
    assert outcome.body["status"] == "closed", outcome.body
    assert system.request("GET", "/clients/LEAVER", as_=SUPERVISOR).body["status"] == "closed"
    retained = system.request(
        "POST", "/retention-cases", {"client_id": "SMALL", "kind": "transfer", "reason": "service"}, as_=COUNTER
    ).body
    system.request("POST", f"/retention-cases/{retained['case_id']}/outcome", {"outcome": "retained"}, as_=COUNTER)
    (follow_up,) = run_until(system, "2026-12-27T06:00:00+08:00", "kind=post_closure", 1)
    assert (follow_up["source"], follow_up["due_at"]) == (case["case_id"], "2027-01-25T23:59:59+08:00")

    # the first run of 2027: the VIP's birthday care call and the 2027 sample
    clock(system, "2027-01-01T09:00:00+08:00")
    register(system, "LATE27", "2027-01-01")
    (care,) = run_until(system, "2027-01-06T06:00:00+08:00", "kind=care", 1)
    assert (care["client_id"], care["due_at"]) == ("PLUS", "2027-01-09T23:59:59+08:00")
    sample = system.request("GET", "/callbacks/samples/2027", as_=HQ).body
    eligible = ["MONTHEND", "NEW20", "PLUS", "SMALL"]  # not dormant SLEEPY, closed LEAVER, 2027's LATE27
    assert sample["population"] == len(eligible)
    seed = sample["seed"]
    ranked = sorted(eligible, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert hashlib.sha256("\n".join(sorted(eligible)).encode()).hexdigest() == sample["population_digest"]
    assert ranked[: math.ceil(Decimal(str(sample["rate"])) * len(eligible))] == sample["drawn"]
    assert len(sample["drawn"]) >= Decimal("0.1") * len(eligible)
    assert trigger(system, "2027-01-07T06:00:00+08:00")["sample"] == "complete"
    assert system.request("GET", "/callbacks/samples/2027", as_=HQ).body == sample
    clock(system, "")
