"""Transfer and closure retention through the API (DOMAIN §6): one open case per client, actions,
one final outcome the client's status follows, the follow-up callback 30 days later, open
periodic and care calls cancelled; and the branch's at-risk list (§5) kept by the streams."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

COUNTER = ("counter", "ctr-1", "B1")
MANAGER = ("manager", "mgr-1", "B1")
OTHER_MANAGER = ("manager", "mgr-2", "B1")
OTHER_BRANCH = ("counter", "ctr-b2", "B2")
HQ = ("hq", "hq-1", None)
A_PLUS = {"assets": 6_000_000, "avg_assets": 1_000_000, "trade_volume": 4_000_000}


def register(harness: Harness, client_id: str = "C001", *, at: str = "2026-06-01T09:00:00+08:00", **changes: Any):
    assert harness.call("POST", "/clients", new_client(client_id, **changes), at=at).status == 201
    harness.drain()


def open_case(harness: Harness, client_id: str = "C001", *, as_: Any = COUNTER, **changes: Any) -> Any:
    body = {"client_id": client_id, "kind": "closure", "reason": "fees", "note": "佣金太高"} | changes
    return harness.call("POST", "/retention-cases", body, as_=as_, at="2026-06-02T10:00:00+08:00")


def decide(harness: Harness, case_id: str, outcome: str, *, at: str = "2026-06-05T15:00:00+08:00") -> Any:
    return harness.call(
        "POST", f"/retention-cases/{case_id}/outcome", {"outcome": outcome, "note": "客户决定"}, as_=COUNTER, at=at
    )


def client(harness: Harness, client_id: str = "C001") -> dict[str, Any]:
    return harness.call("GET", f"/clients/{client_id}").json()


def at_risk(harness: Harness, as_: Any = COUNTER) -> list[dict[str, Any]]:
    response = harness.call("GET", "/clients/at-risk", as_=as_)
    assert response.status == 200, response.body
    return response.json()["items"]


def test_a_closure_decided_closed_closes_the_client_and_brings_its_follow_up_30_days_later(harness: Harness) -> None:
    register(harness, birthday="1990-09-20")
    harness.call("PUT", "/clients/C001/metrics/2026", A_PLUS, at="2026-06-01T10:00:00+08:00")
    harness.drain()
    harness.trigger("callbacks", "2026-06-25T06:00:00+08:00")  # the periodic call is open
    opened = open_case(harness)
    assert opened.status == 201, opened.body
    case = opened.json()
    assert (case["status"], case["actions"], case["kind"], case["reason"]) == ("open", [], "closure", "fees")
    assert client(harness)["status"] == "active"
    harness.drain()
    (risky,) = at_risk(harness)
    assert (risky["client_id"], risky["reasons"], risky["open_case_id"]) == (
        "C001",
        ["closure_requested"],
        case["case_id"],
    )
    act = harness.call(
        "POST", f"/retention-cases/{case['case_id']}/actions", {"action": "减免佣金", "note": "万一"}, as_=MANAGER
    )
    assert act.json()["actions"][0]["action"] == "减免佣金", act.body
    decided = decide(harness, case["case_id"], "closed")
    assert (decided.json()["status"], decided.json()["decided_at"]) == ("closed", "2026-06-05T15:00:00+08:00")
    assert client(harness)["status"] == "closed"
    harness.drain()
    assert at_risk(harness) == []
    periodic = harness.call("GET", "/callbacks", query="kind=periodic").json()["items"]
    assert [t["status"] for t in periodic] == ["cancelled"]
    harness.trigger("callbacks", "2026-06-06T06:00:00+08:00")
    follow_up = harness.call("GET", "/callbacks", query="kind=post_closure").json()["items"]
    assert [(t["source"], t["due_at"], t["owner"]) for t in follow_up] == [
        (case["case_id"], "2026-07-05T23:59:59+08:00", None)
    ]
    harness.trigger("callbacks", "2026-09-17T06:00:00+08:00")  # its birthday's care call: none
    assert harness.call("GET", "/callbacks", query="kind=care").json()["items"] == []
    assert decide(harness, case["case_id"], "retained").status == 409
    again = harness.call("POST", f"/retention-cases/{case['case_id']}/actions", {"action": "再联系"}, as_=COUNTER)
    assert again.status == 409
    assert open_case(harness).status == 409  # a closed client has nothing left to retain


def test_retained_keeps_the_client_active_and_brings_no_follow_up(harness: Harness) -> None:
    register(harness)
    case = open_case(harness, kind="transfer", reason="service").json()
    assert open_case(harness).status == 409  # one open case per client
    assert decide(harness, case["case_id"], "retained").json()["status"] == "retained"
    assert client(harness)["status"] == "active"
    harness.drain()
    harness.trigger("callbacks", "2026-06-06T06:00:00+08:00")
    assert harness.call("GET", "/callbacks", query="kind=post_closure").json()["items"] == []
    assert open_case(harness).status == 201  # decided: a new request opens a new case


def test_a_transfer_makes_the_client_transferred_and_cases_list_per_branch(harness: Harness) -> None:
    register(harness)
    register(harness, "C002", manager_id="mgr-2")
    mine = open_case(harness, kind="transfer").json()
    theirs = open_case(harness, "C002").json()
    decide(harness, mine["case_id"], "transferred")
    assert client(harness)["status"] == "transferred"
    listed = harness.call("GET", "/retention-cases", query="status=open").json()["items"]
    assert [c["case_id"] for c in listed] == [theirs["case_id"]]
    assert [c["case_id"] for c in harness.call("GET", "/retention-cases", as_=MANAGER).json()["items"]] == [
        mine["case_id"]
    ]
    assert harness.call("GET", f"/retention-cases/{theirs['case_id']}", as_=MANAGER).status == 403
    assert harness.call("GET", f"/retention-cases/{mine['case_id']}", as_=OTHER_BRANCH).status == 403
    assert len(harness.call("GET", "/retention-cases", query="branch_id=B1", as_=HQ).json()["items"]) == 2


def test_cases_list_by_client_and_by_several_statuses(harness: Harness) -> None:
    """The defect: `?client_id=C001` answered another client's case. Each client sees only its own."""
    for client_id, manager in (("C001", "mgr-1"), ("C002", "mgr-2"), ("C003", "mgr-1")):
        register(harness, client_id, manager_id=manager)
    first = open_case(harness, "C001").json()
    second = open_case(harness, "C002", kind="transfer").json()
    decide(harness, first["case_id"], "retained")
    again = open_case(harness, "C001").json()
    decide(harness, open_case(harness, "C003").json()["case_id"], "closed")

    def listed(query: str, as_: Any = COUNTER) -> list[tuple[str, str]]:
        return [(c["client_id"], c["status"]) for c in whole(harness, "/retention-cases", query=query, as_=as_)]

    assert sorted(listed("client_id=C001")) == [("C001", "open"), ("C001", "retained")]
    assert listed("client_id=C002") == [("C002", "open")]
    assert listed("client_id=C004") == []
    assert sorted(listed("status=open,retained")) == [("C001", "open"), ("C001", "retained"), ("C002", "open")]
    assert sorted(listed("status=open")) == [("C001", "open"), ("C002", "open")]
    assert listed("status=retained,closed&client_id=C001") == [("C001", "retained")]
    assert listed("client_id=C002", as_=MANAGER) == []  # a manager lists its own clients' cases only
    for bad in ("nosuch", "open,nosuch", "OPEN"):
        refused = harness.call("GET", "/retention-cases", query=f"status={bad}", as_=COUNTER)
        assert (refused.status, refused.json()["error"]["field"]) == (422, "status"), bad
    pages = every_page(harness, "/retention-cases", limit=2, as_=COUNTER)
    assert [len(page) for page in pages] == [2, 2]
    assert [c["case_id"] for page in pages for c in page] == [c["case_id"] for c in whole(harness, "/retention-cases")]
    assert again["case_id"] in {c["case_id"] for page in pages for c in page}
    assert second["case_id"] in {c["case_id"] for page in pages for c in page}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "merger"}, 422, "kind"),
        ({"reason": "weather"}, 422, "reason"),
        ({"client_id": "NOPE"}, 404, "client_id"),
        ({"client_id": ""}, 422, "client_id"),
        ({"note": "x" * 2001}, 422, "note"),
        ({"colour": "red"}, 422, "colour"),
    ],
    ids=["kind", "reason", "unknown-client", "empty-client", "long-note", "unknown-field"],
)
def test_bad_cases_are_refused_naming_the_field_and_store_nothing(
    harness: Harness, body: dict[str, Any], status: int, field: str
) -> None:
    register(harness)
    refused = open_case(harness, **body)
    assert (refused.status, refused.json()["error"]["field"]) == (status, field), refused.body
    assert harness.call("GET", "/retention-cases").json()["items"] == []
    assert client(harness)["status"] == "active"


