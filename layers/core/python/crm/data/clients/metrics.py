"""A client's yearly metrics, and the company-wide yearly sums kept from them (第4–6条).

Metrics: pk = CLIENT#<id>, sk = METRICS#<year> in the clients table; the latest year decides the
class (DOMAIN.md §1), and each write reaches the reclassification through the stream.

Yearly sums (settings table): computing `T` must read a handful of items, not every client (第6条
at brokerage scale), so the sums are maintained as metrics change: pk = AGGREGATE#turnover#<year>,
sk = SHARD#<n> (a few shards, so a year-end load of figures does not pile onto one item). Each
client's part of a year is remembered (pk = CONTRIB#<client>, sk = <year>), which makes folding a
metrics change in idempotent: the sums move by the difference between the figures now and the part
already counted, and a redelivered record finds nothing left to add.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data.base import DecimalAttribute, connection, lost_to_a_condition, shard_of
from crm.data.clients.items import ClientsItem, client_pk
from crm.data.settings import SettingsItem
from crm.domain.classification import YearMetrics
from crm.domain.client import MetricsRecord
from crm.domain.recalibration import YearTurnover
from crm.domain.time import iso, parse_iso


def metrics_sk(year: int) -> str:
    return f"METRICS#{year:04d}"


class _MetricsItem(ClientsItem):
    client_id = UnicodeAttribute()
    year = NumberAttribute()
    assets = DecimalAttribute()
    avg_assets = DecimalAttribute()
    trade_volume = DecimalAttribute()
    avg_holding_days = DecimalAttribute(null=True)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


def put_metrics(record: MetricsRecord) -> None:
    """Store one year's figures; the reclassification follows through the stream."""
    m = record.metrics
    _MetricsItem(
        pk=client_pk(record.client_id),
        sk=metrics_sk(m.year),
        client_id=record.client_id,
        year=m.year,
        assets=m.assets,
        avg_assets=m.avg_assets,
        trade_volume=m.trade_volume,
        avg_holding_days=record.avg_holding_days,
        updated_at=iso(record.updated_at),
        updated_by=record.updated_by,
    ).save()


def metrics(client_id: str, *, consistent: bool = False) -> list[MetricsRecord]:
    """Every year on record, newest first."""
    return [
        MetricsRecord(
            client_id=item.client_id,
            metrics=_year_metrics(item),
            updated_at=parse_iso(item.updated_at),
            updated_by=item.updated_by,
            avg_holding_days=item.avg_holding_days,
        )
        for item in _MetricsItem.query(
            client_pk(client_id),
            _MetricsItem.sk.startswith("METRICS#"),
            scan_index_forward=False,
            consistent_read=consistent,
        )
    ]


def year_metrics(client_id: str, year: int) -> YearMetrics | None:
    """One year's figures as they now are (read consistently), or None."""
    try:
        item = _MetricsItem.get(client_pk(client_id), metrics_sk(year), consistent_read=True)
    except _MetricsItem.DoesNotExist:
        return None
    return _year_metrics(item)


def _year_metrics(item: _MetricsItem) -> YearMetrics:
    return YearMetrics(
        year=int(item.year), assets=item.assets, avg_assets=item.avg_assets, trade_volume=item.trade_volume
    )


def latest_metrics(client_id: str) -> tuple[YearMetrics | None, YearMetrics | None]:
    """The latest year on record and the one before it, read consistently in one query: the latest
    decides the class (DOMAIN.md §1), the two together whether the client is at risk (第50条 10)."""
    found = [
        _year_metrics(item)
        for item in _MetricsItem.query(
            client_pk(client_id),
            _MetricsItem.sk.startswith("METRICS#"),
            scan_index_forward=False,
            consistent_read=True,
            limit=2,
        )
    ]
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)


# --- the company's yearly sums ---------------------------------------------------------------

SHARDS = 8
MAX_ATTEMPTS = 5


class _ShardItem(SettingsItem):
    trade_volume = DecimalAttribute(null=True)
    avg_assets = DecimalAttribute(null=True)
    clients = NumberAttribute(null=True)


class _ContributionItem(SettingsItem):
    trade_volume = DecimalAttribute()
    avg_assets = DecimalAttribute()


def _aggregate_pk(year: int) -> str:
    return f"AGGREGATE#turnover#{year}"


class FoldRaced(Exception):
    """The client's part changed under us too often; the stream retries the record."""


def fold(client_id: str, year: int, current: YearMetrics | None) -> bool:
    """Make the year's sums count the client's figures as they now are; True when they moved."""
    for _ in range(MAX_ATTEMPTS):
        try:
            counted: _ContributionItem | None = _ContributionItem.get(
                f"CONTRIB#{client_id}", str(year), consistent_read=True
            )
        except _ContributionItem.DoesNotExist:
            counted = None
        was = (counted.trade_volume, counted.avg_assets) if counted else (Decimal(0), Decimal(0))
        now = (current.trade_volume, current.avg_assets) if current else (Decimal(0), Decimal(0))
        if counted is not None and current is not None and was == now:
            return False
        if counted is None and current is None:
            return False
        shard = _ShardItem(pk=_aggregate_pk(year), sk=f"SHARD#{shard_of(client_id, SHARDS)}")
        part = _ContributionItem(pk=f"CONTRIB#{client_id}", sk=str(year), trade_volume=now[0], avg_assets=now[1])
        unchanged = (
            _ContributionItem.pk.does_not_exist()
            if counted is None
            else (_ContributionItem.trade_volume == was[0]) & (_ContributionItem.avg_assets == was[1])
        )
        clients_delta = (current is not None) - (counted is not None)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(
                    shard,
                    actions=[
                        _ShardItem.trade_volume.add(now[0] - was[0]),
                        _ShardItem.avg_assets.add(now[1] - was[1]),
                        _ShardItem.clients.add(clients_delta),
                    ],
                )
                if current is None:
                    transaction.delete(part, condition=unchanged)
                else:
                    transaction.save(part, condition=unchanged)
        except TransactWriteError as exc:
            if lost_to_a_condition(exc):
                continue
            raise
        return True
    raise FoldRaced(f"{client_id} {year}")


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
