"""The defects a probe of the whole API found (issue 19), each held through the handlers on moto:
an edited cursor, a body in another media type, an idempotent answer handed to another role, a
token whose claims break the identifier rules, and a branch's report folder matched as text."""

from __future__ import annotations

import base64
import json

import pytest

from crm.api.openapi import COMMITTED
from crm.services.quarterly_report import _in_branch_folder
from tests.integration.harness import Harness, new_client

DOCUMENT = json.loads(COMMITTED.read_text(encoding="utf-8"))
PAGED = sorted(
    path
    for path, operations in DOCUMENT["paths"].items()
    if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", []))
)
# What a listing needs in its query to be answered at all, and who may call it.
QUERY = {
    "/work-logs": "manager_id=mgr-1&from=2026-06-01&to=2026-06-07",
    "/clients/{client_id}/education": "",
    "/audit/clients/{client_id}": "",
}
CALLER = {"/audit/clients/{client_id}": ("compliance", "cmp-1", None), "/imports": ("hq", "hq-1", None)}
MADE_UP = "eyJ4IjoxfQ=="  # {"x":1}, base64: what a curious client makes of an opaque cursor


def test_every_list_that_pages_is_checked() -> None:
    assert len(PAGED) >= 11


@pytest.mark.parametrize("path", PAGED)
def test_a_made_up_or_edited_cursor_is_400_naming_cursor(harness: Harness, path: str) -> None:
    harness.call("POST", "/clients", new_client())
    for n in range(3):
        harness.call("POST", "/clients", new_client(f"C10{n}", id_number="11010519491231002X", phone="13900139000"))
    concrete = path.format(client_id="C001", period="2026Q2")  # a cursor is refused before the report is read
    caller = CALLER.get(path, ("supervisor", "sup-b1", "B1"))
    query = QUERY.get(path, "")
    for cursor in (MADE_UP, MADE_UP + ".AAAA", "%%%", "x" * 40):
        sent = f"{query}&cursor={cursor}" if query else f"cursor={cursor}"
        refused = harness.call("GET", concrete, as_=caller, query=sent)
        assert refused.status == 400, (path, cursor, refused.body)
        assert refused.json()["error"]["field"] == "cursor"


