"""The staff register (DOMAIN §11) through the handlers on moto: who works where, kept in step with
the user pool, and every person a record names checked against it — the hole a supervisor of
another branch could plant a manager's work log through is closed by it."""

from __future__ import annotations

from typing import Any

import pytest

from crm.data import identity as identity_provider
from crm.data import staff as staff_data
from tests.integration.harness import Harness, new_client

HQ = ("hq", "hq-1", None)
SUP_B1 = ("supervisor", "sup-b1", "B1")
SUP_B2 = ("supervisor", "sup-b2", "B2")
MGR3 = ("manager", "mgr3", "B2")
DAY = "2026-12-03"
AT = f"{DAY}T18:00:00+08:00"
LOG = {"entries": [{"kind": "call", "minutes": 30, "note": "开户回访"}]}


def member(name: str = "王小明", role: str = "manager", branch_id: str | None = "B2", **more: Any) -> dict[str, Any]:
    return {"name": name, "role": role, "branch_id": branch_id, "active": True, **more}


def pool_user(harness: Harness, staff_id: str) -> dict[str, Any] | None:
    """What the user pool says of a staff member: its attributes and whether it may sign in."""
    from crm.local.provision import create_user_pool

    cognito = harness.clients["cognito-idp"]
    try:
        user = cognito.admin_get_user(UserPoolId=create_user_pool(cognito), Username=staff_id)
    except cognito.exceptions.UserNotFoundException:
        return None
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return {
        "role": attributes.get("custom:role"),
        "branch": attributes.get("custom:branch"),
        "enabled": user["Enabled"],
    }


def put(harness: Harness, staff_id: str, body: dict[str, Any], as_: Any = HQ, **kwargs: Any) -> Any:
    return harness.call("PUT", f"/staff/{staff_id}", body, as_=as_, **kwargs)


# --- the register and the user pool ----------------------------------------------------------------


def test_hq_puts_a_manager_on_the_register_and_on_the_user_pool(harness: Harness) -> None:
    answer = put(harness, "mgr3", member(reason="入职"), at=AT)
    assert answer.status == 200, answer.body
    assert answer.json() | {"changed_at": None} == {
        "staff_id": "mgr3",
        "name": "王小明",
        "role": "manager",
        "branch_id": "B2",
        "active": True,
        "changed_at": None,
        "changed_by": "hq-1",
    }
    assert pool_user(harness, "mgr3") == {"role": "manager", "branch": "B2", "enabled": True}
    read = harness.call("GET", "/staff/mgr3", as_=SUP_B2).json()
    (change,) = read["history"]
    assert change == {
        "before": None,
        "after": {"name": "王小明", "role": "manager", "branch_id": "B2", "active": True},
        "by": "hq-1",
        "reason": "入职",
        "at": AT,
    }
    again = put(harness, "mgr3", member(reason="入职"), at=AT)
    assert again.status == 200
    assert len(harness.call("GET", "/staff/mgr3", as_=HQ).json()["history"]) == 1  # nothing changed: no entry


def test_a_change_of_role_branch_or_status_is_made_on_the_user_too(harness: Harness) -> None:
    put(harness, "ctr-7", member("赵柜员", "counter", "B1"))
    assert put(harness, "ctr-7", member("赵柜员", "counter", "B2", reason="调岗")).status == 200
    assert pool_user(harness, "ctr-7") == {"role": "counter", "branch": "B2", "enabled": True}
    assert put(harness, "ctr-7", member("赵柜员", "hq", None, reason="调总部")).status == 200
    assert pool_user(harness, "ctr-7") == {"role": "hq", "branch": None, "enabled": True}
    assert put(harness, "ctr-7", member("赵柜员", "hq", None) | {"active": False, "reason": "离职"}).status == 200
    assert pool_user(harness, "ctr-7") == {"role": "hq", "branch": None, "enabled": False}
    history = harness.call("GET", "/staff/ctr-7", as_=HQ).json()["history"]
    assert [entry["reason"] for entry in history] == ["离职", "调总部", "调岗", None]


def test_supervisors_manage_their_branchs_managers_and_counter_staff_only(harness: Harness) -> None:
    assert put(harness, "ctr-8", member("钱柜员", "counter", "B1"), as_=SUP_B1).status == 200
    assert put(harness, "mgr-8", member("孙经理", "manager", "B1"), as_=SUP_B1).status == 200
    for staff_id, body in (
        ("mgr-80", member("李经理", "manager", "B2")),  # another branch
        ("sup-80", member("周主管", "supervisor", "B1")),  # a peer
        ("hq-80", member("吴总", "hq", None)),  # headquarters
        ("mgr-9", member("郑经理", "manager", "B1")),  # B2's manager, taken over
    ):
        refused = put(harness, staff_id, body, as_=SUP_B1)
        assert refused.status == 403, (staff_id, refused.body)
        assert staff_data.get(staff_id, consistent=True) in (None, staff_data.get("mgr-9"))
    assert pool_user(harness, "mgr-80") is None
    for caller in (("manager", "mgr-1", "B1"), ("counter", "ctr-1", "B1"), ("compliance", "cmp-1", None)):
        assert put(harness, "ctr-81", member("王柜员", "counter", "B1"), as_=caller).status == 403


