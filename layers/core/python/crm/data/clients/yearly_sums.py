"""The company-wide yearly sums kept from the clients' yearly metrics (第4–6条), and a change of a
client's figures as the stream decides it.

Yearly sums (settings table): computing `T` must read a handful of items, not every client (第6条
at brokerage scale), so the sums are maintained as metrics change: pk = AGGREGATE#turnover#<year>,
sk = SHARD#<n> (a few shards, so a year-end load of figures does not pile onto one item). Each
client's part of a year is remembered (pk = CONTRIB#<client>, sk = <year>), which makes folding a
metrics change in idempotent: the sums move by the difference between the figures now and the part
already counted, and a redelivered record finds nothing left to add.

A change of a year's figures (the stream) is decided from two consistent reads, `read_change`: one
batch read of `T` and the client's part of the year's sums, and one query of the client's
collection from PROFILE down through its two latest years (no other sort key lies between
METRICS#… and PROFILE: crm.data.clients.items). `write_change` then folds the figures into the sums and writes
the new class in one transaction, each part under the condition it was decided on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data.base import DecimalAttribute, connection, lost_to_a_condition, shard_of
from crm.data.clients import metrics
from crm.data.clients.items import PROFILE, ClientsItem, ProfileItem, client_from_item, client_pk
from crm.data.clients.reclassification import reclassification_into
from crm.data.settings import turnover_threshold_with
from crm.data.settings_table import SettingsItem
from crm.domain.classification import Threshold, YearMetrics
from crm.domain.client import Client
from crm.domain.recalibration import YearTurnover

if TYPE_CHECKING:
    from crm.domain.reclassification import Reclassification


SHARDS = 8


class _ShardItem(SettingsItem):
    trade_volume = DecimalAttribute(null=True)
    avg_assets = DecimalAttribute(null=True)
    clients = NumberAttribute(null=True)


class _ContributionItem(SettingsItem):
    trade_volume = DecimalAttribute()
    avg_assets = DecimalAttribute()


def _aggregate_pk(year: int) -> str:
    return f"AGGREGATE#turnover#{year}"


Counted = tuple[Decimal, Decimal]  # a client's part of a year's sums: trade volume, average assets


def _contribution_key(client_id: str, year: int) -> tuple[str, str]:
    return f"CONTRIB#{client_id}", str(year)


def _figures(metrics: YearMetrics | None) -> Counted | None:
    return (metrics.trade_volume, metrics.avg_assets) if metrics is not None else None


def _fold_into(
    transaction: TransactWrite, client_id: str, year: int, counted: Counted | None, current: Counted | None
) -> None:
    """The year's sums moved from the client's part they count (`counted`) to its figures as they
    now are (`current`), as part of `transaction`: under the condition that the part is still
    what was read, so that a concurrent or redelivered fold cannot count the difference twice."""
    was = counted or (Decimal(0), Decimal(0))
    now = current or (Decimal(0), Decimal(0))
    shard = _ShardItem(pk=_aggregate_pk(year), sk=f"SHARD#{shard_of(client_id, SHARDS)}")
    pk, sk = _contribution_key(client_id, year)
    part = _ContributionItem(pk=pk, sk=sk, trade_volume=now[0], avg_assets=now[1])
    unchanged = (
        _ContributionItem.pk.does_not_exist()
        if counted is None
        else (_ContributionItem.trade_volume == was[0]) & (_ContributionItem.avg_assets == was[1])
    )
    transaction.update(
        shard,
        actions=[
            _ShardItem.trade_volume.add(now[0] - was[0]),
            _ShardItem.avg_assets.add(now[1] - was[1]),
            _ShardItem.clients.add((current is not None) - (counted is not None)),
        ],
    )
    if current is None:
        transaction.delete(part, condition=unchanged)
    else:
        transaction.save(part, condition=unchanged)


@dataclass(frozen=True)
class MetricsChange:
    """What a change of a client's figures for `year` is decided from, as read by `read_change`."""

    client_id: str
    year: int
    client: Client | None  # the client's record (None: figures without one: nothing to classify)
    latest: YearMetrics | None  # the latest year on record: it decides the class (DOMAIN.md §1)
    previous: YearMetrics | None  # the one before it: with the latest, whether the client is at risk
    current: YearMetrics | None  # the year's figures as they now are (None: there are none)
    counted: Counted | None  # the client's part of the year's sums as they count it (None: none)
    threshold: Threshold  # T in force

    @property
    def fold_needed(self) -> bool:
        return self.counted != _figures(self.current)


