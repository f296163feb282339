"""Deciding a client's class and VIP status from its latest metrics (第4–6条, Part 4).

The decision is a pure function of the client's current record, its latest year on record,
the threshold `T` and the rule tables. Recomputing from state, rather than applying deltas,
is what makes the stream handler idempotent: a redelivered or out-of-order record recomputes
the same answer and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.domain.classification import ClassCause, ClassificationRules, Threshold, YearMetrics, classify
from crm.domain.client import ClassBasis, ClassChange, Client, VipChange
from crm.domain.vip import VipRules


@dataclass(frozen=True)
class Reclassification:
    client_class: str
    vip: bool
    basis: ClassBasis
    class_change: ClassChange | None
    vip_change: VipChange | None
    turnover_decides: bool  # the client's band splits on T: a recalibration may move it
    vip_target: bool  # on the branch's cultivation list (C/D rated 明日之星)


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
) -> Reclassification | None:
    """The new state, or None when nothing about the client's class would change.

    A client with no metrics has no class yet (DOMAIN.md §1). When only the basis moves (new
    figures, same class) the basis is updated without a history entry.
    """
    if metrics is None:
        return None
    new_class = classify(metrics, threshold.value, rules)
    basis = ClassBasis(
        metrics=metrics,
        threshold=threshold.value,
        threshold_version=threshold.version,
        rules_version=rules.version,
    )
    if new_class == client.client_class and basis == client.class_basis:
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
    vip = vip_rules.is_vip(new_class)
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
    )
