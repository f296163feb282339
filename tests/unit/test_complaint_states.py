"""Complaint numbers, states and the moves between them (DOMAIN.md §4; rules/complaints.toml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm import rules
from crm.domain.access import Identity, Role
from crm.domain.complaints import (
    CallbackResult,
    Category,
    Channel,
    Complaint,
    ComplaintRules,
    Satisfaction,
    Status,
    TransitionPlan,
    Validity,
    complaint_number,
    numbering_month,
    plan_failed_callback,
    plan_transition,
)
from crm.domain.sla import ClockKind
from crm.domain.time import BEIJING
from crm.errors import Conflict, Forbidden, InvalidInput

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
REACHED = CallbackResult(reached=True, satisfaction=Satisfaction.SATISFIED, score=9)

# DOMAIN.md §4 and complaints.toml: (from, to) → who may make the move, the validity it sets,
# the clocks it stops.
LEGAL: dict[tuple[Status, Status], tuple[frozenset[Role], Validity | None, tuple[ClockKind, ...]]] = {
    (RECEIVED, ACCEPTED): (frozenset({Role.SUPERVISOR}), Validity.VALID, ()),
    (RECEIVED, REJECTED): (frozenset({Role.SUPERVISOR}), Validity.INVALID, (INVESTIGATE, REPLY)),
    (ACCEPTED, INVESTIGATING): (frozenset({Role.SUPERVISOR, Role.MANAGER}), None, (INVESTIGATE,)),
    (INVESTIGATING, REPLIED): (frozenset({Role.SUPERVISOR, Role.MANAGER}), None, (REPLY,)),
    (REPLIED, CALLBACK_DONE): (frozenset({Role.SUPERVISOR, Role.MANAGER, Role.COUNTER}), None, ()),
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


def ready_for(source: Status, target: Status) -> tuple[Complaint, CallbackResult | None]:
    """A complaint in `source` meeting the move's preconditions (a callback, or three failed ones)."""
    failed = 3 if (source, target) == (REPLIED, CLOSED) else 0
    return complaint(source, failed_callbacks=failed), REACHED if target is CALLBACK_DONE else None


def plan(source: Status, target: Status, actor: Identity, **changes: object) -> TransitionPlan:
    callback = changes.pop("callback", REACHED if target is CALLBACK_DONE else None)
    return plan_transition(complaint(source, **changes), target, actor, "note", NOW, RULES, callback)  # type: ignore[arg-type]


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
    assert RULES.max_failed_callbacks == 3


# --- legal and illegal moves ---------------------------------------------------------------------

ALLOWED = [(s, t, role) for (s, t), (roles, _, _) in LEGAL.items() for role in sorted(roles)]
NOT_ALLOWED = [(s, t, role) for (s, t), (roles, _, _) in LEGAL.items() for role in sorted(set(Role) - roles)]


@pytest.mark.parametrize(("source", "target", "role"), ALLOWED, ids=str)
def test_a_legal_move_by_an_allowed_role_is_planned(source: Status, target: Status, role: Role) -> None:
    subject, callback = ready_for(source, target)
    actor = staff(role)
    planned = plan_transition(subject, target, actor, "why", NOW, RULES, callback)
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
    subject, callback = ready_for(source, target)
    with pytest.raises(Forbidden) as caught:
        plan_transition(subject, target, staff(role), "why", NOW, RULES, callback)
    assert caught.value.field == "to"


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=str)
def test_an_illegal_move_is_a_conflict_even_for_a_supervisor(source: Status, target: Status) -> None:
    with pytest.raises(Conflict) as caught:
        plan_transition(complaint(source), target, staff(Role.SUPERVISOR), "why", NOW, RULES, REACHED)
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
    subject, callback = ready_for(source, target)
    named = replace(subject, about_staff=("supervisor-1",))
    with pytest.raises(Forbidden) as caught:
        plan_transition(named, target, staff(Role.SUPERVISOR), "why", NOW, RULES, callback)
    assert caught.value.field == "about_staff"


def test_the_person_complained_about_may_not_record_a_failed_callback() -> None:
    with pytest.raises(Forbidden) as caught:
        plan_failed_callback(complaint(REPLIED), staff(Role.MANAGER, "manager-9"), RULES)
    assert caught.value.field == "about_staff"


def test_another_member_of_staff_may_handle_it() -> None:
    assert plan(RECEIVED, ACCEPTED, staff(Role.SUPERVISOR), about_staff=("manager-9", "counter-3")).validity


# --- callbacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "callback",
    [
        pytest.param(None, id="none"),
        pytest.param(CallbackResult(reached=False), id="not-reached"),
        pytest.param(CallbackResult(reached=False, satisfaction=Satisfaction.SATISFIED), id="not-reached-satisfied"),
        pytest.param(CallbackResult(reached=True), id="reached-no-satisfaction"),
    ],
)
def test_callback_done_needs_a_reached_callback_with_satisfaction(callback: CallbackResult | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(REPLIED, CALLBACK_DONE, staff(Role.COUNTER), callback=callback)
    assert caught.value.field == "callback"


@pytest.mark.parametrize("satisfaction", list(Satisfaction), ids=str)
def test_a_completed_callback_carries_the_clients_satisfaction(satisfaction: Satisfaction) -> None:
    callback = CallbackResult(reached=True, satisfaction=satisfaction, score=5, note="called back")
    planned = plan(REPLIED, CALLBACK_DONE, staff(Role.MANAGER), callback=callback)
    assert planned.satisfaction is satisfaction
    assert planned.transition.callback == callback


@pytest.mark.parametrize("failed", [0, 1, 2], ids=str)
def test_a_replied_complaint_closes_only_after_three_failed_callbacks(failed: int) -> None:
    with pytest.raises(Conflict):
        plan(REPLIED, CLOSED, staff(Role.SUPERVISOR), failed_callbacks=failed)


@pytest.mark.parametrize(("failed", "count"), [(0, 1), (1, 2), (2, 3)], ids=str)
def test_failed_callbacks_are_counted_up_to_three(failed: int, count: int) -> None:
    subject = complaint(REPLIED, failed_callbacks=failed)
    assert plan_failed_callback(subject, staff(Role.COUNTER), RULES) == count


def test_a_fourth_failed_callback_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        plan_failed_callback(complaint(REPLIED, failed_callbacks=3), staff(Role.COUNTER), RULES)


@pytest.mark.parametrize("status", [s for s in Status if s is not REPLIED], ids=str)
def test_failed_callbacks_follow_the_reply_only(status: Status) -> None:
    with pytest.raises(Conflict):
        plan_failed_callback(complaint(status), staff(Role.SUPERVISOR), RULES)


# --- rule-table validation ------------------------------------------------------------------------


def build(table: dict) -> ComplaintRules:
    return ComplaintRules.from_table(table)


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


def no_callback_limit(table: dict) -> None:
    del table["max_failed_callbacks"]


def no_transitions(table: dict) -> None:
    del table["transitions"]


def no_version(table: dict) -> None:
    del table["version"]


def negative_callback_limit(table: dict) -> None:
    table["max_failed_callbacks"] = -1


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
        no_callback_limit,
        no_transitions,
        no_version,
        negative_callback_limit,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_complaints_table_is_refused(
    breakage: Callable[[dict], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("complaints", build, breakage)
