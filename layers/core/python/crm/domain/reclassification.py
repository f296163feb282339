"""Deciding a client's class and VIP status from its latest metrics (第4–6条, Part 4).

The decision is a pure function of the client's current record, its latest year on record,
the threshold `T` and the rule tables. Recomputing from state, rather than applying deltas,
is what makes the stream handler idempotent: a redelivered or out-of-order record recomputes
the same answer and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crm.domain.classification import ClassCause, ClassificationRules, Threshold, YearMetrics, classify
from crm.domain.client import ClassBasis, Client
from crm.domain.client_history.class_changes import ClassChange, VipChange
from crm.domain.retention import assets_fell
from crm.domain.vip import VipRules


def rule_tables_version(rules: ClassificationRules, vip_rules: VipRules) -> str:
    """The versions of the two rule tables a class and VIP status are decided under: when it
    changes, every client is due a reclassification with the cause `rules` (DOMAIN.md §1).
    """
    return f"classification-{rules.version}+vip-{vip_rules.version}"


def decided_under_other_tables(client: Client, rules: ClassificationRules, vip_rules: VipRules) -> bool:
    """Whether the tables in force may decide the client otherwise than its record says: its class
    was computed under another band table, or the VIP rule in force disagrees with its status. A
    client without figures has no class to decide (DOMAIN.md §1)."""
    if client.class_basis is None:
        return False
    return client.class_basis.rules_version != rules.version or vip_rules.is_vip(client.client_class) != client.vip


@dataclass(frozen=True)
class Reclassification:
    client_class: str
    vip: bool
    basis: ClassBasis
    class_change: ClassChange | None
    vip_change: VipChange | None
    turnover_decides: bool  # the client's band splits on T: a recalibration may move it
    vip_target: bool  # on the branch's cultivation list (C/D rated 明日之星)
    assets_fell_in: int | None  # at risk of leaving: the year its assets fell by the at-risk share
    at: datetime


def reclassify(
    client: Client,
    metrics: YearMetrics | None,
    threshold: Threshold,
    rules: ClassificationRules,
    vip_rules: VipRules,
    *,
    cause: ClassCause,
    at: datetime,
    change_id: str,
    previous: YearMetrics | None = None,
    asset_drop: Decimal | None = None,
) -> Reclassification | None:
    """The new state, or None when nothing about the client's class, VIP status or risk of leaving
    would change.

    A client with no metrics has no class yet (DOMAIN.md §1). When only the basis moves (new
    figures, same class) the basis is updated without a history entry. A new VIP rule can change
    the VIP status of a client whose class stays. With `asset_drop` (new figures), the latest year
    against the one before it decides whether the client is at risk of leaving (第50条 10);
    without it (a decision from the figures already on record) that stays as it was.
    """
    if metrics is None:
        return None
    fell_in = client.assets_fell_in
    if asset_drop is not None:
        fell_in = metrics.year if assets_fell(metrics, previous, asset_drop) else None
    new_class = classify(metrics, threshold.value, rules)
    basis = ClassBasis(
        metrics=metrics,
        threshold=threshold.value,
        threshold_version=threshold.version,
        rules_version=rules.version,
    )
    vip = vip_rules.is_vip(new_class)
    unchanged = new_class == client.client_class and basis == client.class_basis and vip == client.vip
    if unchanged and fell_in == client.assets_fell_in:
        return None
    class_change = None
    if new_class != client.client_class:
        class_change = ClassChange(
            client_id=client.client_id,
            client_class=new_class,
            previous_class=client.client_class,
            cause=cause,
            at=at,
            basis=basis,
            change_id=change_id,
        )
    vip_change = None
    if vip != client.vip:
        vip_change = VipChange(
            client_id=client.client_id,
            vip=vip,
            previous_vip=client.vip,
            client_class=new_class,
            cause=cause,
            at=at,
            change_id=change_id,
        )
    return Reclassification(
        client_class=new_class,
        vip=vip,
        basis=basis,
        class_change=class_change,
        vip_change=vip_change,
        turnover_decides=rules.turnover_matters(metrics.assets),
        vip_target=vip_rules.is_target(new_class, client.profile.value_segment),
        assets_fell_in=fell_in,
        at=at,
    )


@dataclass(frozen=True)
class RuleTablesApplication:
    """Bringing every client under new rule tables: one walk over all clients, resumable."""

    version: str  # rule_tables_version() of the tables being applied
    started_at: datetime
    status: str  # started | done
    position: str | None = None  # where an unfinished walk stopped; the next run goes on there
    examined: int = 0  # clients looked at so far
    updated: int = 0  # clients whose class, VIP status or basis was rewritten
    finished_at: datetime | None = None
