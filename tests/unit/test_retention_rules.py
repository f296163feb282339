"""Retention cases and the risk of leaving (Part 5, 第50条 10; DOMAIN §5, §6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from crm.domain.classification import YearMetrics
from crm.domain.client import Client, ClientStatus
from crm.domain.retention import (
    CLIENT_STATUS_AFTER,
    AtRiskReason,
    CaseKind,
    CaseStatus,
    Outcome,
    Reason,
    RetentionAction,
    add_action,
    assets_fell,
    at_risk_reasons,
    decide,
    open_case,
)
from crm.domain.time import BEIJING
from crm.errors import Conflict

AT = datetime(2026, 6, 2, 10, 0, tzinfo=BEIJING)
CLIENT = Client(
    client_id="C1",
    name="张三",
    id_number="110101199003074514",
    phone="13800138000",
    branch_id="B1",
    manager_id="mgr-1",
    opened_on=date(2020, 5, 18),
    created_at=AT,
    created_by="ctr-1",
)


def case(**changes: object):
    opened = open_case(CLIENT, case_id="RC-1", kind=CaseKind.CLOSURE, reason=Reason.FEES, note=None, by="ctr-1", at=AT)
    return replace(opened, **changes)  # type: ignore[arg-type]


def test_a_request_opens_a_case_for_an_active_client_only() -> None:
    opened = case()
    assert (opened.status, opened.actions, opened.branch_id, opened.manager_id) == (CaseStatus.OPEN, (), "B1", "mgr-1")
    for status in (ClientStatus.CLOSED, ClientStatus.TRANSFERRED):
        with pytest.raises(Conflict):
            open_case(
                replace(CLIENT, status=status),
                case_id="RC-2",
                kind=CaseKind.TRANSFER,
                reason=Reason.MOVING,
                note=None,
                by="ctr-1",
                at=AT,
            )


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_is_accepted_once_and_is_final(outcome: Outcome) -> None:
    decided = decide(case(), outcome, note="客户决定", by="ctr-1", at=AT)
    assert (decided.status.value, decided.decided_at, decided.decided_by) == (outcome.value, AT, "ctr-1")
    for again in Outcome:
        with pytest.raises(Conflict):
            decide(decided, again, note=None, by="sup-1", at=AT)
    with pytest.raises(Conflict):
        add_action(decided, RetentionAction(action="再联系", note=None, by="mgr-1", at=AT))


def test_the_client_carries_the_status_of_its_outcome() -> None:
    assert CLIENT_STATUS_AFTER == {
        Outcome.RETAINED: ClientStatus.ACTIVE,
        Outcome.TRANSFERRED: ClientStatus.TRANSFERRED,
        Outcome.CLOSED: ClientStatus.CLOSED,
    }


def test_actions_are_kept_in_order_with_who_and_when() -> None:
    first = add_action(case(), RetentionAction(action="电话挽留", note="万一", by="mgr-1", at=AT))
    second = add_action(first, RetentionAction(action="上门拜访", note=None, by="sup-1", at=AT))
    assert [(a.action, a.by) for a in second.actions] == [("电话挽留", "mgr-1"), ("上门拜访", "sup-1")]


def figures(year: int, assets: int) -> YearMetrics:
    return YearMetrics(year=year, assets=Decimal(assets), avg_assets=Decimal(1), trade_volume=Decimal(1))


@pytest.mark.parametrize(
    ("previous", "latest", "fell"),
    [
        (figures(2025, 1_000_000), figures(2026, 500_000), True),  # exactly half: fell by 50 %
        (figures(2025, 1_000_000), figures(2026, 500_001), False),
        (figures(2025, 1_000_000), figures(2026, 0), True),
        (figures(2024, 1_000_000), figures(2026, 100_000), False),  # not the year before
        (figures(2025, 0), figures(2026, 0), False),
        (None, figures(2026, 0), False),
    ],
)
def test_assets_fell_by_half_from_the_year_before(
    previous: YearMetrics | None, latest: YearMetrics, fell: bool
) -> None:
    assert assets_fell(latest, previous, Decimal("0.5")) is fell


def test_the_reasons_to_be_at_risk_and_none_once_the_client_left() -> None:
    assert at_risk_reasons(CLIENT) == ()
    assert at_risk_reasons(replace(CLIENT, assets_fell_in=2026)) == (AtRiskReason.ASSETS_FELL,)
    requested = replace(CLIENT, assets_fell_in=2026, open_case_id="RC-1", open_case_kind="transfer")
    assert at_risk_reasons(requested) == (AtRiskReason.ASSETS_FELL, AtRiskReason.TRANSFER_REQUESTED)
    assert at_risk_reasons(replace(CLIENT, open_case_kind="closure")) == (AtRiskReason.CLOSURE_REQUESTED,)
    assert at_risk_reasons(replace(requested, status=ClientStatus.CLOSED)) == ()
