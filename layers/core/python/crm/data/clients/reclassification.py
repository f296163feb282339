"""A client's new class and VIP state, written with its history in one transaction (第4–6条, Part
4), and the sparse `by_turnover` index the year-end recalibration reads its candidates from (第6条).

Class changes are CLASS#<at>#<change id>, VIP changes VIP#<at>#<change id>: the change id (a
stream position, or the job that decided) makes a replayed decision append nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, lost_to_a_condition, set_or_remove, shard_of, stamp_actions
from crm.data.clients import history
from crm.data.clients.at_risk import at_risk_actions
from crm.data.clients.items import ClientsItem, ProfileItem, basis_attribute, client_from_item, profile_item
from crm.domain.audit import Stamp
from crm.domain.client import Client
from crm.domain.reclassification import Reclassification
from crm.domain.time import iso

SYSTEM_RECLASSIFY = "system:reclassify"
TURNOVER_SHARDS = 8


def apply_reclassification(client: Client, result: Reclassification) -> bool:
    """Write a new class/VIP state and its history atomically.

    Conditioned on the profile version the decision was made from: when another writer got
    there first, nothing is written and False is returned, so the caller recomputes from
    fresh state. History keys carry the change id, so a replay cannot append twice.
    """
    try:
        with TransactWrite(connection=connection()) as transaction:
            reclassification_into(transaction, client, result)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def reclassification_into(transaction: TransactWrite, client: Client, result: Reclassification) -> None:
    """A new class/VIP state and its history as part of `transaction` (see `apply_reclassification`):
    the profile under the version the decision was made from, history entries only where none is."""
    profile = profile_item(client)
    actions: list[Action] = [
        ProfileItem.client_class.set(result.client_class),
        ProfileItem.vip.set(result.vip),
        ProfileItem.class_basis.set(basis_attribute(result.basis)),
        set_or_remove(ProfileItem.vip_target_branch, client.branch_id if result.vip_target else None),
        set_or_remove(ProfileItem.assets_fell_in, result.assets_fell_in),
        *at_risk_actions(replace(client, assets_fell_in=result.assets_fell_in)),
    ]
    if client.client_class is None:
        actions.append(ProfileItem.first_classified_at.set(iso(result.at)))
    cause = result.class_change.cause if result.class_change else None
    reason = f"reclassified ({cause or 'basis'})"
    actions += stamp_actions(ProfileItem, Stamp(by=SYSTEM_RECLASSIFY, reason=reason, at=result.at))
    if result.turnover_decides:
        actions += [
            ProfileItem.turnover_shard.set(str(shard_of(client.client_id, TURNOVER_SHARDS))),
            ProfileItem.turnover.set(result.basis.turnover),
        ]
    else:
        actions += [ProfileItem.turnover_shard.remove(), ProfileItem.turnover.remove()]
    transaction.update(profile, actions=actions)
    if result.class_change is not None:
        transaction.save(history.class_history_item(result.class_change), condition=ClientsItem.sk.does_not_exist())
    if result.vip_change is not None:
        transaction.save(history.vip_history_item(result.vip_change), condition=ClientsItem.sk.does_not_exist())


def turnover_between(low: Decimal, high: Decimal) -> Iterator[Client]:
    """Clients whose band splits on T and whose turnover lies in [low, high], from the sparse
    `by_turnover` index: never the whole table."""
    for shard in range(TURNOVER_SHARDS):
        for item in ProfileItem.by_turnover.query(str(shard), ProfileItem.turnover.between(low, high)):
            yield client_from_item(item)