def test_a_bad_outcome_is_refused_and_changes_nothing(harness: Harness) -> None:
    register(harness)
    case = open_case(harness).json()
    refused = harness.call("POST", f"/retention-cases/{case['case_id']}/outcome", {"outcome": "vanished"}, as_=COUNTER)
    assert (refused.status, refused.json()["error"]["field"]) == (422, "outcome")
    assert harness.call("GET", f"/retention-cases/{case['case_id']}").json()["status"] == "open"
    assert (
        harness.call("POST", f"/retention-cases/{case['case_id']}/outcome", {"outcome": "closed"}, as_=MANAGER).status
        == 403
    )
    assert harness.call("GET", "/retention-cases/RC-20260602-deadbeef00").status == 404


def test_an_idempotency_key_replays_the_first_case(harness: Harness) -> None:
    register(harness)
    body = {"client_id": "C001", "kind": "closure", "reason": "fees"}
    key = {"Idempotency-Key": "close-C001-1"}
    first = harness.call("POST", "/retention-cases", body, as_=COUNTER, headers=key)
    replay = harness.call("POST", "/retention-cases", body, as_=COUNTER, headers=key)
    assert (first.status, replay.status) == (201, 201)
    assert replay.json() == first.json()
    changed = harness.call("POST", "/retention-cases", body | {"reason": "moving"}, as_=COUNTER, headers=key)
    assert (changed.status, changed.json()["error"]["field"]) == (422, "Idempotency-Key")


