"""The staff register's rules (DOMAIN §11), the identifier rules every claim is held to, and the
rule-table pattern of a person's name: pure, no AWS."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.identifiers import identifier_problem
from crm.domain.request_limits import text_problem
from crm.domain.staff import (
    StaffMember,
    StaffState,
    leaves_clients,
    plan_change,
    reference_problem,
    refuse_leaving,
)
from crm.errors import Conflict, Forbidden, InvalidInput, Unauthenticated

NOW = datetime.fromisoformat("2026-12-03T10:00:00+08:00")
HQ = Identity("hq-1", Role.HQ, None)
SUP_B1 = Identity("sup-b1", Role.SUPERVISOR, "B1")
MANAGER_B1 = StaffState("王小明", Role.MANAGER, "B1", True)


def on_register(state: StaffState, staff_id: str = "mgr-1") -> StaffMember:
    return StaffMember(staff_id=staff_id, state=state, changed_at=NOW, changed_by="hq-1", version=1)


def test_a_new_member_gets_its_first_history_entry() -> None:
    member, change = plan_change("mgr-1", None, MANAGER_B1, actor=HQ, reason="入职", now=NOW)
    assert member.state == MANAGER_B1
    assert change is not None
    assert (change.before, change.after, change.by, change.reason) == (None, MANAGER_B1, "hq-1", "入职")


def test_asking_for_what_the_register_says_changes_nothing_and_keeps_the_email() -> None:
    current = on_register(StaffState("王小明", Role.MANAGER, "B1", True, email="wang@example.com"))
    member, change = plan_change("mgr-1", current, MANAGER_B1, actor=HQ, reason=None, now=NOW)
    assert change is None
    assert member is current


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (StaffState("王", Role.MANAGER, None, True), "branch_id"),
        (StaffState("王", Role.COUNTER, None, True), "branch_id"),
        (StaffState("王", Role.HQ, "B1", True), "branch_id"),
        (StaffState("王", Role.COMPLIANCE, "B1", True), "branch_id"),
    ],
)
def test_a_branch_role_has_a_branch_and_headquarters_none(state: StaffState, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        plan_change("x", None, state, actor=HQ, reason=None, now=NOW)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (None, StaffState("王", Role.MANAGER, "B2", True)),  # another branch
        (None, StaffState("王", Role.SUPERVISOR, "B1", True)),  # a peer
        (None, StaffState("王", Role.HQ, None, True)),
        (StaffState("王", Role.MANAGER, "B2", True), StaffState("王", Role.MANAGER, "B1", True)),  # taken over
        (StaffState("王", Role.SUPERVISOR, "B1", True), StaffState("王", Role.MANAGER, "B1", True)),  # a peer demoted
    ],
)
def test_a_supervisor_manages_its_branchs_managers_and_counter_staff_only(
    current: StaffState | None, wanted: StaffState
) -> None:
    with pytest.raises(Forbidden):
        plan_change("x", on_register(current) if current else None, wanted, actor=SUP_B1, reason=None, now=NOW)


def test_a_supervisor_takes_on_and_lets_go_its_branchs_front_line() -> None:
    for role in (Role.MANAGER, Role.COUNTER):
        _, change = plan_change("x", None, StaffState("王", role, "B1", True), actor=SUP_B1, reason=None, now=NOW)
        assert change is not None
    current = on_register(StaffState("王", Role.COUNTER, "B1", True))
    _, change = plan_change(
        "x", current, StaffState("王", Role.COUNTER, "B1", False), actor=SUP_B1, reason="离职", now=NOW
    )
    assert change is not None
    assert change.before == current.state


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COUNTER, Role.COMPLIANCE])
def test_no_one_else_manages_staff(role: Role) -> None:
    actor = Identity("x", role, "B1" if role is not Role.COMPLIANCE else None)
    with pytest.raises(Forbidden):
        plan_change("y", None, StaffState("王", Role.COUNTER, "B1", True), actor=actor, reason=None, now=NOW)


@pytest.mark.parametrize(
    ("wanted", "leaves"),
    [
        (StaffState("王小明", Role.MANAGER, "B2", True), True),
        (StaffState("王小明", Role.MANAGER, "B1", False), True),
        (StaffState("王小明", Role.COUNTER, "B1", True), True),
        (StaffState("王小明", Role.MANAGER, "B1", True, email="w@example.com"), False),
        (StaffState("王大明", Role.MANAGER, "B1", True), False),
    ],
)
def test_a_manager_leaves_its_clients_by_moving_changing_role_or_going(wanted: StaffState, leaves: bool) -> None:
    assert leaves_clients(on_register(MANAGER_B1), wanted) is leaves
    assert leaves_clients(None, wanted) is False
    assert leaves_clients(on_register(StaffState("王", Role.COUNTER, "B1", True)), wanted) is False


def test_leaving_clients_behind_is_409_with_their_number() -> None:
    refuse_leaving("mgr-1", 0)
    with pytest.raises(Conflict, match="1 client: re-assign"):
        refuse_leaving("mgr-1", 1)
    with pytest.raises(Conflict, match="12 clients"):
        refuse_leaving("mgr-1", 12)


def test_a_record_names_an_active_member_of_the_right_role_in_its_branch() -> None:
    manager = on_register(MANAGER_B1)
    managers = {Role.MANAGER}
    assert reference_problem("mgr-1", manager, roles=managers, branch_id="B1") is None
    gone = on_register(StaffState("王小明", Role.MANAGER, "B1", False))
    assert "no longer active" in str(reference_problem("mgr-1", gone, roles=managers, branch_id="B1"))
    assert "a manager, not a counter" in str(reference_problem("mgr-1", manager, roles={Role.COUNTER}, branch_id="B1"))
    # another branch reads as no one at all: nothing is told of other branches' staff
    assert reference_problem("mgr-1", manager, roles=managers, branch_id="B2") == reference_problem(
        "mgr-1", None, roles=managers, branch_id="B2"
    )


# --- the identifier rules every claim and id is held to ----------------------------------------


@pytest.mark.parametrize("value", ["B1", "mgr-1", "sup.b1", "a_b", "0", "A" * 64])
def test_identifiers(value: str) -> None:
    assert identifier_problem(value) is None


@pytest.mark.parametrize(
    "value", ["", "B1/../B2", "=HYPERLINK(1)", "-B1", ".B1", "B 1", "B1\u200b", "分行", "A" * 65, None, 7]
)
def test_not_identifiers(value: object) -> None:
    assert identifier_problem(value) is not None


@pytest.mark.parametrize(
    "claims",
    [
        {"cognito:username": "u", "custom:role": "supervisor", "custom:branch": "B1/../B2"},
        {"cognito:username": "u", "custom:role": "supervisor", "custom:branch": "=HYPERLINK(1)"},
        {"cognito:username": "a/b", "custom:role": "hq"},
        {"cognito:username": "u", "custom:role": "root"},
        {"cognito:username": "u", "custom:role": "counter"},
        {"custom:role": "hq"},
        {},
    ],
)
def test_claims_that_break_the_rules_authenticate_no_one(claims: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        Identity.from_claims(claims)


def test_claims_that_keep_the_rules_name_the_caller() -> None:
    claims = {"cognito:username": "sup-b1", "custom:role": "supervisor", "custom:branch": "B1"}
    assert Identity.from_claims(claims) == Identity("sup-b1", Role.SUPERVISOR, "B1")


# --- a person's name, and what no one-line field holds --------------------------------------------

NAMES = rules.requests().names


@pytest.mark.parametrize(
    "name", ["张三", "阿沛·阿旺晋美", "O'Brien-Smith Jr.", "José", "Nguyễn", "山田 太郎", "e\u0301"]
)
def test_a_name_of_letters_and_its_marks(name: str) -> None:
    assert NAMES.problem(name) is None


@pytest.mark.parametrize(
    "name", ["=HYPERLINK(1)", "+1", "@x", "张三1", "·张三", " 张三", "张\u200b三", "张\u202e三", "-", ""]
)
def test_not_a_name(name: str) -> None:
    assert NAMES.problem(name) is not None


@pytest.mark.parametrize("char", ["\u200b", "\u200e", "\u200f", "\u061c", "\ufeff", "\u2028", "\u2029", "\u00ad"])
def test_no_one_line_field_holds_an_invisible_format_character(char: str) -> None:
    assert text_problem(f"a{char}b", one_line=True) is not None
    assert text_problem("a\u3000b", one_line=True) is None  # the ideographic space is a space


@given(st.text(alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Mn", "Nd", "Cf", "Zs", "Po", "Sm"))))
def test_a_name_is_refused_exactly_when_it_holds_something_else_than_letters_marks_and_the_punctuation(
    name: str,
) -> None:
    import unicodedata

    allowed = all(unicodedata.category(c)[0] in "LM" or c in NAMES.punctuation for c in name)
    starts_with_letter = bool(name) and unicodedata.category(name[0])[0] == "L"
    assert (NAMES.problem(name) is None) == (allowed and starts_with_letter)
