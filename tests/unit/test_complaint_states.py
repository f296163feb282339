"""Complaint numbers, states and the moves between them (DOMAIN.md §4; rules/complaints.toml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.attitude import Attitude
from crm.domain.complaints import (
    CallbackResult,
    Category,
    Channel,
    Complaint,
    ComplaintRules,
    Status,
    TransitionPlan,
    Validity,
    complaint_number,
    numbering_month,
    plan_callback_done,
    plan_transition,
)
from crm.domain.sla import ClockKind
from crm.domain.time import BEIJING
from crm.errors import Conflict, Forbidden

RULES = rules.complaints()
NOW = datetime(2026, 5, 6, 10, 0, tzinfo=BEIJING)
RECEIVED = Status.RECEIVED
ACCEPTED = Status.ACCEPTED
REJECTED = Status.REJECTED
INVESTIGATING = Status.INVESTIGATING
REPLIED = Status.REPLIED
CALLBACK_DONE = Status.CALLBACK_DONE
CLOSED = Status.CLOSED
INVESTIGATE, REPLY = ClockKind.COMPLAINT_INVESTIGATE, ClockKind.COMPLAINT_REPLY
REACHED = CallbackResult(reached=True, satisfaction=Attitude.SATISFIED, score=9)

# DOMAIN.md §4 and complaints.toml: (from, to) → who may make the move, the validity it sets,
# the clocks it stops.
LEGAL: dict[tuple[Status, Status], tuple[frozenset[Role], Validity | None, tuple[ClockKind, ...]]] = {
    (RECEIVED, ACCEPTED): (frozenset({Role.SUPERVISOR}), Validity.VALID, ()),
    (RECEIVED, REJECTED): (frozenset({Role.SUPERVISOR}), Validity.INVALID, (INVESTIGATE, REPLY)),
    (ACCEPTED, INVESTIGATING): (frozenset({Role.SUPERVISOR, Role.MANAGER}), None, (INVESTIGATE,)),
    (INVESTIGATING, REPLIED): (frozenset({Role.SUPERVISOR, Role.MANAGER}), None, (REPLY,)),
    (REPLIED, CALLBACK_DONE): (frozenset(), None, ()),  # made by the post-complaint callback alone
    (REPLIED, CLOSED): (frozenset({Role.SUPERVISOR}), None, ()),
    (CALLBACK_DONE, CLOSED): (frozenset({Role.SUPERVISOR}), None, ()),
    (REJECTED, CLOSED): (frozenset({Role.SUPERVISOR}), None, ()),
}
ILLEGAL = [(source, target) for source in Status for target in Status if (source, target) not in LEGAL]


def staff(role: Role, user_id: str | None = None) -> Identity:
    return Identity(
        user_id=user_id or f"{role}-1", role=role, branch_id=None if role in {Role.HQ, Role.COMPLIANCE} else "B1"
    )


BASE = Complaint(
    complaint_no="TS-2605-0001",
    client_id="C1",
    branch_id="B1",
    channel=Channel.PHONE,
    category=Category.ATTITUDE,
    content="rude on the phone",
    received_at=NOW - timedelta(hours=1),
    recorded_by="counter-1",
    manager_id="manager-1",
    status=RECEIVED,
    investigate_due_at=NOW + timedelta(days=1),
    reply_due_at=NOW + timedelta(days=2),
    deadline_provisional=False,
    regulator_referral=False,
    about_staff=("manager-9",),
)


def complaint(status: Status, **changes: object) -> Complaint:
    return replace(BASE, status=status, **changes)  # type: ignore[arg-type]


def ready_for(source: Status, target: Status) -> Complaint:
    """A complaint in `source` meeting the move's preconditions (an unreachable callback)."""
    failed = 3 if (source, target) == (REPLIED, CLOSED) else 0
    return complaint(source, failed_callbacks=failed)


def plan(source: Status, target: Status, actor: Identity, **changes: object) -> TransitionPlan:
    return plan_transition(complaint(source, **changes), target, actor, "note", NOW, RULES)


