"""Complaints (Part 8 and the appended complaint regulations; DOMAIN §4).

Numbering `TS-YYMM-NNNN` (编号 年度月份流水号): month of receipt on the Beijing clock, serial
from 0001 each month, gap-free. States and the moves between them come from
`rules/complaints.toml`; a move names who and why. The person complained about may not handle
the complaint (回避). A complaint forwarded by a regulator (12386 hotline) is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from crm.domain.access import Identity, Role
from crm.domain.attitude import Attitude
from crm.domain.rule_values import whole_number
from crm.domain.sla import ClockKind
from crm.domain.time import beijing
from crm.errors import Conflict, Forbidden, InvalidInput, RuleTableError


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INVESTIGATING = "investigating"
    REPLIED = "replied"
    CALLBACK_DONE = "callback_done"
    CLOSED = "closed"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    ONSITE = "onsite"
    WEB = "web"
    REGULATOR = "regulator"  # forwarded by a regulator, e.g. the CSRC 12386 hotline


class Category(StrEnum):
    ATTITUDE = "attitude"  # 服务态度
    COMPETENCE = "competence"  # 专业素质
    EFFICIENCY = "efficiency"  # 服务效率
    PRODUCT = "product"  # 产品/业务
    OTHER = "other"  # 其他


class Validity(StrEnum):
    VALID = "valid"  # 有效
    INVALID = "invalid"  # 无效


def complaint_number(received_at: datetime, serial: int) -> str:
    """TS-YYMM-NNNN for the Beijing month of receipt (a month past 9999 complaints widens NNNN)."""
    if serial < 1:
        raise ValueError("complaint serials start at 1")
    return f"TS-{beijing(received_at):%y%m}-{serial:04d}"


def numbering_month(received_at: datetime) -> str:
    return f"{beijing(received_at):%y%m}"


def refuse_implausible_receipt(received_at: datetime, *, now: datetime, opened_on: date, max_days_back: int) -> None:
    """A complaint logged late (a letter, a referral) names when it reached us: not before the
    client's account was opened (Beijing day), nor more than `max_days_back` days before the
    request (rules/requests.toml). That it is not in the future is checked with every receipt."""
    if beijing(received_at).date() < opened_on:
        raise InvalidInput(
            f"received_at lies before the client's account was opened ({opened_on.isoformat()})", field="received_at"
        )
    if received_at < now - timedelta(days=max_days_back):
        raise InvalidInput(
            f"received_at lies more than {max_days_back} days before now; a complaint is logged when it arrives",
            field="received_at",
        )


@dataclass(frozen=True)
class Move:
    source: Status
    target: Status
    roles: frozenset[Role]
    validity: Validity | None = None
    stops: tuple[ClockKind, ...] = ()
    by_callback: bool = False  # made by the post-complaint callback when it is done, by no one else
    needs_unreachable_callback: bool = False


@dataclass(frozen=True)
class ComplaintRules:
    version: str
    max_failed_callbacks: int
    moves: Mapping[tuple[Status, Status], Move]

    @classmethod
    def from_table(cls, table: Mapping[str, Any], unreachable_after: int) -> ComplaintRules:
        """`unreachable_after`: the callbacks table's unreached attempts that end a callback."""
        try:
            moves = {}
            for row in table["transitions"]:
                roles = frozenset(Role(r) for r in row.get("roles", ()))
                by_callback = bool(row.get("by_callback", False))
                if by_callback == bool(roles):
                    raise ValueError(f"{row['from']} → {row['to']}: name its roles, or make it by_callback alone")
                move = Move(
                    source=Status(row["from"]),
                    target=Status(row["to"]),
                    roles=roles,
                    validity=Validity(row["validity"]) if "validity" in row else None,
                    stops=tuple(ClockKind(k) for k in row.get("stops", ())),
                    by_callback=by_callback,
                    needs_unreachable_callback=bool(row.get("needs_unreachable_callback", False)),
                )
                if (move.source, move.target) in moves:
                    raise RuleTableError(f"complaints table: {move.source} → {move.target} twice")
                moves[(move.source, move.target)] = move
            rules = cls(
                version=str(table["version"]), max_failed_callbacks=whole_number(unreachable_after), moves=moves
            )
            if rules.max_failed_callbacks < 1:
                raise ValueError("a callback ends unreachable after at least one attempt")
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"complaints table: {exc!r}") from exc
        if any(Role.COMPLIANCE in m.roles or Role.HQ in m.roles for m in moves.values()):
            raise RuleTableError("complaints table: complaints are handled in the branch")
        return rules