@pytest.mark.parametrize(
    ("staff_id", "body", "field"),
    [
        ("mgr-3", member('=HYPERLINK("x")'), "name"),
        ("mgr-3", member("王小明1"), "name"),
        ("mgr-3", member("王\u200b小明"), "name"),
        ("mgr-3", member(branch_id=None), "branch_id"),
        ("hq-3", member("吴总", "hq", "B1"), "branch_id"),
        ("mgr-3", member(branch_id="B1/../B2"), "branch_id"),
        ("mgr-3", member(role="director"), "role"),
        ("mgr-3", {k: v for k, v in member().items() if k != "active"}, "active"),
        ("mgr%2F3", member(), "staff_id"),
        ("=cmd", member(), "staff_id"),
    ],
)
def test_a_staff_id_or_name_breaking_the_rules_is_422_naming_the_field(
    harness: Harness, staff_id: str, body: dict[str, Any], field: str
) -> None:
    refused = put(harness, staff_id, body)
    assert refused.status == 422, refused.body
    assert refused.json()["error"]["field"] == field
    assert pool_user(harness, "mgr-3") is None


def test_listing_is_the_callers_branch_and_reading_another_branchs_member_is_refused(harness: Harness) -> None:
    put(harness, "mgr3", member())
    listed = harness.call("GET", "/staff", query="branch_id=B1", as_=SUP_B1)
    assert listed.status == 200
    ids = [m["staff_id"] for m in listed.json()["items"]]
    assert {"mgr-1", "ctr-1", "sup-b1"} <= set(ids)
    assert "mgr3" not in ids
    assert ids == sorted(ids)
    assert harness.call("GET", "/staff", query="branch_id=B1", as_=SUP_B2).status == 403
    own = harness.call("GET", "/staff", query="role=manager", as_=("manager", "mgr-1", "B1")).json()["items"]
    assert {m["branch_id"] for m in own} == {"B1"}
    assert {m["role"] for m in own} == {"manager"}
    assert harness.call("GET", "/staff/mgr3", as_=SUP_B1).status == 403
    assert harness.call("GET", "/staff/nobody", as_=HQ).status == 404
    everyone = harness.call("GET", "/staff", query="limit=2", as_=HQ).json()
    assert len(everyone["items"]) == 2
    assert everyone["next_cursor"]
    rest = harness.call("GET", "/staff", query=f"limit=50&cursor={everyone['next_cursor']}", as_=HQ).json()
    assert "mgr3" in [m["staff_id"] for m in everyone["items"] + rest["items"]]


# --- a manager with clients ---------------------------------------------------------------------------


def test_a_manager_with_clients_neither_moves_nor_leaves_until_they_are_reassigned(harness: Harness) -> None:
    harness.call("POST", "/clients", new_client("C001"))
    harness.call("POST", "/clients", new_client("C002", id_number="11010519491231002X", phone="13900139000"))
    for change in (
        member("一号经理", "manager", "B2"),
        member("一号经理", "counter", "B1"),
        member("一号经理", "manager", "B1") | {"active": False},
    ):
        refused = put(harness, "mgr-1", change)
        assert refused.status == 409, refused.body
        assert "2 clients" in refused.json()["error"]["message"]
    assert pool_user(harness, "mgr-1") is None  # the roster's: not on the pool, and left alone
    for client in ("C001", "C002"):
        moved = harness.call("PUT", f"/clients/{client}/manager", {"manager_id": "mgr-2", "reason": "一号经理离职"})
        assert moved.status == 200, moved.body
    assert put(harness, "mgr-1", member("一号经理", "manager", "B1") | {"active": False}).status == 200
    assert pool_user(harness, "mgr-1") == {"role": "manager", "branch": "B1", "enabled": False}


# --- what the register holds records to ------------------------------------------------------------


def test_a_supervisor_of_another_branch_can_neither_plant_nor_read_a_managers_log(harness: Harness) -> None:
    put(harness, "mgr3", member())
    planted = harness.call("PUT", f"/work-logs/mgr3/{DAY}", LOG, as_=SUP_B1, at=AT)
    assert planted.status == 403  # mgr3 has no record yet: its branch is the register's
    summary = {"achieved": "开户", "problems": "无", "plan": "回访"}
    assert harness.call("PUT", "/weekly-summaries/mgr3/2026-W49", summary, as_=SUP_B1, at=AT).status == 403
    written = harness.call("PUT", f"/work-logs/mgr3/{DAY}", LOG, as_=MGR3, at=AT)
    assert written.status == 200, written.body
    assert written.json()["branch_id"] == "B2"
    query = f"manager_id=mgr3&from={DAY}&to={DAY}"
    assert harness.call("GET", "/work-logs", query=query, as_=MGR3).status == 200
    assert harness.call("GET", "/work-logs", query=query, as_=SUP_B2).json()["items"][0]["branch_id"] == "B2"
    assert harness.call("GET", "/work-logs", query=query, as_=SUP_B1).status == 403
    assert harness.call("PUT", f"/work-logs/mgr3/{DAY}", LOG, as_=SUP_B1, at=AT).status == 403
    assert harness.call("GET", "/managers/mgr3/activity", query=f"from={DAY}&to={DAY}", as_=SUP_B1).status == 403
    assert harness.call("GET", "/work-logs", query=f"manager_id=ghost&from={DAY}&to={DAY}", as_=SUP_B1).status == 404


