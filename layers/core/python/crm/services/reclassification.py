"""Reclassifying clients from their stored state (第4–6条; VIP per Part 4).

- `on_metrics_written`: a client's figures for a year changed (the stream): fold them into the
  company's yearly sums and bring the client's class and VIP flag up to date, in one transaction.
- `recalibrate_turnover_threshold`: the year-end job (第6条). Sets the new `T` from the sums of
  the previous three years, then reclassifies only the clients between the old and new `T`.
- `apply_rule_tables`: the class bands or the VIP rule changed (a new table deployed): every
  client is decided again under them (DOMAIN.md §1), in a walk that resumes where it stopped.

Every decision is taken from stored state and written under the profile's version, so a
redelivered record or a rerun job changes nothing, and a concurrent writer only makes us decide
again from fresh state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from crm import rules
from crm.data import settings as settings_data
from crm.data.clients import metrics as metrics_data
from crm.data.clients import reclassification as class_data
from crm.data.clients import records as client_data
from crm.data.clients import yearly_sums
from crm.domain.classification import ClassCause, Threshold, YearMetrics
from crm.domain.client import Client
from crm.domain.recalibration import recalibrate, years_to_average
from crm.domain.reclassification import (
    Reclassification,
    decided_under_other_tables,
    reclassify,
    rule_tables_version,
)
from crm.domain.time import beijing

MAX_ATTEMPTS = 5
RESERVE_S = 30.0  # a walk over the clients stops this long before its invocation times out


class ConcurrentChange(Exception):
    """The client kept changing under us; the record is retried by the stream."""


def initial_threshold() -> Threshold:
    return Threshold(value=rules.classification().initial_turnover_threshold, version="initial")


def current_threshold() -> Threshold:
    return settings_data.turnover_threshold(initial_threshold())


def _decide(
    client: Client,
    metrics: YearMetrics | None,
    threshold: Threshold,
    *,
    cause: ClassCause,
    at: datetime,
    change_id: str,
    previous: YearMetrics | None = None,
    asset_drop: bool = False,
) -> Reclassification | None:
    """The client's new state, or None when nothing changes. With `asset_drop`, the figures are
    new: whether the client is at risk of leaving is decided again."""
    return reclassify(
        client,
        metrics,
        threshold,
        rules.classification(),
        rules.vip(),
        cause=cause,
        at=at,
        change_id=change_id,
        previous=previous,
        asset_drop=rules.callbacks().at_risk_asset_drop if asset_drop else None,
    )


def _write(client: Client, result: Reclassification | None) -> bool | None:
    """True: written; False: nothing to change (no result); None: the client changed meanwhile."""
    if result is None:
        return False
    return True if class_data.apply_reclassification(client, result) else None


def reclassify_client(client_id: str, *, cause: ClassCause, at: datetime, change_id: str) -> bool:
    """Bring the client's class and VIP flag up to date; True when something was written."""
    threshold = current_threshold()
    for _ in range(MAX_ATTEMPTS):
        client = client_data.get(client_id, consistent=True)
        if client is None:
            return False  # metrics without a client record: nothing to classify
        latest, previous = metrics_data.latest_metrics(client_id)
        written = _write(
            client,
            _decide(
                client, latest, threshold, cause=cause, at=at, change_id=change_id, previous=previous, asset_drop=True
            ),
        )
        if written is not None:
            return written
    raise ConcurrentChange(f"client {client_id} changed {MAX_ATTEMPTS} times while being reclassified")


def on_metrics_written(client_id: str, year: int, *, at: datetime, change_id: str) -> bool:
    """A year's figures changed: the company's sums count them as they now are, and the client's
    class follows its latest figures; True when the class, VIP status or basis was written.

    Both are decided from one consistent read of `T` and the client's part of the sums and one of
    the client's record and latest years, and written in one transaction under the conditions
    they were decided on: three DynamoDB requests a record (a fourth when a year older than the
    two latest is corrected), and never sums moved without the class, or the other way round.
    A redelivered record finds both done and writes nothing; a concurrent writer makes the
    transaction fail, and the change is decided again from fresh state.
    """
    for _ in range(MAX_ATTEMPTS):
        change = yearly_sums.read_change(client_id, year, initial_threshold())
        result = None
        if change.client is not None:  # figures without a client record: nothing to classify
            result = _decide(
                change.client,
                change.latest,
                change.threshold,
                cause=ClassCause.METRICS,
                at=at,
                change_id=change_id,
                previous=change.previous,
                asset_drop=True,
            )
        if yearly_sums.write_change(change, result) is not None:
            return result is not None
    raise ConcurrentChange(f"client {client_id} changed {MAX_ATTEMPTS} times while its {year} figures were folded")