def test_a_genuine_cursor_pages_on_and_an_edited_one_does_not(harness: Harness) -> None:
    for n in range(4):
        harness.call("POST", "/clients", new_client(f"C10{n}"))
    first = harness.call("GET", "/clients", query="limit=2").json()
    cursor = first["next_cursor"]
    assert harness.call("GET", "/clients", query=f"limit=2&cursor={cursor}").status == 200
    payload, _, mac = cursor.partition(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["client_id"] = "C000"  # start elsewhere, keeping the signature
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode().rstrip("=")
    refused = harness.call("GET", "/clients", query=f"limit=2&cursor={forged}.{mac}")
    assert refused.status == 400
    assert refused.json()["error"]["field"] == "cursor"


def test_a_cursor_of_one_listing_is_refused_by_another(harness: Harness) -> None:
    """hq pages branch B1, then hands B1's cursor to B2's listing: DynamoDB would have refused it (500)."""
    hq = ("hq", "hq-1", None)
    for n in range(3):
        harness.call("POST", "/clients", new_client(f"C10{n}"))
    harness.call(
        "POST", "/clients", new_client("C200", branch_id="B2", manager_id="mgr-9"), as_=("supervisor", "sup-b2", "B2")
    )
    cursor = harness.call("GET", "/clients", as_=hq, query="branch_id=B1&limit=1").json()["next_cursor"]
    refused = harness.call("GET", "/clients", as_=hq, query=f"branch_id=B2&cursor={cursor}")
    assert refused.status == 400
    assert refused.json()["error"]["field"] == "cursor"


def test_an_idempotent_answer_is_never_handed_to_the_same_name_under_another_role(harness: Harness) -> None:
    """`dual` registers a client as a supervisor (ID number in clear); the same name as counter
    staff, with the same key and body, is another caller: a new request (the client exists: 409),
    never the supervisor's unmasked answer."""
    key = {"Idempotency-Key": "retry-1"}
    body = new_client()
    first = harness.call("POST", "/clients", body, as_=("supervisor", "dual", "B1"), headers=key)
    assert first.status == 201
    assert first.json()["id_number"] == body["id_number"]
    other = harness.call("POST", "/clients", body, as_=("counter", "dual", "B1"), headers=key)
    assert other.status == 409, other.body
    assert body["id_number"].encode() not in other.body
    elsewhere = harness.call("POST", "/clients", body, as_=("supervisor", "dual", "B2"), headers=key)
    assert elsewhere.status == 403  # another branch: its own caller, refused on its own merits
    again = harness.call("POST", "/clients", body, as_=("supervisor", "dual", "B1"), headers=key)
    assert (again.status, again.json()) == (201, first.json())


@pytest.mark.parametrize(
    "claims",
    [
        {"custom:branch": '=HYPERLINK("http://x","y")'},
        {"custom:branch": "B1/../B2"},
        {"custom:branch": "B1\u200b"},
        {"cognito:username": "sup/../hq"},
        {"cognito:username": "=cmd|' /C calc'!A0"},
        {"custom:role": "root"},
        {"custom:branch": ""},
    ],
    ids=[
        "formula-branch",
        "traversal-branch",
        "invisible-branch",
        "traversal-user",
        "formula-user",
        "role",
        "no-branch",
    ],
)
def test_a_token_whose_claims_break_the_identifier_rules_is_401(harness: Harness, claims: dict[str, str]) -> None:
    identity = {"cognito:username": "sup-b1", "custom:role": "supervisor", "custom:branch": "B1", "token_use": "id"}
    for method, path in (("GET", "/clients"), ("GET", "/reports/quarterly/2026Q2"), ("GET", "/staff")):
        refused = harness.gateway.handle_as(identity | claims, method, path)
        assert refused.status == 401, (claims, path, refused.body)
        assert refused.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("name", "branch", "shown"),
    [
        ("branches/B1/metrics.csv", "B1", "metrics.csv"),
        ("branches/B10/metrics.csv", "B1", None),  # a text prefix, not the folder
        ("branches/B1/../B2/metrics.csv", "B1", None),
        ("branches/B1", "B1", None),
        ("metrics.csv", "B1", None),
        ("branches/B2/report.xlsx", "B1", None),
    ],
)
def test_a_branchs_report_files_are_matched_by_whole_path_segment(name: str, branch: str, shown: str | None) -> None:
    assert _in_branch_folder(name, branch) == shown


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ('=HYPERLINK("http://evil","点此")', "a formula"),
        ("张\u200b三", "a zero-width space"),
        ("\u200e张三", "a direction mark"),
        ("张三\u061c", "an Arabic letter mark"),
        ("\ufeff张三", "a BOM"),
        ("张\u2028三", "a line separator"),
        ("张三 ", "nothing: trailing spaces are trimmed"),
    ],
)
def test_a_clients_name_is_letters_and_the_marks_names_are_written_with(
    harness: Harness, name: str, problem: str
) -> None:
    answer = harness.call("POST", "/clients", new_client(name=name))
    if problem.startswith("nothing"):
        assert answer.status == 201, answer.body
        assert answer.json()["name"] == "张三"
        return
    assert answer.status == 422, (problem, answer.body)
    assert answer.json()["error"]["field"] == "name"
    assert harness.call("GET", "/clients/C001").status == 404


@pytest.mark.parametrize("name", ["阿沛·阿旺晋美", "O'Brien-Smith Jr.", "José Ñúñez", "Nguyễn Văn An", "山田 太郎"])
def test_names_of_any_script_with_their_marks_are_accepted(harness: Harness, name: str) -> None:
    answer = harness.call("POST", "/clients", new_client(name=name))
    assert answer.status == 201, answer.body
    assert answer.json()["name"] == name
