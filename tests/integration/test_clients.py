"""Client routes end to end on moto: registration, reading, scope, masking, listing, manager
re-assignment, bad input (clear 4xx naming the field, nothing stored)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.harness import SUPERVISOR, Harness, new_client
from tests.integration.pages import every_page, whole

MANAGER = ("manager", "mgr-1", "B1")
OTHER_MANAGER = ("manager", "mgr-2", "B1")
COUNTER = ("counter", "ctr-1", "B1")
OTHER_BRANCH = ("supervisor", "sup-b2", "B2")
HQ = ("hq", "hq-1", None)
COMPLIANCE = ("compliance", "cmp-1", None)


def test_registered_client_reads_back_with_no_class_yet(harness: Harness, client: dict[str, Any]) -> None:
    got = harness.call("GET", "/clients/C001").json()
    assert {k: got[k] for k in client} == client
    assert got["client_class"] is None
    assert got["risk_level"] is None
    assert got["vip"] is False


@pytest.mark.parametrize(
    ("caller", "id_number", "phone"),
    [
        (("supervisor", "sup-b1", "B1"), "110101199003074514", "13800138000"),
        (MANAGER, "110101********4514", "138****8000"),
        (COUNTER, "110101********4514", "138****8000"),
        (HQ, "110101********4514", "138****8000"),
        (COMPLIANCE, "110101********4514", "138****8000"),
    ],
    ids=["supervisor-full", "manager", "counter", "hq", "compliance"],
)
def test_pii_is_masked_for_roles_that_do_not_need_it(
    harness: Harness, client: dict[str, Any], caller: tuple[str, str, str | None], id_number: str, phone: str
) -> None:
    got = harness.call("GET", "/clients/C001", as_=caller).json()
    assert (got["id_number"], got["phone"]) == (id_number, phone)


@pytest.mark.parametrize(
    "caller",
    [OTHER_MANAGER, OTHER_BRANCH, ("counter", "ctr-9", "B2")],
    ids=["other-manager", "other-branch", "counter-b2"],
)
def test_out_of_scope_reads_are_refused_without_data(
    harness: Harness, client: dict[str, Any], caller: tuple[str, str, str | None]
) -> None:
    response = harness.call("GET", "/clients/C001", as_=caller)
    assert response.status == 403
    assert "张三" not in response.body.decode()
    assert response.json()["error"]["code"] == "forbidden"


def test_compliance_and_hq_cannot_register(harness: Harness) -> None:
    for caller in (COMPLIANCE, HQ, MANAGER):
        response = harness.call("POST", "/clients", new_client("C777"), as_=caller)
        assert response.status == 403, caller
    assert harness.call("GET", "/clients/C777").status == 404


def test_a_branch_role_cannot_register_into_another_branch(harness: Harness) -> None:
    response = harness.call("POST", "/clients", new_client("C002", branch_id="B2"))
    assert response.status == 403
    assert response.json()["error"]["field"] == "branch_id"
    assert harness.call("GET", "/clients/C002", as_=HQ).status == 404


def test_duplicate_client_id_is_a_conflict_and_keeps_the_original(harness: Harness, client: dict[str, Any]) -> None:
    response = harness.call("POST", "/clients", new_client(name="王五"))
    assert response.status == 409
    assert response.json()["error"]["field"] == "client_id"
    assert harness.call("GET", "/clients/C001").json()["name"] == "张三"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "110101199003074515"}, "id_number"),  # check digit wrong
        ({"id_number": "110101199002304514"}, "id_number"),  # 30 February
        ({"phone": "23800138000"}, "phone"),
        ({"phone": "1380013800"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"opened_on": "2020-02-30"}, "opened_on"),
        ({"opened_on": "2999-01-01"}, "opened_on"),
        ({"birthday": "2021-01-01"}, "birthday"),
        ({"client_id": ""}, "client_id"),
        ({"name": ""}, "name"),
        ({"nickname": "x"}, "nickname"),
        ({"manager_id": None}, "manager_id"),
    ],
    ids=lambda v: str(v),
)
def test_bad_client_fields_get_422_naming_the_field_and_store_nothing(
    harness: Harness, overrides: dict[str, Any], field: str
) -> None:
    response = harness.call("POST", "/clients", new_client("C009") | overrides)
    assert response.status == 422, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", f"/clients/{overrides.get('client_id', 'C009') or 'C009'}").status == 404


def test_missing_field_is_named(harness: Harness) -> None:
    body = new_client("C010")
    del body["phone"]
    response = harness.call("POST", "/clients", body)
    assert response.status == 422
    assert response.json()["error"] == {
        "code": "invalid_input",
        "message": "phone is required",
        "field": "phone",
        "details": [{"field": "phone", "code": "required", "message": "phone is required"}],
    }


def test_a_422_lists_every_invalid_field(harness: Harness) -> None:
    body = new_client("C010", phone="123", birthday="not a date", name="=1") | {"nickname": "x"}
    del body["opened_on"]
    error = harness.call("POST", "/clients", body).json()["error"]
    assert error["code"] == "invalid_input"
    fields = {detail["field"]: detail["code"] for detail in error["details"]}
    assert fields == {
        "name": "invalid",
        "phone": "invalid",
        "birthday": "invalid",
        "opened_on": "required",
        "nickname": "unknown_field",
    }
    assert error["field"] == error["details"][0]["field"]
    assert harness.call("GET", "/clients/C010").status == 404


@pytest.mark.parametrize("query", ["id_number=110101199003074514", "name=张三", "nosuch=1"])
def test_an_unknown_query_parameter_is_400_naming_it_never_a_silent_everyone(harness: Harness, query: str) -> None:
    harness.call("POST", "/clients", new_client())
    refused = harness.call("GET", "/clients", query=query)
    assert refused.status == 400, refused.body
    assert refused.json()["error"]["field"] == query.split("=")[0]
    assert "C001" not in refused.body.decode()


def test_malformed_json_is_400(harness: Harness) -> None:
    response = harness.call("POST", "/clients", raw=b'{"client_id": ')
    assert response.status == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/json", "application/vnd.api+json", "text/plain", None],
)
def test_a_body_that_is_not_application_json_is_415_naming_content_type(
    harness: Harness, content_type: str | None
) -> None:
    """Powertools' own check escaped as a 500 for `text/json` and `application/vnd.api+json`."""
    headers = {"Authorization": f"Bearer {harness.token(*SUPERVISOR)}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    sent = harness.gateway.handle("POST", "/clients", headers=headers, body=json.dumps(new_client()).encode())
    assert sent.status == 415, sent.body
    assert sent.json()["error"] == {
        "code": "unsupported_media_type",
        "message": sent.json()["error"]["message"],
        "field": "Content-Type",
    }
    assert harness.call("GET", "/clients/C001").status == 404  # nothing stored


@pytest.mark.parametrize(
    "content_type", ["application/JSON", "Application/Json; charset=UTF-8", "application/json;charset=utf-8"]
)
def test_application_json_in_any_case_and_with_parameters_is_accepted(harness: Harness, content_type: str) -> None:
    sent = harness.call("POST", "/clients", new_client(), headers={"Content-Type": content_type})
    assert sent.status == 201, sent.body


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic abc", "Bearer not.a.jwt"],
    ids=["missing", "empty", "wrong-scheme", "garbage"],
)
def test_requests_without_a_valid_token_are_401(harness: Harness, authorization: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = harness.gateway.handle("GET", "/clients/C001", headers=headers)
    assert response.status == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_forged_token_is_401(harness: Harness, client: dict[str, Any]) -> None:
    from crm.local.tokens import TokenIssuer

    forger = TokenIssuer(secret=b"some-other-secret-of-32-bytes!!!", issuer=harness.issuer.issuer)
    token = forger.mint(role="hq", user="mallory", branch=None)
    response = harness.gateway.handle("GET", "/clients/C001", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401


def test_unknown_client_is_404_naming_it(harness: Harness) -> None:
    response = harness.call("GET", "/clients/NOPE")
    assert response.status == 404
    assert response.json()["error"]["field"] == "client_id"


def _register(harness: Harness, client_id: str, manager: str, branch: str = "B1") -> None:
    caller = ("supervisor", f"sup-{branch.lower()}", branch)
    body = new_client(client_id, manager_id=manager, branch_id=branch)
    assert harness.call("POST", "/clients", body, as_=caller).status == 201


def test_listing_is_confined_to_scope_and_paginates(harness: Harness) -> None:
    for n, manager in enumerate(["mgr-1", "mgr-2", "mgr-1", "mgr-1"]):
        _register(harness, f"C10{n}", manager)
    _register(harness, "C200", "mgr-9", branch="B2")

    def ids(caller: tuple[str, str, str | None], query: str = "") -> list[str]:
        return [c["client_id"] for c in harness.call("GET", "/clients", as_=caller, query=query).json()["items"]]

    assert ids(MANAGER) == ["C100", "C102", "C103"]
    assert ids(COUNTER) == ["C100", "C101", "C102", "C103"]
    assert ids(HQ, "branch_id=B2") == ["C200"]
    assert harness.call("GET", "/clients", as_=HQ).status == 422  # hq must name a branch
    assert harness.call("GET", "/clients", as_=COUNTER, query="branch_id=B2").status == 403

    first = harness.call("GET", "/clients", query="limit=3").json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = harness.call("GET", "/clients", query=f"limit=3&cursor={first['next_cursor']}").json()
    assert [c["client_id"] for c in first["items"] + rest["items"]] == ["C100", "C101", "C102", "C103"]
    assert harness.call("GET", "/clients", query="cursor=%%%").status == 400


def test_manager_reassignment_is_traced_and_moves_the_scope(harness: Harness, client: dict[str, Any]) -> None:
    response = harness.call("PUT", "/clients/C001/manager", {"manager_id": "mgr-2", "reason": "mgr-1 left the branch"})
    assert response.status == 200
    assert response.json()["manager_id"] == "mgr-2"

    history = harness.call("GET", "/clients/C001/manager-history").json()["items"]
    assert len(history) == 1
    entry = history[0]
    assert (entry["manager_id"], entry["previous_manager_id"], entry["by"]) == ("mgr-2", "mgr-1", "sup-b1")
    assert entry["reason"] == "mgr-1 left the branch"
    assert entry["at"].endswith("+08:00")

    assert harness.call("GET", "/clients/C001", as_=MANAGER).status == 403
    assert harness.call("GET", "/clients/C001", as_=OTHER_MANAGER).status == 200


def test_the_manager_history_read_in_pages_loses_and_repeats_nothing(harness: Harness, client: dict[str, Any]) -> None:
    for n, manager in enumerate(("mgr-2", "mgr-3", "mgr-0")):
        body = {"manager_id": manager, "reason": f"轮换{n}"}
        assert harness.call("PUT", "/clients/C001/manager", body, at=f"2026-06-0{n + 1}T10:00:00+08:00").status == 200
    history = whole(harness, "/clients/C001/manager-history")
    assert [h["manager_id"] for h in history] == ["mgr-0", "mgr-3", "mgr-2"]
    pages = every_page(harness, "/clients/C001/manager-history", limit=2)
    assert [[h["manager_id"] for h in page] for page in pages] == [["mgr-0", "mgr-3"], ["mgr-2"]]


def test_only_a_supervisor_reassigns_and_a_reason_is_required(harness: Harness, client: dict[str, Any]) -> None:
    body = {"manager_id": "mgr-2", "reason": "workload"}
    for caller in (MANAGER, COUNTER, HQ, COMPLIANCE, OTHER_BRANCH):
        assert harness.call("PUT", "/clients/C001/manager", body, as_=caller).status == 403, caller
    missing_reason = harness.call("PUT", "/clients/C001/manager", {"manager_id": "mgr-2"})
    assert missing_reason.status == 422
    assert missing_reason.json()["error"]["field"] == "reason"
    same = harness.call("PUT", "/clients/C001/manager", {"manager_id": "mgr-1", "reason": "no-op"})
    assert same.status == 422
    assert harness.call("GET", "/clients/C001/manager-history").json()["items"] == []
