"""Counters kept from the records that change (the `aggregates` table): what a report or a
dashboard reads instead of every record — O(counters), never O(records).

A counter is pk = COUNT#<name>, sk = <period> (a day, a week, a quarter), with one number per
metric (any name, e.g. `clients_class_A+`). What each source record contributes is remembered
(pk = CONTRIB#<record>, sk = <family>): folding a record in moves the counters by the difference
between what it contributes now and what it contributed before, in one transaction with the new
contribution, under the contribution's version. So a redelivered record finds nothing to add, a
record that moves (another day, another branch) leaves its old counters, and an image older than
the one already counted (a retried batch) changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, lost_to_a_condition, meta_for
from crm.topology import AGGREGATES

MAX_ATTEMPTS = 5

CounterKey = tuple[str, str]  # (counter name, period)
Figures = Mapping[str, int]


class AggregatesItem(Model):
    Meta = meta_for(AGGREGATES)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _CounterItem(AggregatesItem):
    """The metrics themselves are attributes named after them (set through paths, read raw)."""


class _ContributionItem(AggregatesItem):
    counters = JSONAttribute()  # [[name, period, {metric: n}], …]
    source_version = NumberAttribute(null=True)
    version = VersionAttribute()


def _counter_pk(name: str) -> str:
    return f"COUNT#{name}"


class FoldRaced(Exception):
    """The record's contribution changed under us too often; the stream retries the record."""


@dataclass(frozen=True)
class Contribution:
    counters: dict[CounterKey, dict[str, int]]
    source_version: int | None


def _read(record: str, family: str) -> tuple[_ContributionItem | None, Contribution]:
    try:
        item = _ContributionItem.get(f"CONTRIB#{record}", family, consistent_read=True)
    except _ContributionItem.DoesNotExist:
        return None, Contribution({}, None)
    counters = {(name, period): dict(figures) for name, period, figures in item.counters}
    version = int(item.source_version) if item.source_version is not None else None
    return item, Contribution(counters, version)


def fold(
    record: str,
    family: str,
    wanted: Mapping[CounterKey, Figures],
    *,
    source_version: int | None = None,
    labels: Mapping[CounterKey, Mapping[str, str]] | None = None,
) -> bool:
    """Make the counters count `record` as `wanted` (its contribution now); True when they moved.

    `source_version`: the version of the record's image; an image older than the one counted is
    ignored. `labels`: plain attributes set on a counter as it moves (e.g. its branch).
    """
    now = {key: {m: int(v) for m, v in figures.items() if v} for key, figures in wanted.items()}
    now = {key: figures for key, figures in now.items() if figures}
    for _ in range(MAX_ATTEMPTS):
        item, counted = _read(record, family)
        if (
            source_version is not None
            and counted.source_version is not None
            and source_version < counted.source_version
        ):
            return False  # an older image than the one already counted
        if counted.counters == now:
            return False
        deltas: dict[CounterKey, dict[str, int]] = {}
        for key in counted.counters.keys() | now.keys():
            before, after = counted.counters.get(key, {}), now.get(key, {})
            moved = {m: after.get(m, 0) - before.get(m, 0) for m in before.keys() | after.keys()}
            moved = {m: d for m, d in moved.items() if d}
            if moved:
                deltas[key] = moved
        contribution = _ContributionItem(
            pk=f"CONTRIB#{record}",
            sk=family,
            counters=[[name, period, figures] for (name, period), figures in sorted(now.items())],
            source_version=source_version,
        )
        if item is not None:
            contribution.version = item.version
        try:
            with TransactWrite(connection=connection()) as transaction:
                for (name, period), moved in sorted(deltas.items()):
                    actions: list[Any] = [Path(metric).add(delta) for metric, delta in sorted(moved.items())]
                    for attribute, value in sorted(((labels or {}).get((name, period)) or {}).items()):
                        actions.append(Path(attribute).set(value))
                    transaction.update(_CounterItem(pk=_counter_pk(name), sk=period), actions=actions)
                if now:
                    transaction.save(contribution)
                elif item is not None:
                    transaction.delete(contribution)
        except TransactWriteError as exc:
            if lost_to_a_condition(exc):
                continue
            raise
        return True
    raise FoldRaced(f"{record} {family}")


def _figures(raw: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in raw.items() if name not in ("pk", "sk") and "N" in value}


def _labels(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(value["S"]) for name, value in raw.items() if name not in ("pk", "sk") and "S" in value}


@dataclass(frozen=True)
class Counter:
    name: str
    period: str
    figures: dict[str, int]
    labels: dict[str, str]


def between(name: str, first: str | None = None, last: str | None = None) -> list[Counter]:
    """A counter's periods (or members) from `first` to `last` (sort keys, inclusive; None: from the
    first, to the last), in order."""
    found: list[Counter] = []
    start: dict[str, Any] | None = None
    table = _CounterItem._get_connection()
    condition: Condition | None = None
    if first is not None and last is not None:
        condition = _CounterItem.sk.between(first, last)
    elif last is not None:
        condition = _CounterItem.sk <= last
    while True:
        page = table.query(
            _counter_pk(name),
            range_key_condition=condition,
            consistent_read=True,
            exclusive_start_key=start,
        )
        found += [Counter(name, raw["sk"]["S"], _figures(raw), _labels(raw)) for raw in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found
