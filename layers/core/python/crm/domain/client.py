"""The client record (一户一档) and the checks on its identifying fields.

Every client has exactly one client manager (第50条 2); re-assignment is traced. ID numbers
and phone numbers are sensitive personal information (PIPL art. 28): they are validated and
masked on display (`crm.domain.pii`) for roles that do not need them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from crm.domain.classification import YearMetrics
from crm.domain.person import SecuritiesAccount
from crm.domain.profile import Profile
from crm.domain.risk_level import RiskLevel


@dataclass(frozen=True)
class ClassBasis:
    """What a client's class was computed from, kept so a decision can be explained and replayed
    (and so a recalibration of `T` can decide again from the client's record alone)."""

    metrics: YearMetrics
    threshold: Decimal
    threshold_version: str
    rules_version: str

    @property
    def metrics_year(self) -> int:
        return self.metrics.year

    @property
    def turnover(self) -> Decimal:
        return self.metrics.turnover


def is_migrated(opened_on: date, registered_on: date, window_days: int) -> bool:
    """An account registered more than `window_days` after it was opened is a migrated record, not
    a new account: no account-opening SMS, no `new_account` callback (DOMAIN §5, §13: a book loaded
    when the brokerage adopts the system, by import or one by one, gets none)."""
    return opened_on < registered_on - timedelta(days=window_days)


class ClientStatus(StrEnum):
    """A client who transferred or closed its account stays on record, readable (DOMAIN §6)."""

    ACTIVE = "active"
    TRANSFERRED = "transferred"  # 转户: to another broker
    CLOSED = "closed"  # 销户


def is_restricted(statuses: Iterable[ClientStatus]) -> bool:
    """Whether a person whose accounts are in these statuses is restricted (PIPL 第47条; DOMAIN §14):
    once every account is closed or transferred — the records are kept for the retention period, so
    processing stops instead of deletion. While any account is open, nothing is restricted."""
    return all(status is not ClientStatus.ACTIVE for status in statuses)


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    id_number: str
    phone: str
    branch_id: str
    manager_id: str
    opened_on: date
    created_at: datetime
    created_by: str
    email: str | None = None
    birthday: date | None = None
    client_class: str | None = None
    vip: bool = False
    class_basis: ClassBasis | None = None
    risk_level: RiskLevel | None = None
    risk_score: int | None = None
    risk_assessed_at: datetime | None = None
    profile: Profile = field(default_factory=Profile)
    vip_target: bool = False  # on the branch's cultivation list (Part 4)
    first_classified_at: datetime | None = None  # when its class was first set
    status: ClientStatus = ClientStatus.ACTIVE
    open_case_id: str | None = None  # a transfer or closure request being handled (DOMAIN §6)
    open_case_kind: str | None = None
    assets_fell_in: int | None = None  # the year its year-end assets fell by the at-risk share
    changed_at: datetime | None = None  # the business time of the record's last change
    securities_accounts: tuple[SecuritiesAccount, ...] = ()  # 证券账号 the fund account names (DOMAIN §12)
    # PIPL 第47条: every account of the person closed or transferred (`is_restricted`): its numbers
    # masked for every role, out of lookups and lists; nothing deleted
    restricted: bool = False
    version: int | None = None
