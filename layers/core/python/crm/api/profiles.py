"""Request and response bodies of the profile routes (第9–11条) and the target-VIP list."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.models import Model, Strict
from crm.api.query import NextCursor
from crm.domain.client import Client
from crm.domain.profile import DecisionStyle, Profile, ProfileChange, TradingHabit, ValueSegment


class ProfileIn(Strict):
    trading_habit: TradingHabit | None = Field(default=None, description="短线 short_term, 波段 swing, 价值 value")
    value_segment: ValueSegment | None = Field(
        default=None, description="黄金客户 gold, 明日之星 rising_star, 维护型 maintain, 自由型 free"
    )
    decision_style: DecisionStyle | None = Field(
        default=None,
        description="风险规避型 risk_averse, 依赖型 dependent, 独立决策型 independent, "
        "高度自主决策型 highly_autonomous",
    )
    note: str | None = Field(default=None, max_length=2000)


class ProfileValues(Model):
    trading_habit: TradingHabit | None
    value_segment: ValueSegment | None
    decision_style: DecisionStyle | None
    note: str | None

    @classmethod
    def of(cls, profile: Profile) -> ProfileValues:
        return cls(
            trading_habit=profile.trading_habit,
            value_segment=profile.value_segment,
            decision_style=profile.decision_style,
            note=profile.note,
        )


class ProfileOut(ProfileValues):
    client_id: str
    client_class: str | None
    suggested_trading_habit: TradingHabit | None = Field(
        description="What the latest average holding period suggests; never replaces the manager's entry"
    )

    @classmethod
    def of_client(cls, client: Client, suggested: TradingHabit | None) -> ProfileOut:
        return cls(
            **ProfileValues.of(client.profile).model_dump(),
            client_id=client.client_id,
            client_class=client.client_class,
            suggested_trading_habit=suggested,
        )


class ProfileChangeOut(Model):
    before: ProfileValues
    after: ProfileValues
    by: str
    at: datetime

    @classmethod
    def of(cls, change: ProfileChange) -> ProfileChangeOut:
        return cls(
            before=ProfileValues.of(change.before), after=ProfileValues.of(change.after), by=change.by, at=change.at
        )


class ProfileHistory(Model):
    items: list[ProfileChangeOut] = Field(description="Newest first")
    next_cursor: NextCursor


class VipTarget(Model):
    client_id: str
    name: str
    branch_id: str
    manager_id: str
    client_class: str | None
    value_segment: ValueSegment | None

    @classmethod
    def of(cls, client: Client) -> VipTarget:
        return cls(
            client_id=client.client_id,
            name=client.name,
            branch_id=client.branch_id,
            manager_id=client.manager_id,
            client_class=client.client_class,
            value_segment=client.profile.value_segment,
        )


class VipTargets(Model):
    items: list[VipTarget]
    next_cursor: NextCursor
