"""Deciding a client's class and VIP status from its latest metrics (DOMAIN.md §1, §7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from crm import rules
from crm.domain.classification import ClassCause, Threshold, YearMetrics
from crm.domain.client import ClassBasis, Client
from crm.domain.reclassification import (
    Reclassification,
    decided_under_other_tables,
    reclassify,
    rule_tables_version,
)
from crm.domain.time import BEIJING
from crm.domain.vip import VipRules

CLASSIFICATION = rules.classification()
VIP = rules.vip()
INITIAL_T = Threshold(value=D(3), version="initial")
AT = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)

# One year's figures that land in each class under T = 3 (avg_assets 100; volume 300 is turnover 3).
FIGURES_FOR = {
    "A+": ("6000000", "300"),
    "B+": ("6000000", "100"),
    "A": ("2000000", "300"),
    "B": ("2000000", "100"),
    "C": ("600000", "300"),
    "D": ("600000", "100"),
    "E": ("50000", "300"),
    "G": ("5000", "0"),
}


def metrics_for(client_class: str, year: int = 2025) -> YearMetrics:
    assets, volume = FIGURES_FOR[client_class]
    return YearMetrics(year=year, assets=D(assets), avg_assets=D(100), trade_volume=D(volume))


def new_client() -> Client:
    return Client(
        client_id="c-1",
        name="张三",
        id_number="110101199003074514",
        phone="13800138000",
        branch_id="b-1",
        manager_id="m-1",
        opened_on=date(2026, 1, 5),
        created_at=datetime(2026, 1, 5, 9, 30, tzinfo=BEIJING),
        created_by="counter-1",
    )


def decide(
    client: Client,
    metrics: YearMetrics | None,
    threshold: Threshold = INITIAL_T,
    cause: ClassCause = ClassCause.METRICS,
    change_id: str = "chg-1",
) -> Reclassification | None:
    return reclassify(client, metrics, threshold, CLASSIFICATION, VIP, cause=cause, at=AT, change_id=change_id)


def applied(client: Client, result: Reclassification | None) -> Client:
    assert result is not None
    return replace(client, client_class=result.client_class, vip=result.vip, class_basis=result.basis)


def client_in(client_class: str) -> Client:
    return applied(new_client(), decide(new_client(), metrics_for(client_class)))


def test_no_metrics_means_no_class_and_no_change() -> None:
    assert decide(new_client(), None) is None


def test_first_metrics_give_a_class_with_no_previous_one() -> None:
    result = decide(new_client(), metrics_for("B", year=2025), change_id="chg-7")
    assert result is not None
    assert result.client_class == "B"
    assert result.basis == ClassBasis(
        metrics=metrics_for("B", year=2025),
        threshold=D(3),
        threshold_version="initial",
        rules_version=CLASSIFICATION.version,
    )
    change = result.class_change
    assert change is not None
    assert (change.client_id, change.client_class, change.previous_class) == ("c-1", "B", None)
    assert (change.cause, change.at, change.change_id, change.basis) == (
        ClassCause.METRICS,
        AT,
        "chg-7",
        result.basis,
    )


def test_first_metrics_below_vip_change_the_class_but_not_vip() -> None:
    result = decide(new_client(), metrics_for("E"))
    assert result is not None
    assert result.class_change is not None
    assert (result.vip, result.vip_change) == (False, None)


def test_reclassifying_the_same_state_again_changes_nothing() -> None:
    client = client_in("A")
    assert decide(client, metrics_for("A"), change_id="chg-2") is None
    assert decide(client, metrics_for("A"), cause=ClassCause.RULES, change_id="chg-3") is None


def test_same_class_on_a_new_basis_updates_the_basis_without_history() -> None:
    client = client_in("A")
    result = decide(client, metrics_for("A", year=2026))
    assert result is not None
    assert (result.client_class, result.class_change, result.vip_change) == ("A", None, None)
    assert result.basis.metrics_year == 2026


def test_a_new_threshold_version_alone_is_a_new_basis() -> None:
    client = client_in("B")
    result = decide(client, metrics_for("B"), threshold=Threshold(value=D(3), version="2026-recal"))
    assert result is not None
    assert result.class_change is None
    assert result.basis.threshold_version == "2026-recal"


def test_a_recalibrated_threshold_can_move_the_class() -> None:
    client = client_in("B")  # turnover 1 against T = 3
    result = decide(client, metrics_for("B"), threshold=Threshold(D(1), "2026"), cause=ClassCause.RECALIBRATION)
    assert result is not None
    assert result.class_change is not None
    assert (result.class_change.previous_class, result.class_change.client_class) == ("B", "A")
    assert result.class_change.cause is ClassCause.RECALIBRATION


@pytest.mark.parametrize(
    ("before", "after", "vip_after"),
    [
        pytest.param("B", "A", None, id="B-to-A-stays-vip"),
        pytest.param("A+", "B+", None, id="A+-to-B+-stays-vip"),
        pytest.param("C", "D", None, id="C-to-D-stays-non-vip"),
        pytest.param("B", "C", False, id="B-to-C-loses-vip"),
        pytest.param("A+", "G", False, id="A+-to-G-loses-vip"),
        pytest.param("D", "B", True, id="D-to-B-gains-vip"),
        pytest.param("E", "B+", True, id="E-to-B+-gains-vip"),
    ],
)
def test_vip_changes_only_when_crossing_the_vip_classes(before: str, after: str, vip_after: bool | None) -> None:
    result = decide(client_in(before), metrics_for(after, year=2026))
    assert result is not None
    assert result.class_change is not None
    assert (result.class_change.previous_class, result.class_change.client_class) == (before, after)
    if vip_after is None:
        assert result.vip_change is None
    else:
        assert result.vip_change is not None
        assert (result.vip_change.previous_vip, result.vip_change.vip) == (not vip_after, vip_after)
        assert result.vip_change.client_class == after


@pytest.mark.parametrize("cause", list(ClassCause))
def test_the_cause_is_recorded_on_both_changes(cause: ClassCause) -> None:
    result = decide(client_in("D"), metrics_for("A+"), cause=cause, change_id="chg-9")
    assert result is not None
    assert result.class_change is not None
    assert result.vip_change is not None
    assert (result.class_change.cause, result.vip_change.cause) == (cause, cause)
    assert (result.vip_change.at, result.vip_change.change_id) == (AT, "chg-9")


def test_a_new_vip_rule_alone_changes_vip_status_and_no_class() -> None:
    client = client_in("B")
    narrower = VipRules.from_table({**rules.load_table("vip"), "vip_classes": ["A+", "B+", "A"]}, CLASSIFICATION)
    result = reclassify(
        client, metrics_for("B"), INITIAL_T, CLASSIFICATION, narrower, cause=ClassCause.RULES, at=AT, change_id="r"
    )
    assert result is not None
    assert (result.client_class, result.class_change, result.vip) == ("B", None, False)
    assert result.vip_change is not None
    assert (result.vip_change.previous_vip, result.vip_change.cause) == (True, ClassCause.RULES)


def test_the_rule_tables_version_names_both_tables() -> None:
    assert rule_tables_version(CLASSIFICATION, VIP) == f"classification-{CLASSIFICATION.version}+vip-{VIP.version}"


def test_only_clients_decided_under_other_tables_are_due_a_rules_reclassification() -> None:
    narrower = VipRules.from_table({**rules.load_table("vip"), "vip_classes": ["A+", "B+", "A"]}, CLASSIFICATION)
    renamed = replace(CLASSIFICATION, version="2027.1")
    assert not decided_under_other_tables(new_client(), renamed, narrower)  # no figures, no class
    assert not decided_under_other_tables(client_in("B"), CLASSIFICATION, VIP)
    assert decided_under_other_tables(client_in("B"), renamed, VIP)
    assert decided_under_other_tables(client_in("B"), CLASSIFICATION, narrower)
    assert not decided_under_other_tables(client_in("A"), CLASSIFICATION, narrower)
