"""Synthetic clients for the recalibration benchmark, stored as the app stores them.

The story: at 2026-12-31 18:00 (Beijing) the figures of 2024–2026 were loaded for every client
and the stream classified each one under the initial `T` = 3. What is left in the tables is what
the app leaves: per client a PROFILE item (class, VIP flag, class basis, version 2, the stamp of
its last change, and `turnover_shard`/`turnover` only where turnover decides the class), three
METRICS items, one CLASS# history item and, for VIPs, one VIP# item; in the settings table each
client's CONTRIB# parts and the 8 yearly aggregate shards per year.

Figures are drawn so that the company turnover of 2024–2026 averages to exactly `NEW_T` = 2.5,
and a chosen share of all clients has a 2026 turnover between the new and the old `T` in a band
where turnover matters: those, and only those, change class (D-→C-, D→C, B→A, B+→A+). Everyone
else is well away from the thresholds, or below 100k assets where turnover does not matter (some
of those deliberately between 2.5 and 3).

Seeding bypasses the API (a put through moto's API runs at ~400/s): the items are built as raw
DynamoDB JSON and written into moto's backend. The class of each client is decided by the real
`reclassify`; only the mapping of its result onto items is repeated here. Before every benchmark,
`recalibration.verify_seeding` stores a sample both through the app's own code
(`store_through_app`: `clients.create`, `put_metrics`, the stream's `on_metrics_written`) and
through `seed`, and requires the very same items, so a change of what the data layer writes
stops the benchmark instead of leaving it to measure stale items.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from crm import rules, topology
from crm.data.base import shard_of
from crm.data.clients import items as client_table
from crm.data.clients import metrics as metrics_data
from crm.data.clients import reclassification as class_data
from crm.data.clients import records as client_data
from crm.data.clients import yearly_sums
from crm.domain.classification import ClassCause, YearMetrics, classify
from crm.domain.client import ClassBasis, Client
from crm.domain.client_history.class_changes import MetricsRecord
from crm.domain.recalibration import YearTurnover, recalibrate
from crm.domain.reclassification import Reclassification, reclassify
from crm.domain.time import BEIJING, iso
from crm.services.reclassification import initial_threshold, on_metrics_written
from tests.bench.moto_speedups import put_raw

YEARS = (2024, 2025, 2026)
NEW_T = Decimal("2.5")
LOADED_AT = datetime(2026, 12, 31, 18, 0, tzinfo=BEIJING)
RECALIBRATION_AT = datetime(2027, 1, 1, 0, 5, tzinfo=BEIJING)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Band:
    share: float
    min_assets: int
    max_assets: int
    turnover_matters: bool


# Most clients are small; a few are large (assets in CNY, by the bands of rules/classification.toml).
_BANDS = (
    _Band(0.03, 5_000_000, 50_000_000, True),  # A+ / B+
    _Band(0.09, 1_000_000, 5_000_000, True),  # A / B
    _Band(0.13, 500_000, 1_000_000, True),  # C / D
    _Band(0.35, 100_000, 500_000, True),  # C- / D-
    _Band(0.30, 10_000, 100_000, False),  # E
    _Band(0.10, 0, 10_000, False),  # F / G
)
TURNOVER_MATTERS_SHARE = sum(band.share for band in _BANDS if band.turnover_matters)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class SyntheticClient:
    client: Client  # as registered, before any class
    metrics: tuple[MetricsRecord, ...]  # one per year of YEARS
    change_ids: tuple[str, ...]  # the stream sequence numbers of those three writes
    initial_class: str  # under the initial T
    moves_to: str | None  # the class the recalibration to NEW_T must give it, if it changes

    @property
    def latest(self) -> YearMetrics:
        return self.metrics[-1].metrics


def population(size: int, moving: float, seed: int) -> list[SyntheticClient]:
    """`size` clients, of whom round(size × moving) change class under NEW_T (deterministic)."""
    if size < 1 or not 0 <= moving <= 1:
        raise ValueError("need at least one client and a moving share between 0 and 1")
    movers_wanted = round(size * moving)
    rng = random.Random(seed)
    bands = rng.choices(_BANDS, weights=[band.share for band in _BANDS], k=size)
    eligible = [n for n, band in enumerate(bands) if band.turnover_matters]
    if movers_wanted > len(eligible):
        raise ValueError(f"only {len(eligible)} of {size} clients are in bands where turnover matters")
    movers = set(rng.sample(eligible, movers_wanted))
    with unswept():
        return _build(rng, bands, movers)


def _build(rng: random.Random, bands: list[_Band], movers: set[int]) -> list[SyntheticClient]:
    raw = [_raw_figures(rng, band, n in movers) for n, band in enumerate(bands)]
    scale = _scale_to_new_threshold(raw)
    classification = rules.classification()
    old_t = initial_threshold().value
    made = []
    for n, figures in enumerate(raw):
        metrics = tuple(
            YearMetrics(year, assets, avg, (volume * scale[year]).quantize(CENT) if year in scale else volume)
            for year, (assets, avg, volume) in zip(YEARS, figures, strict=True)
        )
        before, after = (classify(metrics[-1], t, classification) for t in (old_t, NEW_T))
        made.append(_client(rng, n, metrics, before, after if after != before else None))
    moved = sum(c.moves_to is not None for c in made)
    if moved != len(movers):
        raise AssertionError(f"{moved} clients would move, {len(movers)} were meant to")
    change = recalibrate(
        RECALIBRATION_AT.year, initial_threshold(), year_turnovers(made), classification, at=RECALIBRATION_AT
    )
    if change.new.value != NEW_T:
        raise AssertionError(f"the figures average to T = {change.new.value}, not {NEW_T}")
    return made


_Figures = tuple[Decimal, Decimal, Decimal]  # assets, average assets, trading volume


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)).scaleb(-2)


def _turnover(rng: random.Random, low: str, high: str) -> Decimal:
    return Decimal(rng.randrange(int(Decimal(low) * 1000), int(Decimal(high) * 1000))).scaleb(-3)


def _raw_figures(rng: random.Random, band: _Band, mover: bool) -> list[_Figures]:
    assets = _money(rng, band.min_assets, band.max_assets)
    if mover:  # strictly between the new and the old T, clear of both
        turnover = _turnover(rng, "2.55", "2.95")
    elif not band.turnover_matters:  # anywhere, also between 2.5 and 3: no class depends on it
        turnover = Decimal(0) if band.min_assets == 0 and rng.random() < 0.5 else _turnover(rng, "0", "8")
    elif rng.random() < 0.05:
        turnover = Decimal(0)  # no trading this year
    elif rng.random() < 0.65:
        turnover = _turnover(rng, "0.05", "2.4")
    else:
        turnover = _turnover(rng, "3.1", "9")
    avg = (assets * Decimal(rng.uniform(0.8, 1.2))).quantize(CENT)
    figures = []
    for _year in YEARS[:-1]:  # earlier years drift; their volumes are scaled afterwards
        earlier_avg = (avg * Decimal(rng.uniform(0.6, 1.4))).quantize(CENT)
        earlier_assets = (earlier_avg * Decimal(rng.uniform(0.8, 1.2))).quantize(CENT)
        figures.append((earlier_assets, earlier_avg, (earlier_avg * _turnover(rng, "0", "6")).quantize(CENT)))
    figures.append((assets, avg, (avg * turnover).quantize(CENT)))
    return figures


def _scale_to_new_threshold(raw: list[list[_Figures]]) -> dict[int, Decimal]:
    """Factors for the volumes of the earlier years so that the three-year mean is NEW_T."""
    turnover = {}
    for index, year in enumerate(YEARS):
        volume = sum((figures[index][2] for figures in raw), Decimal(0))
        assets = sum((figures[index][1] for figures in raw), Decimal(0))
        turnover[year] = volume / assets
    earlier = (len(YEARS) * NEW_T - turnover[YEARS[-1]]) / (len(YEARS) - 1)
    if earlier <= Decimal("0.2"):
        raise ValueError("the latest year's company turnover is too high to reach the intended T")
    targets = {YEARS[0]: earlier + Decimal("0.1"), YEARS[1]: earlier - Decimal("0.1")}
    return {year: target / turnover[year] for year, target in targets.items()}


def _id_number(rng: random.Random, birthday: date) -> str:
    body = f"110101{birthday:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def _client(
    rng: random.Random, n: int, metrics: tuple[YearMetrics, ...], initial_class: str, moves_to: str | None
) -> SyntheticClient:
    client_id = f"C{n:07d}"
    branch = f"B{rng.randrange(1, 41):02d}"
    birthday = date(rng.randrange(1950, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
    opened_on = date(rng.randrange(2008, 2024), rng.randrange(1, 13), rng.randrange(1, 29))
    client = Client(
        client_id=client_id,
        name=rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randrange(1, 3))),
        id_number=_id_number(rng, birthday),
        phone=f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}",
        email=f"{client_id.lower()}@example.com" if rng.random() < 0.6 else None,
        birthday=birthday if rng.random() < 0.8 else None,
        branch_id=branch,
        manager_id=f"{branch}-M{rng.randrange(1, 26):02d}",
        opened_on=opened_on,
        created_at=datetime.combine(opened_on, time(9, 30), tzinfo=BEIJING),
        created_by=f"{branch}-counter",
    )
    holding = Decimal(rng.randrange(1, 400)) if rng.random() < 0.5 else None
    records = tuple(
        MetricsRecord(client_id, m, updated_at=LOADED_AT, updated_by="hq-data-load", avg_holding_days=holding)
        for m in metrics
    )
    change_ids = tuple(str(10**20 + 3 * n + index) for index in range(len(YEARS)))
    return SyntheticClient(client, records, change_ids, initial_class, moves_to)


def year_turnovers(clients: Iterable[SyntheticClient]) -> list[YearTurnover]:
    volume = dict.fromkeys(YEARS, Decimal(0))
    assets = dict.fromkeys(YEARS, Decimal(0))
    counted = dict.fromkeys(YEARS, 0)
    for synthetic in clients:
        for record in synthetic.metrics:
            volume[record.metrics.year] += record.metrics.trade_volume
            assets[record.metrics.year] += record.metrics.avg_assets
            counted[record.metrics.year] += 1
    return [YearTurnover(year, volume[year], assets[year], counted[year]) for year in YEARS]


# --- the items, as the app writes them ----------------------------------------------------------


def _classified(synthetic: SyntheticClient) -> Reclassification:
    """The stream's decision for the client's first metrics record, by the real domain code."""
    result = reclassify(
        synthetic.client,
        synthetic.latest,
        initial_threshold(),
        rules.classification(),
        rules.vip(),
        cause=ClassCause.METRICS,
        at=LOADED_AT,
        change_id=synthetic.change_ids[0],
    )
    if result is None:
        raise AssertionError(f"{synthetic.client.client_id} would not be classified")
    return result


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: Decimal | int) -> dict[str, str]:
    return {"N": str(value)}


def _basis(basis: ClassBasis) -> dict[str, Any]:
    return {
        "M": {
            "metrics_year": _n(basis.metrics_year),
            "assets": _n(basis.metrics.assets),
            "avg_assets": _n(basis.metrics.avg_assets),
            "trade_volume": _n(basis.metrics.trade_volume),
            "turnover": _n(basis.turnover),
            "threshold": _n(basis.threshold),
            "threshold_version": _s(basis.threshold_version),
            "rules_version": _s(basis.rules_version),
        }
    }


def _optional(**values: dict[str, Any] | None) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def client_items(synthetic: SyntheticClient) -> Iterator[dict[str, Any]]:
    """The clients-table items of one client after the stream classified it (`create`, then
    `apply_reclassification`: version 2)."""
    client, result = synthetic.client, _classified(synthetic)
    pk = _s(client_table.client_pk(client.client_id))
    profile = {
        "pk": pk,
        "sk": _s(client_table.PROFILE),
        "client_id": _s(client.client_id),
        "name": _s(client.name),
        "id_number": _s(client.id_number),
        "phone": _s(client.phone),
        "branch_id": _s(client.branch_id),
        "manager_id": _s(client.manager_id),
        "opened_on": _s(client.opened_on.isoformat()),
        "created_at": _s(iso(client.created_at)),
        "created_by": _s(client.created_by),
        "client_class": _s(result.client_class),
        "vip": {"BOOL": result.vip},
        "class_basis": _basis(result.basis),
        "version": _n(2),
        # the stamp of the last change (crm.domain.audit): apply_reclassification's
        "changed_by": _s(class_data.SYSTEM_RECLASSIFY),
        "changed_at": _s(iso(result.at)),
        "first_classified_at": _s(iso(result.at)),  # the first class this client was given
        "change_reason": _s(f"reclassified ({result.class_change.cause if result.class_change else 'basis'})"),
        **_optional(
            email=_s(client.email) if client.email else None,
            birthday=_s(client.birthday.isoformat()) if client.birthday else None,
            vip_target_branch=_s(client.branch_id) if result.vip_target else None,
        ),
    }
    if result.turnover_decides:
        profile["turnover_shard"] = _s(str(shard_of(client.client_id, class_data.TURNOVER_SHARDS)))
        profile["turnover"] = _n(result.basis.turnover)
    yield profile
    for record in synthetic.metrics:
        m = record.metrics
        yield {
            "pk": pk,
            "sk": _s(metrics_data.metrics_sk(m.year)),
            "client_id": _s(client.client_id),
            "year": _n(m.year),
            "assets": _n(m.assets),
            "avg_assets": _n(m.avg_assets),
            "trade_volume": _n(m.trade_volume),
            "updated_at": _s(iso(record.updated_at)),
            "updated_by": _s(record.updated_by),
            **_optional(avg_holding_days=_n(record.avg_holding_days) if record.avg_holding_days is not None else None),
        }
    if (change := result.class_change) is not None:
        yield {
            "pk": pk,
            "sk": _s(f"CLASS#{iso(change.at)}#{change.change_id}"),
            "client_id": _s(client.client_id),
            "client_class": _s(change.client_class),
            "cause": _s(change.cause.value),
            "at": _s(iso(change.at)),
            "basis": _basis(change.basis),
            **_optional(previous_class=_s(change.previous_class) if change.previous_class else None),
        }
    if (vip := result.vip_change) is not None:
        yield {
            "pk": pk,
            "sk": _s(f"VIP#{iso(vip.at)}#{vip.change_id}"),
            "client_id": _s(client.client_id),
            "vip": {"BOOL": vip.vip},
            "previous_vip": {"BOOL": vip.previous_vip},
            "cause": _s(vip.cause.value),
            "at": _s(iso(vip.at)),
            **_optional(client_class=_s(vip.client_class) if vip.client_class else None),
        }


def settings_items(clients: Iterable[SyntheticClient]) -> Iterator[dict[str, Any]]:
    """Each client's counted part of each year, and the yearly sums over 8 shards
    (what the reclassification folds into them for every metrics record)."""
    shards: dict[tuple[int, int], list[Decimal]] = {}
    for synthetic in clients:
        client_id = synthetic.client.client_id
        shard = shard_of(client_id, yearly_sums.SHARDS)
        for record in synthetic.metrics:
            m = record.metrics
            yield {
                "pk": _s(f"CONTRIB#{client_id}"),
                "sk": _s(str(m.year)),
                "trade_volume": _n(m.trade_volume),
                "avg_assets": _n(m.avg_assets),
            }
            sums = shards.setdefault((m.year, shard), [Decimal(0), Decimal(0), Decimal(0)])
            sums[0] += m.trade_volume
            sums[1] += m.avg_assets
            sums[2] += 1
    for (year, shard), (volume, assets, count) in sorted(shards.items()):
        yield {
            "pk": _s(f"AGGREGATE#turnover#{year}"),
            "sk": _s(f"SHARD#{shard}"),
            "trade_volume": _n(volume),
            "avg_assets": _n(assets),
            "clients": _n(count),
        }


def seed(backend: DynamoDBBackend, clients: list[SyntheticClient]) -> int:
    """Write the population straight into moto's tables; the number of items written."""
    clients_table = backend.get_table(topology.CLIENTS.local_name)
    settings_table = backend.get_table(topology.SETTINGS.local_name)
    written = 0
    with unswept():
        for synthetic in clients:
            for item in client_items(synthetic):
                put_raw(clients_table, item)
                written += 1
        for item in settings_items(clients):
            put_raw(settings_table, item)
            written += 1
    return written