# --- numbering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "serial", "number"),
    [
        pytest.param(datetime(2026, 5, 6, 10, 0, tzinfo=BEIJING), 1, "TS-2605-0001", id="first-of-may"),
        pytest.param(datetime(2026, 5, 6, 10, 0, tzinfo=BEIJING), 42, "TS-2605-0042", id="zero-padded"),
        pytest.param(datetime(2026, 5, 6, 10, 0, tzinfo=BEIJING), 9999, "TS-2605-9999", id="four-digits"),
        pytest.param(datetime(2026, 5, 31, 15, 59, 59, tzinfo=UTC), 7, "TS-2605-0007", id="utc-still-may"),
        pytest.param(datetime(2026, 5, 31, 16, 30, tzinfo=UTC), 7, "TS-2606-0007", id="utc-is-june-in-beijing"),
        pytest.param(datetime(2025, 12, 31, 16, 0, tzinfo=UTC), 1, "TS-2601-0001", id="new-year-in-beijing"),
        pytest.param(
            datetime(2026, 6, 1, 0, 30, tzinfo=timezone(timedelta(hours=9))), 3, "TS-2605-0003", id="tokyo-june"
        ),
        pytest.param(datetime(2026, 5, 1, 0, 0), 1, "TS-2605-0001", id="naive-is-beijing"),
    ],
)
def test_numbers_run_by_the_beijing_month_of_receipt(received_at: datetime, serial: int, number: str) -> None:
    assert complaint_number(received_at, serial) == number
    assert numbering_month(received_at) == number[3:7]


# --- the shipped table ---------------------------------------------------------------------------


def test_the_shipped_moves_are_those_of_domain_4() -> None:
    shipped = {key: (move.roles, move.validity, move.stops) for key, move in RULES.moves.items()}
    assert shipped == LEGAL
    assert [key for key, move in RULES.moves.items() if move.by_callback] == [(REPLIED, CALLBACK_DONE)]


# --- legal and illegal moves ---------------------------------------------------------------------

BY_HAND = {key: value for key, value in LEGAL.items() if value[0]}
ALLOWED = [(s, t, role) for (s, t), (roles, _, _) in BY_HAND.items() for role in sorted(roles)]
NOT_ALLOWED = [(s, t, role) for (s, t), (roles, _, _) in BY_HAND.items() for role in sorted(set(Role) - roles)]


@pytest.mark.parametrize(("source", "target", "role"), ALLOWED, ids=str)
def test_a_legal_move_by_an_allowed_role_is_planned(source: Status, target: Status, role: Role) -> None:
    subject = ready_for(source, target)
    actor = staff(role)
    planned = plan_transition(subject, target, actor, "why", NOW, RULES)
    transition = planned.transition
    assert (transition.source, transition.target, transition.by, transition.role) == (
        source,
        target,
        actor.user_id,
        role,
    )
    assert (transition.note, transition.at, transition.complaint_no) == ("why", NOW, "TS-2605-0001")
    _, validity, stops = LEGAL[(source, target)]
    assert (planned.validity, planned.stops) == (validity, stops)


@pytest.mark.parametrize(("source", "target", "role"), NOT_ALLOWED, ids=str)
def test_a_legal_move_by_another_role_is_forbidden(source: Status, target: Status, role: Role) -> None:
    with pytest.raises(Forbidden) as caught:
        plan_transition(ready_for(source, target), target, staff(role), "why", NOW, RULES)
    assert caught.value.field == "to"


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=str)
def test_an_illegal_move_is_a_conflict_even_for_a_supervisor(source: Status, target: Status) -> None:
    with pytest.raises(Conflict) as caught:
        plan_transition(complaint(source), target, staff(Role.SUPERVISOR), "why", NOW, RULES)
    assert caught.value.field == "to"


@pytest.mark.parametrize(
    ("source", "target"),
    [(RECEIVED, REPLIED), (RECEIVED, INVESTIGATING), (ACCEPTED, CLOSED), (INVESTIGATING, CLOSED), (CLOSED, RECEIVED)],
    ids=str,
)
def test_skipping_a_step_is_a_conflict_not_a_role_question(source: Status, target: Status) -> None:
    with pytest.raises(Conflict):
        plan_transition(complaint(source), target, staff(Role.COUNTER), "why", NOW, RULES)


def test_rejection_marks_the_complaint_invalid_and_stops_both_clocks() -> None:
    planned = plan(RECEIVED, REJECTED, staff(Role.SUPERVISOR))
    assert planned.validity is Validity.INVALID
    assert set(planned.stops) == {INVESTIGATE, REPLY}


