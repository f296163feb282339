"""Request and response bodies of a client's yearly metrics and the class and VIP history they
lead to (API.md «Resources»; 第4–6条)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.models import Model, Money, Number, Strict
from crm.api.query import NextCursor
from crm.domain.classification import ClassCause
from crm.domain.client_history.class_changes import ClassChange, MetricsRecord, VipChange


class YearFigures(Strict):
    assets: Money = Field(description="Assets at year end, or now for the current year (CNY)")
    avg_assets: Money = Field(description="Average assets over the year (CNY)")
    trade_volume: Money = Field(description="Trading volume over the year (CNY)")
    avg_holding_days: Money | None = Field(
        default=None, description="Average holding period in days, when known: suggests a trading habit (第9条)"
    )


class MetricsOut(Model):
    client_id: str
    year: int
    assets: Money
    avg_assets: Money
    trade_volume: Money
    turnover: Number = Field(description="trade_volume ÷ avg_assets (0 when avg_assets is 0)")
    avg_holding_days: Number | None
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, record: MetricsRecord) -> MetricsOut:
        m = record.metrics
        return cls(
            client_id=record.client_id,
            year=m.year,
            assets=m.assets,
            avg_assets=m.avg_assets,
            trade_volume=m.trade_volume,
            turnover=m.turnover,
            avg_holding_days=record.avg_holding_days,
            updated_at=record.updated_at,
            updated_by=record.updated_by,
        )


class MetricsList(Model):
    items: list[MetricsOut] = Field(description="Newest first")
    next_cursor: NextCursor


class ClassBasisOut(Model):
    metrics_year: int
    turnover: Number
    threshold: Number
    threshold_version: str
    rules_version: str


class ClassChangeOut(Model):
    client_class: str
    previous_class: str | None
    cause: ClassCause
    at: datetime
    basis: ClassBasisOut

    @classmethod
    def of(cls, change: ClassChange) -> ClassChangeOut:
        b = change.basis
        return cls(
            client_class=change.client_class,
            previous_class=change.previous_class,
            cause=change.cause,
            at=change.at,
            basis=ClassBasisOut(
                metrics_year=b.metrics_year,
                turnover=b.turnover,
                threshold=b.threshold,
                threshold_version=b.threshold_version,
                rules_version=b.rules_version,
            ),
        )


class ClassHistory(Model):
    items: list[ClassChangeOut] = Field(description="Newest first")
    next_cursor: NextCursor


class VipChangeOut(Model):
    vip: bool
    previous_vip: bool
    client_class: str | None
    cause: ClassCause
    at: datetime

    @classmethod
    def of(cls, change: VipChange) -> VipChangeOut:
        return cls(
            vip=change.vip,
            previous_vip=change.previous_vip,
            client_class=change.client_class,
            cause=change.cause,
            at=change.at,
        )


class VipHistory(Model):
    items: list[VipChangeOut] = Field(description="Newest first")
    next_cursor: NextCursor
