"""The settings table: company-wide values that change by decision, each with its history.

Keys: pk = SETTING#<name>; sk = CURRENT for the value in force. The turnover threshold keeps a
RECALIBRATION#<year> item per year-end recalibration (第6条), with the figures it came from and
whether the clients it moves have all been reclassified (`status`: started → done). The rule
tables keep a RULE_TABLES#<version> item per version applied to every client, with where the
walk over the clients stopped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data.base import (
    DecimalAttribute,
    Key,
    batch_get_raw,
    connection,
    lost_to_a_condition,
    set_or_remove,
    stamp_actions,
    stamped,
)
from crm.data.settings_table import CURRENT, SettingsItem
from crm.domain.audit import Stamp
from crm.domain.classification import Threshold
from crm.domain.recalibration import Recalibration, YearTurnover
from crm.domain.reclassification import RuleTablesApplication
from crm.domain.time import iso, parse_iso

TURNOVER_THRESHOLD = "SETTING#turnover_threshold"
SYSTEM_RECALIBRATION = "system:recalibration"
RULE_TABLES = "SETTING#rule_tables"
SYSTEM_RULES = "system:rules"


class _ThresholdItem(SettingsItem):
    value = DecimalAttribute()
    threshold_version = UnicodeAttribute()
    set_at = UnicodeAttribute(null=True)


class _RecalibrationItem(SettingsItem):
    year = NumberAttribute()
    previous_value = DecimalAttribute()
    previous_version = UnicodeAttribute()
    value = DecimalAttribute()
    threshold_version = UnicodeAttribute()
    figures = JSONAttribute()
    at = UnicodeAttribute()
    status = UnicodeAttribute()  # started | done
    moved = NumberAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)


class _RuleTablesItem(SettingsItem):
    version = UnicodeAttribute()
    started_at = UnicodeAttribute()
    status = UnicodeAttribute()  # started | done
    position = UnicodeAttribute(null=True)
    examined = NumberAttribute()
    updated = NumberAttribute()
    finished_at = UnicodeAttribute(null=True)


def turnover_threshold(initial: Threshold) -> Threshold:
    """`T` in force: the last recalibration's, or the rule table's initial value (第6条)."""
    try:
        item = _ThresholdItem.get(TURNOVER_THRESHOLD, CURRENT, consistent_read=True)
    except _ThresholdItem.DoesNotExist:
        return initial
    return Threshold(value=item.value, version=item.threshold_version)


def turnover_threshold_with(initial: Threshold, keys: Iterable[Key]) -> tuple[Threshold, dict[Key, dict[str, Any]]]:
    """`T` in force (as `turnover_threshold`) and the settings items under `keys` as DynamoDB
    returns them (absent: no item), in one consistent batch read."""
    found = batch_get_raw(SettingsItem.Meta.table_name, [(TURNOVER_THRESHOLD, CURRENT), *keys])
    raw = found.pop((TURNOVER_THRESHOLD, CURRENT), None)
    if raw is None:
        return initial, found
    item = _ThresholdItem.from_raw_data(raw)
    return Threshold(value=item.value, version=item.threshold_version), found


def threshold_set_at() -> datetime | None:
    try:
        item = _ThresholdItem.get(TURNOVER_THRESHOLD, CURRENT, consistent_read=True)
    except _ThresholdItem.DoesNotExist:
        return None
    return parse_iso(item.set_at) if item.set_at else None


def _recalibration_sk(year: int) -> str:
    return f"RECALIBRATION#{year}"


def _recalibration(item: _RecalibrationItem) -> tuple[Recalibration, str, int | None]:
    recalibration = Recalibration(
        year=int(item.year),
        previous=Threshold(value=item.previous_value, version=item.previous_version),
        new=Threshold(value=item.value, version=item.threshold_version),
        figures=tuple(
            YearTurnover(
                year=int(f["year"]),
                trade_volume=Decimal(f["trade_volume"]),
                avg_assets=Decimal(f["avg_assets"]),
                clients=int(f["clients"]),
            )
            for f in item.figures
        ),
        at=parse_iso(item.at),
    )
    return recalibration, item.status, int(item.moved) if item.moved is not None else None


def recalibration(year: int) -> tuple[Recalibration, str, int | None] | None:
    """The recalibration of `year`, its status and how many clients it moved, if it has run."""
    try:
        return _recalibration(_RecalibrationItem.get(TURNOVER_THRESHOLD, _recalibration_sk(year), consistent_read=True))
    except _RecalibrationItem.DoesNotExist:
        return None


def recalibrations() -> list[tuple[Recalibration, str, int | None]]:
    """Every recalibration, newest first: the history of `T`."""
    items = _RecalibrationItem.query(
        TURNOVER_THRESHOLD, _RecalibrationItem.sk.startswith("RECALIBRATION#"), scan_index_forward=False
    )
    return [_recalibration(item) for item in items]


def start_recalibration(change: Recalibration) -> bool:
    """Put the new `T` in force and keep the change with its figures, once per year.

    False when the year's recalibration was already recorded (a rerun, or a race)."""
    record = _RecalibrationItem(
        pk=TURNOVER_THRESHOLD,
        sk=_recalibration_sk(change.year),
        year=change.year,
        previous_value=change.previous.value,
        previous_version=change.previous.version,
        value=change.new.value,
        threshold_version=change.new.version,
        figures=[
            {"year": f.year, "trade_volume": str(f.trade_volume), "avg_assets": str(f.avg_assets), "clients": f.clients}
            for f in change.figures
        ],
        at=iso(change.at),
        status="started",
    )
    stamp = Stamp(by=SYSTEM_RECALIBRATION, reason=f"year-end recalibration for {change.year} (第6条)", at=change.at)
    current = stamped(
        _ThresholdItem(
            pk=TURNOVER_THRESHOLD,
            sk=CURRENT,
            value=change.new.value,
            threshold_version=change.new.version,
            set_at=iso(change.at),
        ),
        stamp,
    )
    record = stamped(record, stamp)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(record, condition=_RecalibrationItem.sk.does_not_exist())
            if change.changed:
                transaction.save(current)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def finish_recalibration(year: int, moved: int, at: datetime) -> None:
    _RecalibrationItem(pk=TURNOVER_THRESHOLD, sk=_recalibration_sk(year)).update(
        actions=[
            _RecalibrationItem.status.set("done"),
            _RecalibrationItem.moved.set(moved),
            _RecalibrationItem.finished_at.set(iso(at)),
            *stamp_actions(_RecalibrationItem, Stamp(by=SYSTEM_RECALIBRATION, reason=f"{moved} clients moved", at=at)),
        ]
    )