def test_acceptance_marks_the_complaint_valid_and_stops_no_clock() -> None:
    planned = plan(RECEIVED, ACCEPTED, staff(Role.SUPERVISOR))
    assert (planned.validity, planned.stops) == (Validity.VALID, ())


# --- 回避: the person complained about --------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(LEGAL), ids=str)
def test_the_person_complained_about_may_make_no_move(source: Status, target: Status) -> None:
    named = replace(ready_for(source, target), about_staff=("supervisor-1",))
    with pytest.raises(Forbidden) as caught:
        plan_transition(named, target, staff(Role.SUPERVISOR), "why", NOW, RULES)
    assert caught.value.field == "about_staff"


def test_another_member_of_staff_may_handle_it() -> None:
    assert plan(RECEIVED, ACCEPTED, staff(Role.SUPERVISOR), about_staff=("manager-9", "counter-3")).validity


# --- the post-complaint callback ----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_no_one_moves_a_complaint_to_callback_done_by_hand(role: Role) -> None:
    with pytest.raises(Conflict) as caught:
        plan(REPLIED, CALLBACK_DONE, staff(role))
    assert "PC-TS-2605-0001" in caught.value.message


@pytest.mark.parametrize("attitude", list(Attitude), ids=str)
def test_a_done_callback_moves_a_replied_complaint_with_the_clients_satisfaction(attitude: Attitude) -> None:
    result = CallbackResult(reached=True, satisfaction=attitude, score=5, note="called back")
    planned = plan_callback_done(complaint(REPLIED), result, by="ctr-1", role=Role.COUNTER, at=NOW, rules=RULES)
    assert planned.satisfaction is attitude
    assert planned.transition.callback == result
    assert (planned.transition.source, planned.transition.target) == (REPLIED, CALLBACK_DONE)


@pytest.mark.parametrize("status", [s for s in Status if s is not REPLIED], ids=str)
def test_only_a_replied_complaint_takes_its_callbacks_result(status: Status) -> None:
    with pytest.raises(Conflict):
        plan_callback_done(complaint(status), REACHED, by="ctr-1", role=Role.COUNTER, at=NOW, rules=RULES)


@pytest.mark.parametrize("failed", [0, 1, 2], ids=str)
def test_a_replied_complaint_closes_only_once_its_callback_is_unreachable(failed: int) -> None:
    with pytest.raises(Conflict):
        plan(REPLIED, CLOSED, staff(Role.SUPERVISOR), failed_callbacks=failed)


def test_the_unreachable_limit_is_the_callbacks_tables() -> None:
    assert RULES.max_failed_callbacks == rules.callbacks().unreachable_after == 3


# --- rule-table validation ------------------------------------------------------------------------


def build(table: dict) -> ComplaintRules:
    return ComplaintRules.from_table(table, 3)


def a_move_twice(table: dict) -> None:
    table["transitions"].append(dict(table["transitions"][0]))


def hq_handles(table: dict) -> None:
    table["transitions"][0]["roles"] = ["supervisor", "hq"]


def compliance_handles(table: dict) -> None:
    table["transitions"][-1]["roles"] = ["compliance"]


def an_unknown_state(table: dict) -> None:
    table["transitions"][0]["to"] = "escalated"


def an_unknown_role(table: dict) -> None:
    table["transitions"][0]["roles"] = ["director"]


def an_unknown_clock(table: dict) -> None:
    table["transitions"][1]["stops"] = ["visit_report"]


def an_unknown_validity(table: dict) -> None:
    table["transitions"][0]["validity"] = "maybe"


def a_move_without_roles(table: dict) -> None:
    table["transitions"][0]["roles"] = []


def a_callback_move_with_roles(table: dict) -> None:
    by_callback = next(row for row in table["transitions"] if row.get("by_callback"))
    by_callback["roles"] = ["supervisor"]


def no_transitions(table: dict) -> None:
    del table["transitions"]


def no_version(table: dict) -> None:
    del table["version"]


@pytest.mark.parametrize(
    "breakage",
    [
        a_move_twice,
        hq_handles,
        compliance_handles,
        an_unknown_state,
        an_unknown_role,
        an_unknown_clock,
        an_unknown_validity,
        a_move_without_roles,
        a_callback_move_with_roles,
        no_transitions,
        no_version,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_complaints_table_is_refused(
    breakage: Callable[[dict], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("complaints", build, breakage)
