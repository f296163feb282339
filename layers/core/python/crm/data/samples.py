"""The yearly callback sample's record in the callbacks table (DOMAIN §5).

pk = SAMPLE#<year>: sk = RECORD holds the draw (seed, rate, population, digest, when, under which
rules) and how far its tasks have been created; the drawn clients are in DRAWN#<seed>#<nnnn>
chunks beside it (a large population's draw does not fit one item). A draw is begun by recording
its seed (once: a concurrent or later run finds it and reuses it), its chunks are written, and the
record is marked drawn last, so a draw cut short is redone with the same seed and never twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from crm.data.base import DecimalAttribute, stamp_actions, stamped
from crm.data.callbacks import CallbacksItem
from crm.domain.audit import Stamp
from crm.domain.sample import Sample
from crm.domain.time import iso, parse_iso

RECORD = "RECORD"
CHUNK = 1000  # drawn clients per item, well inside DynamoDB's 400 KB
SYSTEM_SAMPLE = "system:callbacks"


class _Drawn(MapAttribute[str, Any]):
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()


class _SampleItem(CallbacksItem):
    year = NumberAttribute()
    status = UnicodeAttribute()  # drawing | drawn
    seed = UnicodeAttribute()
    rate = DecimalAttribute(null=True)
    population = NumberAttribute(null=True)
    population_digest = UnicodeAttribute(null=True)
    drawn_count = NumberAttribute(null=True)
    drawn_at = UnicodeAttribute(null=True)
    rules_version = UnicodeAttribute(null=True)
    tasks_created = NumberAttribute(null=True)  # the drawn clients, in order, whose task exists


class _ChunkItem(CallbacksItem):
    year = NumberAttribute()
    drawn = ListAttribute(of=_Drawn)


def _pk(year: int) -> str:
    return f"SAMPLE#{year}"


def _record(year: int) -> _SampleItem | None:
    try:
        return _SampleItem.get(_pk(year), RECORD, consistent_read=True)
    except _SampleItem.DoesNotExist:
        return None


def status(year: int) -> str | None:
    """None before the year's draw began; `drawing`; `drawn` (tasks still to create); `complete`."""
    item = _record(year)
    if item is None:
        return None
    if item.status == "drawn" and int(item.tasks_created or 0) >= int(item.drawn_count or 0):
        return "complete"
    return item.status


def seed_of(year: int, proposed: str, at: datetime) -> tuple[str, str]:
    """The seed of `year`'s draw and its status: the one recorded, or `proposed`, now recorded."""
    item = stamped(
        _SampleItem(pk=_pk(year), sk=RECORD, year=year, status="drawing", seed=proposed),
        Stamp(by=SYSTEM_SAMPLE, reason=f"the {year} sample is being drawn", at=at),
    )
    try:
        item.save(condition=_SampleItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        found = _record(year)
        if found is None:
            raise RuntimeError(f"the {year} sample's record vanished") from None
        return found.seed, found.status
    return proposed, "drawing"


def record_draw(sample: Sample, members: list[tuple[str, str, str]]) -> bool:
    """Keep the drawn clients (id, branch, manager), then mark the record drawn; False when another
    run marked it first."""
    for start in range(0, len(members), CHUNK):
        _ChunkItem(
            pk=_pk(sample.year),
            sk=f"DRAWN#{sample.seed}#{start // CHUNK:04d}",
            year=sample.year,
            drawn=[_Drawn(client_id=c, branch_id=b, manager_id=m) for c, b, m in members[start : start + CHUNK]],
        ).save()
    try:
        _SampleItem(pk=_pk(sample.year), sk=RECORD).update(
            actions=[
                _SampleItem.status.set("drawn"),
                _SampleItem.rate.set(sample.rate),
                _SampleItem.population.set(sample.population),
                _SampleItem.population_digest.set(sample.population_digest),
                _SampleItem.drawn_count.set(len(sample.drawn)),
                _SampleItem.drawn_at.set(iso(sample.drawn_at)),
                _SampleItem.rules_version.set(sample.rules_version),
                _SampleItem.tasks_created.set(0),
                *stamp_actions(
                    _SampleItem,
                    Stamp(
                        by=SYSTEM_SAMPLE,
                        reason=f"{len(sample.drawn)} of {sample.population} clients drawn for {sample.year}",
                        at=sample.drawn_at,
                    ),
                ),
            ],
            condition=(_SampleItem.status == "drawing") & (_SampleItem.seed == sample.seed),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _members(year: int, seed: str) -> list[tuple[str, str, str]]:
    items = _ChunkItem.query(_pk(year), _ChunkItem.sk.startswith(f"DRAWN#{seed}#"), consistent_read=True)
    return [(d.client_id, d.branch_id, d.manager_id) for item in items for d in item.drawn]


def sample(year: int) -> tuple[Sample, list[tuple[str, str, str]], int] | None:
    """`year`'s draw, its members (id, branch, manager) in drawn order and how many of their tasks
    exist; None before the draw is complete."""
    item = _record(year)
    if item is None or item.status != "drawn":
        return None
    members = _members(year, item.seed)
    drawn = Sample(
        year=year,
        seed=item.seed,
        rate=item.rate or Decimal(0),
        population=int(item.population or 0),
        population_digest=item.population_digest or "",
        drawn=tuple(c for c, _, _ in members),
        drawn_at=parse_iso(item.drawn_at) if item.drawn_at else parse_iso(item.changed_at or ""),
        rules_version=item.rules_version or "",
    )
    return drawn, members, int(item.tasks_created or 0)


def tasks_created(year: int, count: int, at: datetime) -> None:
    """How many of the drawn clients' tasks exist (in drawn order): where the next run goes on."""
    _SampleItem(pk=_pk(year), sk=RECORD).update(
        actions=[
            _SampleItem.tasks_created.set(count),
            *stamp_actions(_SampleItem, Stamp(by=SYSTEM_SAMPLE, reason=f"{count} sample callbacks created", at=at)),
        ]
    )
