"""Request and response bodies of the complaint routes (DOMAIN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field

from crm.api.models import Identifier, Model, Strict
from crm.domain.attitude import Attitude
from crm.domain.complaints import (
    Category,
    Channel,
    Complaint,
    Status,
    Transition,
    Validity,
)


class NewComplaint(Strict):
    client_id: Identifier
    channel: Channel = Field(description="regulator: forwarded by a regulator such as the 12386 hotline")
    category: Category = Field(
        description="attitude 服务态度, competence 专业素质, efficiency 服务效率, product 产品/业务, other 其他"
    )
    content: str = Field(min_length=1, max_length=10000)
    received_at: AwareDatetime | None = Field(
        default=None, description="For letters and referrals received earlier (ISO 8601 with offset); default: now"
    )
    regulator_referral: bool = Field(
        default=False, description="Forwarded by a regulator (implied by channel regulator)"
    )
    referral_ref: str | None = Field(default=None, max_length=100, description="The regulator's ticket number")
    about_staff: list[Identifier] = Field(
        default_factory=list, max_length=20, description="Staff complained about: they may not handle it (回避)"
    )


class ComplaintCallbackOut(Model):
    """What the post-complaint callback found (DOMAIN §4, §5)."""

    reached: bool
    satisfaction: Attitude | None = Field(description="满意 satisfied, 一般 neutral, 不满意 dissatisfied")
    score: int | None = Field(ge=1, le=10)
    note: str | None


class TransitionIn(Strict):
    to: Status = Field(description="callback_done follows the post-complaint callback: record its attempts")
    note: str = Field(min_length=1, max_length=2000, description="Why (留痕)")


class TransitionOut(Model):
    from_: Status | None = Field(
        alias="from", serialization_alias="from", description="The state it left; null on the first entry, the receipt"
    )
    to: Status
    by: str
    role: str
    note: str
    at: datetime
    callback: ComplaintCallbackOut | None

    @classmethod
    def of(cls, transition: Transition) -> TransitionOut:
        callback = transition.callback
        return cls.model_validate(
            {
                "from": transition.from_state,
                "to": transition.target,
                "by": transition.by,
                "role": transition.role.value,
                "note": transition.note,
                "at": transition.at,
                "callback": ComplaintCallbackOut(
                    reached=callback.reached,
                    satisfaction=callback.satisfaction,
                    score=callback.score,
                    note=callback.note,
                )
                if callback
                else None,
            }
        )


class ComplaintSummary(Model):
    """A complaint as listed: everything but its history (GET /complaints/{complaint_no} has that)."""

    complaint_no: str = Field(description="TS-YYMM-NNNN: month of receipt (Beijing), serial from 0001")
    client_id: str
    branch_id: str
    channel: Channel
    category: Category
    content: str
    received_at: datetime
    recorded_by: str
    status: Status
    validity: Validity | None = Field(description="valid 有效 / invalid 无效, once decided")
    investigate_due_at: datetime = Field(description="Investigation starts within one working day")
    reply_due_at: datetime = Field(description="The complainant has a reply within two working days")
    deadline_provisional: bool
    regulator_referral: bool
    referral_ref: str | None
    about_staff: list[str]
    failed_callbacks: int = Field(description="Unreached attempts of its post-complaint callback")
    satisfaction: Attitude | None

    @staticmethod
    def fields_of(complaint: Complaint) -> dict[str, Any]:
        fields = {name: getattr(complaint, name) for name in ComplaintSummary.model_fields}
        fields["about_staff"] = list(complaint.about_staff)
        return fields

    @staticmethod
    def listed(complaint: Complaint) -> ComplaintSummary:
        return ComplaintSummary(**ComplaintSummary.fields_of(complaint))


class ComplaintOut(ComplaintSummary):
    """A complaint with its history: the receipt first, then every state change, oldest first."""

    history: list[TransitionOut] = Field(description="Its receipt, then its state changes, oldest first")

    @classmethod
    def of(cls, complaint: Complaint, history: list[Transition]) -> ComplaintOut:
        return cls(**cls.fields_of(complaint), history=[TransitionOut.of(t) for t in history])


class ComplaintPage(Model):
    items: list[ComplaintSummary]
    next_cursor: str | None
