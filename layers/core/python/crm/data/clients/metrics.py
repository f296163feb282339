"""A client's yearly metrics (第4–6条): pk = CLIENT#<id>, sk = METRICS#<year> in the clients table.

The latest year decides the class (DOMAIN.md §1), and each write reaches the reclassification
through the stream; the company-wide yearly sums kept from them are crm.data.clients.yearly_sums.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from crm.data.base import DecimalAttribute
from crm.data.clients.items import ClientsItem, client_pk, history, history_page
from crm.domain.classification import YearMetrics
from crm.domain.client_history.class_changes import MetricsRecord
from crm.domain.time import iso, parse_iso

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
    m = record.metrics
    MetricsItem(
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