def _rule_tables_sk(version: str) -> str:
    return f"RULE_TABLES#{version}"


def rule_tables_application(version: str) -> RuleTablesApplication | None:
    """How far the rule tables of `version` have been applied to the clients, if at all."""
    try:
        item = _RuleTablesItem.get(RULE_TABLES, _rule_tables_sk(version), consistent_read=True)
    except _RuleTablesItem.DoesNotExist:
        return None
    return RuleTablesApplication(
        version=item.version,
        started_at=parse_iso(item.started_at),
        status=item.status,
        position=item.position,
        examined=int(item.examined),
        updated=int(item.updated),
        finished_at=parse_iso(item.finished_at) if item.finished_at else None,
    )


def start_rule_tables_application(version: str, at: datetime) -> None:
    """Record that the tables of `version` are being applied (once: a rerun finds it)."""
    item = stamped(
        _RuleTablesItem(
            pk=RULE_TABLES,
            sk=_rule_tables_sk(version),
            version=version,
            started_at=iso(at),
            status="started",
            examined=0,
            updated=0,
        ),
        Stamp(by=SYSTEM_RULES, reason=f"rule tables {version} to be applied to every client", at=at),
    )
    try:
        item.save(condition=_RuleTablesItem.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def save_rule_tables_progress(progress: RuleTablesApplication, at: datetime) -> None:
    """Where the walk stopped and what it did, so that the next run goes on from there."""
    finished_at = iso(progress.finished_at) if progress.finished_at is not None else None
    _RuleTablesItem(pk=RULE_TABLES, sk=_rule_tables_sk(progress.version)).update(
        actions=[
            _RuleTablesItem.status.set(progress.status),
            set_or_remove(_RuleTablesItem.position, progress.position),
            _RuleTablesItem.examined.set(progress.examined),
            _RuleTablesItem.updated.set(progress.updated),
            set_or_remove(_RuleTablesItem.finished_at, finished_at),
            *stamp_actions(
                _RuleTablesItem,
                Stamp(
                    by=SYSTEM_RULES,
                    reason=f"rule tables {progress.version}: {progress.examined} clients examined, "
                    f"{progress.updated} updated" + ("" if finished_at else " so far"),
                    at=at,
                ),
            ),
        ]
    )