@dataclass(frozen=True)
class CallbackResult:
    """What the post-complaint callback found, kept in the complaint's history."""

    reached: bool
    satisfaction: Attitude | None = None
    score: int | None = None  # 1–10
    note: str | None = None


@dataclass(frozen=True)
class Complaint:
    complaint_no: str
    client_id: str
    branch_id: str
    channel: Channel
    category: Category
    content: str
    received_at: datetime
    recorded_by: str
    manager_id: str  # the client's manager when the complaint was received
    status: Status
    investigate_due_at: datetime
    reply_due_at: datetime
    deadline_provisional: bool
    regulator_referral: bool
    referral_ref: str | None = None
    about_staff: tuple[str, ...] = ()
    validity: Validity | None = None
    failed_callbacks: int = 0  # unreached attempts of its post-complaint callback
    satisfaction: Attitude | None = None
    version: int | None = None


@dataclass(frozen=True)
class Transition:
    """One entry of a complaint's history. The first records its receipt: kept with the received
    state as both ends (no move of the rules goes from a state to itself), it has no from-state."""

    complaint_no: str
    source: Status
    target: Status
    by: str
    role: Role
    note: str
    at: datetime
    callback: CallbackResult | None = None

    @property
    def is_receipt(self) -> bool:
        return self.source is Status.RECEIVED and self.target is Status.RECEIVED

    @property
    def from_state(self) -> Status | None:
        """The state the complaint left; None for the receipt."""
        return None if self.is_receipt else self.source


@dataclass(frozen=True)
class TransitionPlan:
    transition: Transition
    validity: Validity | None
    stops: tuple[ClockKind, ...]
    satisfaction: Attitude | None = None


def refuse_if_complained_about(complaint: Complaint, actor: Identity) -> None:
    """回避: the staff member complained about may not handle the complaint."""
    if actor.user_id in complaint.about_staff:
        raise Forbidden(
            f"{actor.user_id} is named in complaint {complaint.complaint_no} and may not handle it (回避)",
            field="about_staff",
        )


def plan_transition(
    complaint: Complaint,
    target: Status,
    actor: Identity,
    note: str,
    at: datetime,
    rules: ComplaintRules,
) -> TransitionPlan:
    """Check a move against the rules and say what it changes; nothing is written here."""
    refuse_if_complained_about(complaint, actor)
    move = rules.moves.get((complaint.status, target))
    if move is None:
        raise Conflict(f"a {complaint.status} complaint cannot become {target}", field="to")
    if move.by_callback:
        raise Conflict(
            f"a complaint becomes {target} when its post-complaint callback is done "
            f"(POST /callbacks/PC-{complaint.complaint_no}/attempts)",
            field="to",
        )
    if actor.role not in move.roles:
        raise Forbidden(f"a {actor.role} may not move a complaint to {target}", field="to")
    if move.needs_unreachable_callback and complaint.failed_callbacks < rules.max_failed_callbacks:
        raise Conflict(
            f"a replied complaint closes after its callback, or once the callback is unreachable after "
            f"{rules.max_failed_callbacks} attempts ({complaint.failed_callbacks} so far)",
            field="to",
        )
    return TransitionPlan(
        transition=Transition(
            complaint_no=complaint.complaint_no,
            source=complaint.status,
            target=target,
            by=actor.user_id,
            role=actor.role,
            note=note,
            at=at,
        ),
        validity=move.validity,
        stops=move.stops,
    )


def plan_callback_done(
    complaint: Complaint, result: CallbackResult, *, by: str, role: Role, at: datetime, rules: ComplaintRules
) -> TransitionPlan:
    """The post-complaint callback reached the client: the complaint moves to `callback_done`
    with the satisfaction it recorded (DOMAIN §4)."""
    move = rules.moves.get((complaint.status, Status.CALLBACK_DONE))
    if move is None or not move.by_callback:
        raise Conflict(f"a {complaint.status} complaint cannot take its callback's result", field="callback_id")
    return TransitionPlan(
        transition=Transition(
            complaint_no=complaint.complaint_no,
            source=complaint.status,
            target=Status.CALLBACK_DONE,
            by=by,
            role=role,
            note=result.note or "post-complaint callback done",
            at=at,
            callback=result,
        ),
        validity=move.validity,
        stops=move.stops,
        satisfaction=result.satisfaction,
    )