@contextmanager
def unswept() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects, then freeze
    them out of its sight: with a million live objects its passes would double the time."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


# --- proof that the seeded items are the app's ---------------------------------------------------


def store_through_app(clients: Iterable[SyntheticClient]) -> None:
    """What the API and the stream do for each client: register, put three years of figures,
    then handle the three stream records in order."""
    for synthetic in clients:
        client_data.create(synthetic.client)
        for record in synthetic.metrics:
            metrics_data.put_metrics(record)
        for record, change_id in zip(synthetic.metrics, synthetic.change_ids, strict=True):
            on_metrics_written(
                synthetic.client.client_id, record.metrics.year, at=record.updated_at, change_id=change_id
            )


def sample(clients: list[SyntheticClient]) -> list[SyntheticClient]:
    """One client of each kind: class, moving or not, with and without optional fields."""
    kinds: dict[tuple[Any, ...], SyntheticClient] = {}
    for synthetic in clients:
        kind = (
            synthetic.initial_class,
            synthetic.moves_to,
            synthetic.client.email is None,
            synthetic.metrics[0].avg_holding_days is None,
        )
        kinds.setdefault(kind, synthetic)
    return list(kinds.values())


Snapshot = dict[tuple[str, str, str], dict[str, DynamoType]]


def snapshot(backend: DynamoDBBackend, tables: Iterable[topology.Table]) -> Snapshot:
    """Every item of `tables`, read from moto's memory (not through the API: nothing counted)."""
    items: Snapshot = {}
    for table in tables:
        for item in backend.get_table(table.local_name).all_items():
            items[(table.name, str(item.hash_key.value), str(item.range_key.value if item.range_key else ""))] = dict(
                item.attrs
            )
    return items


def differences(expected: Snapshot, got: Snapshot, limit: int = 10) -> list[str]:
    """Items missing, extra or different (numbers compare by value)."""
    found = [f"missing {key}" for key in expected.keys() - got.keys()]
    found += [f"unexpected {key}" for key in got.keys() - expected.keys()]
    for key in expected.keys() & got.keys():
        want, have = expected[key], got[key]
        if want != have:
            names = sorted(set(want) | set(have))
            detail = {
                n: (want.get(n), have.get(n)) for n in names if n not in want or n not in have or want[n] != have[n]
            }
            found.append(f"{key} differs: {detail}")
    return sorted(found)[:limit]