@pytest.mark.parametrize(
    ("manager", "why"),
    [
        ("ghost", "not on the register"),
        ("mgr-9", "in another branch"),
        ("ctr-1", "not a manager"),
        ("gone", "inactive"),
    ],
)
def test_a_client_names_an_active_manager_of_its_branch(harness: Harness, manager: str, why: str) -> None:
    put(harness, "gone", member("前经理", "manager", "B1") | {"active": False})
    refused = harness.call("POST", "/clients", new_client("C001", manager_id=manager))
    assert refused.status == 422, (why, refused.body)
    assert refused.json()["error"]["field"] == "manager_id"
    assert harness.call("GET", "/clients/C001").status == 404
    harness.call("POST", "/clients", new_client("C001"))
    reassigned = harness.call("PUT", "/clients/C001/manager", {"manager_id": manager, "reason": "换人"})
    assert reassigned.status == 422, (why, reassigned.body)
    assert harness.call("GET", "/clients/C001").json()["manager_id"] == "mgr-1"


def test_every_person_a_record_names_is_on_the_register_in_its_branch(harness: Harness) -> None:
    harness.call("POST", "/clients", new_client("C001", opened_on="2026-12-01"), at="2026-12-01T10:00:00+08:00")
    harness.drain()  # the callback schedule
    harness.trigger("callbacks", "2026-12-02T06:00:00+08:00")  # NA-C001 in B1's pool
    contact = {"client_id": "C001", "channel": "phone", "subject": "咨询", "first_responder": "mgr-9"}
    assert harness.call("POST", "/contacts", contact).json()["error"]["field"] == "first_responder"
    prospect = {"name": "意向客户", "phone": "13500000001", "source": "walk_in", "branch_id": "B1"}
    assert (
        harness.call("POST", "/prospects", prospect | {"manager_id": "ctr-1"}).json()["error"]["field"] == "manager_id"
    )
    assert harness.call("PUT", "/callbacks/NA-C001/owner", {"owner": "ctr-9"}).json()["error"]["field"] == "owner"
    spot = {"manager_id": "mgr-9", "from": "2026-11-30", "to": "2026-12-01", "finding": "好"}
    assert harness.call("POST", "/spot-checks", spot, at=AT).json()["error"]["field"] == "manager_id"
    assert harness.call("PUT", "/callbacks/NA-C001/owner", {"owner": "ctr-1"}).status == 200
    assert harness.call("POST", "/contacts", contact | {"first_responder": "ctr-1"}).status == 201


def test_crm_token_puts_the_identity_it_mints_on_the_register(harness: Harness) -> None:
    harness.token("counter", "ctr-new", "B3")
    assert staff_data.get("ctr-new", consistent=True) is not None
    assert pool_user(harness, "ctr-new") == {"role": "counter", "branch": "B3", "enabled": True}


# --- a change that fails half-way ------------------------------------------------------------------


def test_when_the_identity_provider_fails_nothing_is_written(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    put(harness, "mgr3", member())

    def unavailable(*_: Any, **__: Any) -> None:
        raise ConnectionError("cognito-idp did not answer")

    monkeypatch.setattr(identity_provider, "apply", unavailable)
    refused = put(harness, "mgr3", member(branch_id="B1", reason="调岗"))
    assert refused.status == 503, refused.body
    assert int(refused.headers["Retry-After"]) > 0  # when to try again
    assert staff_data.get("mgr3", consistent=True).branch_id == "B2"
    assert len(staff_data.history("mgr3")) == 1
    assert pool_user(harness, "mgr3") == {"role": "manager", "branch": "B2", "enabled": True}


@pytest.mark.parametrize("existing", [True, False], ids=["a change", "a new member"])
def test_when_the_register_cannot_be_written_the_user_is_put_back(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    if existing:
        put(harness, "mgr3", member())
    before = pool_user(harness, "mgr3")

    def lost(*_: Any, **__: Any) -> None:
        raise RuntimeError("the staff table failed")

    monkeypatch.setattr(staff_data, "put", lost)
    failed = put(harness, "mgr3", member(branch_id="B1") | {"active": False})
    assert failed.status == 500
    monkeypatch.undo()
    assert pool_user(harness, "mgr3") == before  # the register and the pool still agree
    stored = staff_data.get("mgr3", consistent=True)
    assert (stored.branch_id, stored.active) == ("B2", True) if existing else stored is None
    retried = put(harness, "mgr3", member(branch_id="B1") | {"active": False})  # the retry completes it
    assert retried.status == 200
    assert pool_user(harness, "mgr3") == {"role": "manager", "branch": "B1", "enabled": False}
