"""The quarterly assessment report (第55条; satisfaction, Part 6; DOMAIN §9; API.md `metrics.csv`).

Per company, branch and manager, for a quarter on the Beijing clock: every figure is a counter the
streams keep (crm.domain.aggregates says what each record counts for), read by the report job in a
handful of queries, never the records. An event is counted in the quarter it happened; what
depends on a later outcome (a reply on time, a validity) fills in when the outcome is known, and a
report re-run then is a new version. The quarter-end snapshot (clients by class, risk level, VIP)
is the sum of the changes of every quarter up to its end, not the state when the job runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from crm.domain.time import BEIJING, beijing
from crm.errors import InvalidInput

_PERIOD = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1–4

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = _PERIOD.fullmatch(text)
        if not found or not 2000 <= int(found[1]) <= 2100:
            raise InvalidInput(f"{text!r} is no quarter: write it like 2026Q2", field="period")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, moment: datetime | date) -> Quarter:
        day = beijing(moment).date() if isinstance(moment, datetime) else moment
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = self.following().first_day
        return following - timedelta(days=1)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.last_day, time(23, 59, 59), tzinfo=BEIJING)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)


def reported_quarter(run_at: datetime) -> Quarter:
    """The quarter a run reports on: the one that ended before it (1 January: Q4 of the year before)."""
    return Quarter.of(run_at).previous()


class Scope(StrEnum):
    COMPANY = "company"
    BRANCH = "branch"
    MANAGER = "manager"


COMPANY_MEMBER = "-"


def member(scope: Scope, branch_id: str | None, manager_id: str | None) -> str:
    if scope is Scope.COMPANY:
        return COMPANY_MEMBER
    if scope is Scope.BRANCH:
        return branch_id or ""
    return f"{branch_id}#{manager_id}"


def event_counter(quarter: Quarter, scope: Scope) -> str:
    """The counter of a quarter's events at one scope; its members are the branches or managers."""
    return f"report#{quarter}#{scope.value}"


def state_counter(scope: Scope) -> str:
    """The changes of the clients' state at one scope; members `<quarter>#<member>`, so that one
    range query sums every quarter up to a quarter's end."""
    return f"state#{scope.value}"


# --- the metrics of API.md, in their order -----------------------------------------------------------


SUPPLEMENTARY = ("class_changes", "vip_gained", "vip_lost")


@dataclass(frozen=True)
class MetricNames:
    """Every metric of `metrics.csv`, in order, and which scopes carry it."""

    snapshot: tuple[str, ...]
    events: tuple[str, ...]
    derived: tuple[str, ...] = (
        "complaints_per_100_clients",
        "satisfaction_mean_score",
        "satisfaction_share_satisfied",
    )
    branch_only: frozenset[str] = frozenset({"education_activities", "education_attendances"})
    # DOMAIN §9 also asks for the class migrations and VIP changes of the quarter: in the workbook
    # and the JSON, after the metrics, but not in metrics.csv, whose metric names API.md fixes.
    supplementary: tuple[str, ...] = SUPPLEMENTARY

    @classmethod
    def build(
        cls, classes: Sequence[str], risk_levels: Sequence[str], channels: Sequence[str], categories: Sequence[str]
    ) -> MetricNames:
        snapshot = (
            "clients",
            *(f"clients_class_{c}" for c in classes),
            *(f"clients_risk_{r}" for r in risk_levels),
            "vip",
        )
        events = (
            *(f"contacts_{c}" for c in channels),
            "email_replied_same_day",
            "email_replied_within_2wd",
            "sla_breaches",
            "complaints",
            *(f"complaints_{c}" for c in categories),
            "complaints_valid",
            "complaints_invalid",
            "complaints_regulator",
            "complaints_investigated_on_time",
            "complaints_replied_on_time",
            "callbacks_due",
            "callbacks_done",
            "callbacks_done_on_time",
            "callbacks_unreachable",
            "retention_retained",
            "retention_transferred",
            "retention_closed",
            "education_activities",
            "education_attendances",
            "work_logs",
            "visits",
            "spot_checks",
        )
        return cls(snapshot=snapshot, events=events)

    def ordered(self, scope: Scope) -> list[str]:
        """The metrics a scope's rows carry, in the order of API.md."""
        names = [*self.snapshot]
        events = list(self.events)
        at = events.index("complaints_replied_on_time") + 1
        names += [*events[:at], "complaints_per_100_clients"]
        callbacks_end = events.index("callbacks_unreachable") + 1
        names += [*events[at:callbacks_end], "satisfaction_mean_score", "satisfaction_share_satisfied"]
        names += events[callbacks_end:]
        if scope is Scope.MANAGER:
            names = [n for n in names if n not in self.branch_only]
        return names + list(self.supplementary)


