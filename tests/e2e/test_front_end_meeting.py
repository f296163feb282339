"""Issue 20 through `crm local`, as a new front-end team meets it: a browser on another origin
calls the API (CORS for the allowed origins only), staff find one person's accounts by ID number
within their scope (第29条4), a key-information change reaches every account of the person, a
sixth account is refused, a client's overview and each person's work for the day answer, and the
rules every route follows hold: an unknown query parameter is 400 naming it, a stale `If-Match`
is 412, lists filter by client."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crm.domain.time import BEIJING
from tests.e2e.conftest import LocalSystem
from tests.integration.harness import person_of

SUP_F1 = ("supervisor", "sup-f1", "F1")
SUP_F2 = ("supervisor", "sup-f2", "F2")
CTR_F1 = ("counter", "ctr-f1", "F1")
MGR_F1 = ("manager", "mgr-f1", "F1")
APP = "http://localhost:5173"  # a front-end's dev server: `crm local` allows localhost on any port
ELSEWHERE = "https://elsewhere.example"
PERSON = person_of("FE01")  # one person holding accounts FE01, FE02 (F1) and FE09 (F2)


def account(client_id: str, branch: str = "F1", **more: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": "欧阳娜娜",
        **PERSON,
        "branch_id": branch,
        "manager_id": "mgr-f1" if branch == "F1" else "mgr-f2",
        "opened_on": "2021-03-01",
    } | more


def register_person(local: LocalSystem) -> None:
    local.token(*MGR_F1)  # `crm token` puts each on the staff register
    local.token("manager", "mgr-f2", "F2")
    for client_id, branch, opened_on in (("FE01", "F1", "2019-04-01"), ("FE02", "F1", "2022-08-15")):
        created = local.request("POST", "/clients", account(client_id, branch, opened_on=opened_on), as_=SUP_F1)
        assert created.status in (201, 409), created.body  # 409: an earlier test of this module made it
    local.request("POST", "/clients", account("FE09", "F2", opened_on="2024-01-02"), as_=SUP_F2)


def test_a_browser_on_an_allowed_origin_may_call_and_another_may_not(local: LocalSystem) -> None:
    preflight = local.request(
        "OPTIONS",
        "/clients/lookup",
        as_=None,
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key,if-match",
        },
    )
    assert preflight.status in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == APP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key", "if-match"):
        assert header in allowed_headers
    assert "origin" in preflight.headers.get("vary", "").lower()

    answered = local.request("GET", "/staff/sup-f1", as_=SUP_F1, headers={"Origin": APP})
    assert answered.status == 200
    assert answered.headers["access-control-allow-origin"] == APP
    refused = local.request("GET", "/clients/NOPE", as_=None, headers={"Origin": APP})  # no token: 401
    assert refused.status == 401
    assert refused.headers["access-control-allow-origin"] == APP  # the browser may read why

    for reply in (
        local.request("OPTIONS", "/clients/lookup", as_=None, headers={"Origin": ELSEWHERE}),
        local.request("GET", "/staff/sup-f1", as_=SUP_F1, headers={"Origin": ELSEWHERE}),
    ):
        assert "access-control-allow-origin" not in reply.headers


def test_one_persons_accounts_are_found_in_scope_and_share_key_information(local: LocalSystem) -> None:
    register_person(local)
    found = local.request("POST", "/clients/lookup", {"id_number": PERSON["id_number"]}, as_=CTR_F1)
    assert found.status == 200, found.body
    assert [c["client_id"] for c in found.body["items"]] == ["FE02", "FE01"]  # newest first; F2's not a hint
    assert PERSON["id_number"] not in str(found.body)  # masked for counter staff
    elsewhere = local.request("POST", "/clients/lookup", {"id_number": PERSON["id_number"]}, as_=SUP_F2)
    assert [c["client_id"] for c in elsewhere.body["items"]] == ["FE09"]
    # the number travels in the body, never in the URL
    in_url = local.request("GET", f"/clients?id_number={PERSON['id_number']}", as_=SUP_F1)
    assert (in_url.status, in_url.body["error"]["field"]) == (400, "id_number")

    changed = local.request(
        "PUT", "/clients/FE01/contact-details", {"phone": "13655554444", "evidence_ref": "柜台变更单 F1-7"}, as_=CTR_F1
    )
    assert changed.status == 200, changed.body
    for client_id, caller in (("FE02", SUP_F1), ("FE09", SUP_F2)):
        assert local.request("GET", f"/clients/{client_id}", as_=caller).body["phone"] == "13655554444"
    assert local.request("GET", "/clients/FE01", as_=SUP_F1).body["same_person"] == ["FE02"]


def test_a_sixth_open_account_of_a_person_is_refused(local: LocalSystem) -> None:
    local.token(*MGR_F1)
    holder = person_of("FE11")  # a person of this test's own
    for n in range(1, 6):
        made = local.request("POST", "/clients", account(f"FE1{n}", **holder), as_=SUP_F1)
        assert made.status == 201, made.body
    sixth = local.request("POST", "/clients", account("FE16", **holder), as_=SUP_F1)
    assert sixth.status == 409
    assert sixth.body["error"]["field"] == "id_number"
    assert local.request("GET", "/clients/FE16", as_=SUP_F1).status == 404


def test_the_overview_and_the_days_work_answer_as_the_contract_says(local: LocalSystem) -> None:
    register_person(local)
    contact = {"client_id": "FE01", "channel": "email", "subject": "对账单", "first_responder": "mgr-f1"}
    assert local.request("POST", "/contacts", contact, as_=MGR_F1).status == 201
    overview = local.request("GET", "/clients/FE01/overview", as_=MGR_F1)
    assert overview.status == 200, overview.body
    assert set(overview.body) >= {
        "client",
        "metrics",
        "businesses",
        "open_complaints",
        "open_callbacks",
        "open_contacts",
        "retention_case",
        "same_person",
    }
    assert overview.body["client"]["client_id"] == "FE01"
    assert [c["subject"] for c in overview.body["open_contacts"]] == ["对账单"]
    assert overview.body["same_person"] == ["FE02"]
    assert local.request("GET", "/clients/FE01/overview", as_=SUP_F2).status == 403

    fortnight = (datetime.now(BEIJING) + timedelta(days=14)).date()  # the reply is due within it

    def replies_due() -> list[dict[str, Any]]:
        work = local.request("GET", f"/work?date={fortnight}", as_=MGR_F1)
        assert work.status == 200, work.body
        assert set(work.body) == {"date", "items", "counts"}
        return [item for item in work.body["items"] if item["kind"] == "contact_reply"]

    replies = local.wait_for(replies_due)  # the reply's clock starts on the contact's stream record
    assert [item["client_id"] for item in replies] == ["FE01"]
    assert set(replies[0]) >= {"kind", "id", "client_id", "due_at", "overdue"}
    assert local.request("GET", f"/work?date={fortnight}", as_=MGR_F1).body["counts"]["contact_reply"] == 1


def test_the_rules_every_route_follows(local: LocalSystem) -> None:
    register_person(local)
    unknown = local.request("GET", "/retention-cases?nosuch=1", as_=SUP_F1)
    assert (unknown.status, unknown.body["error"]["field"]) == (400, "nosuch")

    for client_id in ("FE01", "FE02"):
        case = {"client_id": client_id, "kind": "transfer", "reason": "fees"}
        opened = local.request("POST", "/retention-cases", case, as_=SUP_F1)
        assert opened.status in (201, 409), opened.body
    filtered = local.request("GET", "/retention-cases?client_id=FE02", as_=SUP_F1)
    assert filtered.status == 200
    assert [case["client_id"] for case in filtered.body["items"]] == ["FE02"]

    read = local.request("GET", "/clients/FE02", as_=SUP_F1)
    etag = read.headers["etag"]
    details = {"email": "ouyang@example.com", "evidence_ref": "柜台变更单 F1-9"}
    changed = local.request("PUT", "/clients/FE02/contact-details", details, as_=SUP_F1, headers={"If-Match": etag})
    assert changed.status == 200, changed.body
    assert changed.headers["etag"] != etag
    stale = local.request(
        "PUT",
        "/clients/FE02/contact-details",
        details | {"email": "other@example.com"},
        as_=SUP_F1,
        headers={"If-Match": etag},
    )
    assert stale.status == 412, stale.body
    assert local.request("GET", "/clients/FE02", as_=SUP_F1).body["email"] == "ouyang@example.com"
