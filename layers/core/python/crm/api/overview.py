"""The body of a client's overview (第29条3; DOMAIN §12): the record and everything open about it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.callbacks import CallbackOut
from crm.api.clients import ClientOut
from crm.api.complaints import ComplaintSummary
from crm.api.contacts import ContactOut
from crm.api.models import Model, Money, Number
from crm.api.retention import CaseOut
from crm.api.suitability import BusinessOut
from crm.domain.access import Role
from crm.domain.classification import YearMetrics
from crm.services.overview import Overview


class LatestYear(Model):
    year: int
    assets: Money
    avg_assets: Money
    trade_volume: Money
    turnover: Number = Field(description="trade_volume ÷ avg_assets (0 when avg_assets is 0)")

    @classmethod
    def of(cls, metrics: YearMetrics) -> LatestYear:
        return cls(
            year=metrics.year,
            assets=metrics.assets,
            avg_assets=metrics.avg_assets,
            trade_volume=metrics.trade_volume,
            turnover=metrics.turnover,
        )


class ClientOverview(Model):
    client: ClientOut
    metrics: LatestYear | None = Field(description="The latest year's figures (assets, 资产状况), null before any")
    businesses: list[BusinessOut] = Field(description="The businesses opened (已开通业务), by business")
    open_complaints: list[ComplaintSummary] = Field(description="Not yet closed, newest first")
    open_callbacks: list[CallbackOut] = Field(description="Open callback tasks, due first")
    open_contacts: list[ContactOut] = Field(description="Inquiries not yet answered, with their deadlines")
    retention_case: CaseOut | None = Field(description="An open transfer or closure case, or null")
    same_person: list[str] = Field(description="The person's other fund accounts in the caller's scope")

    @classmethod
    def of(cls, seen: Overview, role: Role, now: datetime) -> ClientOverview:
        return cls(
            client=ClientOut.of(seen.client, role, now, same_person=seen.same_person),
            metrics=LatestYear.of(seen.metrics) if seen.metrics else None,
            businesses=[BusinessOut.of(b) for b in seen.businesses],
            open_complaints=[ComplaintSummary.listed(c) for c in seen.open_complaints],
            open_callbacks=[CallbackOut.of(t) for t in seen.open_callbacks],
            open_contacts=[ContactOut.of(c) for c in seen.open_contacts],
            retention_case=CaseOut.of(seen.retention_case) if seen.retention_case else None,
            same_person=seen.same_person,
        )
