"""A client's yearly metrics and the class and VIP history they lead to (第4–6条; DOMAIN §1).

Reclassification is not done here: it follows each metrics write through the clients table's stream.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from crm.data.clients import history as class_data
from crm.data.clients import metrics as metrics_data
from crm.domain.access import Grant
from crm.domain.classification import YearMetrics
from crm.domain.client_history.class_changes import ClassChange, MetricsRecord, VipChange
from crm.domain.time import beijing
from crm.errors import InvalidInput
from crm.services.client_lookup import find


def check_year(year: int, now: datetime) -> None:
    """Figures are for a year that has begun (a year-end file names the year just ended)."""
    if year > beijing(now).year:
        raise InvalidInput(f"{year} has not begun yet", field="year")


def put_metrics(
    grant: Grant, client_id: str, metrics: YearMetrics, *, now: datetime, avg_holding_days: Decimal | None = None
) -> MetricsRecord:
    """Store a year's figures; reclassification follows asynchronously through the stream."""
    check_year(metrics.year, now)
    find(grant, client_id)
    record = MetricsRecord(
        client_id=client_id,
        metrics=metrics,
        updated_at=now,
        updated_by=grant.identity.user_id,
        avg_holding_days=avg_holding_days,
    )
    metrics_data.put_metrics(record)
    return record


def metrics(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[MetricsRecord], str | None]:
    find(grant, client_id)
    return metrics_data.metrics_page(client_id, limit=limit, cursor=cursor)


def class_history(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ClassChange], str | None]:
    find(grant, client_id)
    return class_data.class_history_page(client_id, limit=limit, cursor=cursor)


def vip_history(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[VipChange], str | None]:
    find(grant, client_id)
    return class_data.vip_history_page(client_id, limit=limit, cursor=cursor)