# Counted beside the metrics, for the two satisfaction figures (DOMAIN §9: over the callbacks done
# in the quarter, of every kind).
SCORE_SUM, SCORED, SATISFIED = "satisfaction_score_sum", "satisfaction_scored", "satisfaction_satisfied"
PLACES = Decimal("0.0001")


def _share(part: int, whole: int, scale: int = 1) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Row:
    scope: Scope
    branch_id: str | None
    manager_id: str | None
    metric: str
    value: int | Decimal | None  # None: nothing to average

    @property
    def in_csv(self) -> bool:
        """One of the metrics of API.md's metrics.csv."""
        return self.metric not in SUPPLEMENTARY


def rows_of(
    scope: Scope,
    branch_id: str | None,
    manager_id: str | None,
    snapshot: Mapping[str, int],
    events: Mapping[str, int],
    names: MetricNames,
) -> list[Row]:
    """One scope member's figures as rows: counts, the quarter-end snapshot, the derived shares."""
    values: dict[str, int | Decimal | None] = {n: int(snapshot.get(n, 0)) for n in names.snapshot}
    values |= {n: int(events.get(n, 0)) for n in (*names.events, *names.supplementary)}
    values["complaints_per_100_clients"] = _share(
        int(events.get("complaints", 0)), int(snapshot.get("clients", 0)), 100
    )
    scored = int(events.get(SCORED, 0))
    values["satisfaction_mean_score"] = _share(int(events.get(SCORE_SUM, 0)), scored)
    values["satisfaction_share_satisfied"] = _share(int(events.get(SATISFIED, 0)), scored)
    return [Row(scope, branch_id, manager_id, n, values[n]) for n in names.ordered(scope)]


@dataclass(frozen=True)
class Figures:
    """A quarter's report: every row, company first, then each branch, then each manager."""

    quarter: Quarter
    rows: tuple[Row, ...]

    def for_branch(self, branch_id: str) -> Figures:
        return Figures(
            self.quarter, tuple(r for r in self.rows if r.scope is not Scope.COMPANY and r.branch_id == branch_id)
        )

    def branches(self) -> list[str]:
        return sorted({r.branch_id for r in self.rows if r.scope is Scope.BRANCH and r.branch_id})

    def value(
        self, scope: Scope, metric: str, branch_id: str | None = None, manager_id: str | None = None
    ) -> int | Decimal | None:
        for row in self.rows:
            if (row.scope, row.metric, row.branch_id, row.manager_id) == (scope, metric, branch_id, manager_id):
                return row.value
        raise KeyError((scope, metric, branch_id, manager_id))


def summed(members: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for figures in members:
        for metric, value in figures.items():
            total[metric] = total.get(metric, 0) + value
    return total


def assemble(
    quarter: Quarter,
    *,
    events: Mapping[Scope, Mapping[str, Mapping[str, int]]],
    state: Mapping[Scope, Mapping[str, Mapping[str, int]]],
    names: MetricNames,
) -> Figures:
    """The report from its counters: `events[scope][member]` of the quarter, `state[scope][member]`
    summed over every quarter up to its end."""
    rows: list[Row] = []
    company_events = events.get(Scope.COMPANY, {}).get(COMPANY_MEMBER, {})
    company_state = state.get(Scope.COMPANY, {}).get(COMPANY_MEMBER, {})
    rows += rows_of(Scope.COMPANY, None, None, company_state, company_events, names)
    branches = sorted(set(events.get(Scope.BRANCH, {})) | set(state.get(Scope.BRANCH, {})))
    for branch in branches:
        rows += rows_of(
            Scope.BRANCH,
            branch,
            None,
            state.get(Scope.BRANCH, {}).get(branch, {}),
            events.get(Scope.BRANCH, {}).get(branch, {}),
            names,
        )
    managers = sorted(set(events.get(Scope.MANAGER, {})) | set(state.get(Scope.MANAGER, {})))
    for key in managers:
        branch, manager = key.split("#", 1)
        rows += rows_of(
            Scope.MANAGER,
            branch,
            manager,
            state.get(Scope.MANAGER, {}).get(key, {}),
            events.get(Scope.MANAGER, {}).get(key, {}),
            names,
        )
    return Figures(quarter, tuple(rows))