@dataclass(frozen=True)
class RecalibrationReport:
    year: int
    previous: Decimal
    new: Decimal
    status: str  # done: this run finished it; already_done: an earlier run had
    candidates: int  # clients read from the turnover index
    moved: int  # clients whose class changed in this run


def recalibrate_turnover_threshold(now: datetime) -> RecalibrationReport:
    """The year-end recalibration for the year `now` falls in (Beijing), idempotently."""
    year = beijing(now).year
    recorded = settings_data.recalibration(year)
    if recorded is None:
        classification = rules.classification()
        figures = yearly_sums.year_figures(years_to_average(year, classification))
        settings_data.start_recalibration(recalibrate(year, current_threshold(), figures, classification, at=now))
        recorded = settings_data.recalibration(year)  # ours, or a concurrent run's
        if recorded is None:
            raise RuntimeError(f"the recalibration of {year} was not recorded")
    change, status, _ = recorded
    if status == "done":
        return RecalibrationReport(year, change.previous.value, change.new.value, "already_done", 0, 0)
    candidates = moved = 0
    if change.changed:
        low, high = change.candidate_range()
        for client in class_data.turnover_between(low, high):
            candidates += 1
            if _reclassify_from_basis(
                client, change.new, cause=ClassCause.RECALIBRATION, at=change.at, change_id=f"recalibration-{year}"
            ):
                moved += 1
    settings_data.finish_recalibration(year, moved, now)
    return RecalibrationReport(year, change.previous.value, change.new.value, "done", candidates, moved)


def _reclassify_from_basis(
    client: Client, threshold: Threshold, *, cause: ClassCause, at: datetime, change_id: str
) -> bool:
    """Decide from the figures the client's class was last computed from (on its record: no
    further read); when the client changed meanwhile, decide again from fresh state."""
    basis = client.class_basis.metrics if client.class_basis else None
    written = _write(client, _decide(client, basis, threshold, cause=cause, at=at, change_id=change_id))
    if written is not None:
        return written
    return reclassify_client(client.client_id, cause=cause, at=at, change_id=change_id)


@dataclass(frozen=True)
class RuleTablesReport:
    version: str
    status: str  # up_to_date: applied before; in_progress: to be continued; done: this run finished
    examined: int  # clients looked at by every run so far
    updated: int  # clients rewritten by every run so far


def apply_rule_tables(now: datetime, *, seconds_left: Callable[[], float]) -> RuleTablesReport:
    """Bring every client under the class bands and VIP rule in force (DOMAIN.md §1: a rule-table
    change is a cause of its own; 第4–6条, Part 4).

    Once per version of the tables: later runs read one item. The walk reads each client's
    record once and rewrites only those decided under other tables (class, VIP status or basis);
    when the invocation runs short of time it records where it stopped, and the next run goes on
    from there. Decisions are written under the client's version with replay-safe history keys,
    so a crash between two checkpoints only repeats work that changes nothing.
    """
    classification, vip = rules.classification(), rules.vip()
    version = rule_tables_version(classification, vip)
    progress = settings_data.rule_tables_application(version)
    if progress is None:
        settings_data.start_rule_tables_application(version, now)
        progress = settings_data.rule_tables_application(version)  # ours, or a concurrent run's
        if progress is None:
            raise RuntimeError(f"the application of rule tables {version} was not recorded")
    if progress.status == "done":
        return RuleTablesReport(version, "up_to_date", progress.examined, progress.updated)
    threshold = current_threshold()
    examined, updated, position = progress.examined, progress.updated, progress.position
    for client, after in client_data.client_records(progress.position):
        if seconds_left() < RESERVE_S:
            settings_data.save_rule_tables_progress(
                replace(progress, position=position, examined=examined, updated=updated), now
            )
            return RuleTablesReport(version, "in_progress", examined, updated)
        if decided_under_other_tables(client, classification, vip) and _reclassify_from_basis(
            client, threshold, cause=ClassCause.RULES, at=progress.started_at, change_id=f"rules-{version}"
        ):
            updated += 1
        examined += 1
        position = after
    settings_data.save_rule_tables_progress(
        replace(progress, status="done", position=None, examined=examined, updated=updated, finished_at=now), now
    )
    return RuleTablesReport(version, "done", examined, updated)
