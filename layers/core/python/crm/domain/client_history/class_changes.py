"""A client's class (第4–6条) and VIP (Part 4) changes, and the yearly metrics they follow from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.client import ClassBasis


@dataclass(frozen=True)
class ClassChange:
    client_id: str
    client_class: str
    previous_class: str | None
    cause: ClassCause
    at: datetime
    basis: ClassBasis
    change_id: str  # makes the history key unique and the write replay-safe


@dataclass(frozen=True)
class VipChange:
    client_id: str
    vip: bool
    previous_vip: bool
    client_class: str | None
    cause: ClassCause
    at: datetime
    change_id: str


@dataclass(frozen=True)
class MetricsRecord:
    client_id: str
    metrics: YearMetrics
    updated_at: datetime
    updated_by: str
    avg_holding_days: Decimal | None = None  # how long positions are held: suggests a habit (第9条)
