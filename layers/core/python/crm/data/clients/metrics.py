"""A client's yearly metrics (第4–6条): pk = CLIENT#<id>, sk = METRICS#<year> in the clients table.

The latest year decides the class (DOMAIN.md §1), and each write reaches the reclassification
through the stream; the company-wide yearly sums kept from them are crm.data.clients.yearly_sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from crm import config
from crm.data.base import BATCH_GET_KEYS, DecimalAttribute, batch_get_raw
from crm.data.clients.items import CLIENT_PREFIX, PROFILE, ClientsItem, client_pk, history, history_page
from crm.domain.classification import YearMetrics
from crm.domain.client_history.class_changes import MetricsRecord
from crm.domain.time import iso, parse_iso
from crm.topology import CLIENTS

METRICS_PREFIX = "METRICS#"


def metrics_sk(year: int) -> str:
    return f"{METRICS_PREFIX}{year:04d}"


class MetricsItem(ClientsItem):
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
    _item(record).save()


def _item(record: MetricsRecord) -> MetricsItem:
    m = record.metrics
    return MetricsItem(
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
    )


def put_many(records: Sequence[MetricsRecord]) -> None:
    """Store many clients' figures in as few requests as DynamoDB allows (25 items each; what it
    leaves unprocessed is sent again). Each record is one item, written whole or not at all."""
    with MetricsItem.batch_write() as batch:
        for record in records:
            batch.save(_item(record))


def on_record(wanted: Sequence[tuple[str, int]]) -> tuple[set[str], dict[tuple[str, int], MetricsRecord]]:
    """For (client, year) pairs: which of the clients are on record, and the figures on record for
    each pair that has some; read consistently, 100 keys a request."""
    keys = [(client_pk(client_id), PROFILE) for client_id in dict.fromkeys(c for c, _ in wanted)]
    keys += [(client_pk(client_id), metrics_sk(year)) for client_id, year in dict.fromkeys(wanted)]
    table = config.active().table(CLIENTS)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(keys), BATCH_GET_KEYS):
        found |= batch_get_raw(table, keys[start : start + BATCH_GET_KEYS])
    clients = {pk.removeprefix(CLIENT_PREFIX) for pk, sk in found if sk == PROFILE}
    figures = {}
    for (_, sk), raw in found.items():
        if sk.startswith(METRICS_PREFIX):
            record = _record(MetricsItem.from_raw_data(raw))
            figures[(record.client_id, record.metrics.year)] = record
    return clients, figures


def _record(item: MetricsItem) -> MetricsRecord:
    return MetricsRecord(
        client_id=item.client_id,
        metrics=year_metrics(item),
        updated_at=parse_iso(item.updated_at),
        updated_by=item.updated_by,
        avg_holding_days=item.avg_holding_days,
    )


def metrics(client_id: str, *, consistent: bool = False) -> list[MetricsRecord]:
    """Every year on record, newest first."""
    return [_record(item) for item in history(MetricsItem, client_id, METRICS_PREFIX, consistent=consistent)]


def metrics_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[MetricsRecord], str | None]:
    """One page of the years on record, newest first."""
    return history_page(MetricsItem, client_id, METRICS_PREFIX, _record, limit=limit, cursor=cursor)


def year_metrics(item: MetricsItem) -> YearMetrics:
    return YearMetrics(
        year=int(item.year), assets=item.assets, avg_assets=item.avg_assets, trade_volume=item.trade_volume
    )


def latest_metrics(client_id: str) -> tuple[YearMetrics | None, YearMetrics | None]:
    """The latest year on record and the one before it, read consistently in one query: the latest
    decides the class (DOMAIN.md §1), the two together whether the client is at risk (第50条 10)."""
    found = [year_metrics(item) for item in history(MetricsItem, client_id, METRICS_PREFIX, consistent=True, limit=2)]
    return (found[0] if found else None), (found[1] if len(found) > 1 else None)


def one_year(client_id: str, year: int) -> YearMetrics | None:
    """One year's figures, read consistently (None: none on record)."""
    try:
        return year_metrics(MetricsItem.get(client_pk(client_id), metrics_sk(year), consistent_read=True))
    except MetricsItem.DoesNotExist:
        return None