def read_change(client_id: str, year: int, initial: Threshold) -> MetricsChange:
    """Everything a change of the client's figures for `year` is decided from, read consistently
    in two requests: one batch read of `T` (`initial` when none was set) and the client's part of
    the year's sums, then one query of the client's collection, descending from PROFILE through
    its two latest years. A third, only when `year` is older than the two latest: that year's
    figures. The part is read before the figures, so a fold conditioned on the part read moves
    the sums to figures at least as new as what they counted."""
    threshold, found = turnover_threshold_with(initial, [_contribution_key(client_id, year)])
    raw_part = found.get(_contribution_key(client_id, year))
    part = _ContributionItem.from_raw_data(raw_part) if raw_part is not None else None
    response = connection().client.query(
        TableName=ClientsItem.Meta.table_name,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :metrics AND :profile",
        ExpressionAttributeValues={
            ":pk": {"S": client_pk(client_id)},
            ":metrics": {"S": "METRICS#"},
            ":profile": {"S": PROFILE},
        },
        ScanIndexForward=False,
        ConsistentRead=True,
        Limit=3,
    )
    client: Client | None = None
    years: list[YearMetrics] = []
    for raw in response.get("Items", []):
        if raw["sk"]["S"] == PROFILE:
            client = client_from_item(ProfileItem.from_raw_data(raw))
        else:
            years.append(metrics.year_metrics(metrics.MetricsItem.from_raw_data(raw)))
    current = next((m for m in years if m.year == year), None)
    if current is None and "LastEvaluatedKey" in response and years[-1].year > year:
        current = metrics.one_year(client_id, year)  # a correction of a year older than the two latest
    return MetricsChange(
        client_id=client_id,
        year=year,
        client=client,
        latest=years[0] if years else None,
        previous=years[1] if len(years) > 1 else None,
        current=current,
        counted=(part.trade_volume, part.avg_assets) if part is not None else None,
        threshold=threshold,
    )


def write_change(change: MetricsChange, result: Reclassification | None) -> bool | None:
    """The year's sums brought to the client's figures as they now are, and the client's new class
    and VIP state (`result`, decided from `change`), in one transaction, each under the condition
    it was decided on (the part of the sums read, the profile's version, no history entry yet).

    True: written; False: nothing to write; None: the state moved on meanwhile (a concurrent or
    redelivered record, an API write): nothing was written, decide again from fresh state."""
    if not change.fold_needed and result is None:
        return False
    try:
        with TransactWrite(connection=connection()) as transaction:
            if change.fold_needed:
                _fold_into(transaction, change.client_id, change.year, change.counted, _figures(change.current))
            if result is not None and change.client is not None:
                reclassification_into(transaction, change.client, result)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return None
        raise
    return True


def year_figures(years: Iterable[int]) -> list[YearTurnover]:
    """The company's sums for `years` (one batch read of their shards); years without figures
    are left out."""
    wanted = sorted(set(years))
    keys = [(_aggregate_pk(year), f"SHARD#{n}") for year in wanted for n in range(SHARDS)]
    totals: dict[int, list[Decimal]] = {}
    for item in _ShardItem.batch_get(keys, consistent_read=True):
        year = int(item.pk.rsplit("#", 1)[-1])
        sums = totals.setdefault(year, [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += item.trade_volume or 0
        sums[1] += item.avg_assets or 0
        sums[2] += Decimal(item.clients or 0)
    return [
        YearTurnover(year=year, trade_volume=v, avg_assets=a, clients=int(n))
        for year, (v, a, n) in sorted(totals.items())
        if n > 0
    ]