def test_a_client_whose_assets_halved_is_at_risk_until_they_recover(harness: Harness) -> None:
    register(harness)
    register(harness, "C002", manager_id="mgr-2")
    for year, assets in ((2025, 1_000_000), (2026, 500_000)):
        figures = {"assets": assets, "avg_assets": 800_000, "trade_volume": 100_000}
        harness.call("PUT", f"/clients/C001/metrics/{year}", figures, at="2026-06-01T10:00:00+08:00")
        harness.call(
            "PUT", f"/clients/C002/metrics/{year}", figures | {"assets": 1_000_000}, at="2026-06-01T10:00:00+08:00"
        )
    harness.drain()
    (risky,) = at_risk(harness)
    assert (risky["client_id"], risky["reasons"], risky["assets_fell_in"]) == ("C001", ["assets_fell"], 2026)
    assert [c["client_id"] for c in at_risk(harness, as_=MANAGER)] == ["C001"]
    assert at_risk(harness, as_=OTHER_MANAGER) == []
    assert [c["client_id"] for c in whole(harness, "/clients/at-risk", query="client_id=C001")] == ["C001"]
    assert whole(harness, "/clients/at-risk", query="client_id=C002") == []
    assert harness.call("GET", "/clients/at-risk", as_=HQ).status == 422  # hq names the branch
    assert [
        c["client_id"] for c in harness.call("GET", "/clients/at-risk", query="branch_id=B1", as_=HQ).json()["items"]
    ] == ["C001"]
    harness.call(
        "PUT",
        "/clients/C001/metrics/2026",
        {"assets": 900_000, "avg_assets": 800_000, "trade_volume": 1},
        at="2026-06-02T10:00:00+08:00",
    )
    harness.drain()
    assert at_risk(harness) == []


def test_a_case_and_the_status_it_gives_leave_their_trace_in_the_audit_trail(harness: Harness) -> None:
    register(harness)
    case = open_case(harness).json()
    decide(harness, case["case_id"], "transferred")
    harness.drain()
    trail = harness.call("GET", "/audit/clients/C001", as_=("compliance", "cmp-1", None)).json()["items"]
    cases = [e for e in trail if e["table"] == "service" and e["key"]["sk"] == "CASE"]
    assert [(e["event"], e["by"]) for e in reversed(cases)] == [("INSERT", "ctr-1"), ("MODIFY", "ctr-1")]
    status = next(e for e in trail if e["key"]["sk"] == "PROFILE" and "status" in e["after"])
    assert (status["after"]["status"], status["reason"]) == ("transferred", f"case {case['case_id']}: transferred")
