"""Benchmark: the items the year-end turnover recalibration touches, against a full scan.

Issue 4 asks that the recalibration of `T` (第6条) read and rewrite only the clients it moves,
found through the sparse `by_turnover` index, because a brokerage has hundreds of thousands of
clients. This measures it on in-process moto with the real code:

- **job**: `recalibrate_turnover_threshold(now)`, exactly as the scheduled function calls it;
- **baseline**: what "scan and rewrite" costs: the same new `T` (same yearly sums, recorded the
  same way), but every client found by a Scan of the clients table and decided by the real
  `reclassify` from its latest metrics; only class (or VIP) changes are written, with the real
  `apply_reclassification`. That is the cheapest full-scan variant (refreshing every client's
  basis would add a write per classified client), so the ratio below is a lower bound.

Both run on identical fresh data (`tests.bench.dataset`) and must leave identical tables and move
the same clients to the same classes as designed.

Why items and not seconds: moto is not DynamoDB. Its Query and Scan cost grows with the table
(TOOLCHAIN.md: ~5 ms at 100 items, ~90 ms at 10k) and its response encoding with every item, while
DynamoDB charges, and scales, by the items (and bytes) each request reads or writes. So the figure
of merit is items read + written, counted where moto answers each request (`tests.bench.counting`;
a Query or Scan counts its ScannedCount), with requests alongside; seconds are printed for
information only.

    python -m tests.bench.recalibration [--clients 100000] [--moving 0.05] [--seed 2027]

Exits 1 when the ratio baseline ÷ job is below 10, or when the two runs disagree.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from time import perf_counter
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.utilities import DynamoJsonEncoder

from crm import rules, topology
from crm.data import settings as settings_data
from crm.data.base import connection
from crm.data.clients import items as client_items
from crm.data.clients import reclassification as class_data
from crm.data.clients import yearly_sums
from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.client import Client
from crm.domain.recalibration import recalibrate, years_to_average
from crm.domain.reclassification import Reclassification, reclassify
from crm.domain.time import beijing
from crm.local import provision
from crm.services.reclassification import current_threshold, recalibrate_turnover_threshold
from tests.bench import dataset, moto_speedups
from tests.bench.counting import ItemCounter, Tally

TARGET_RATIO = 10
TABLES = (topology.CLIENTS, topology.SETTINGS)


# --- the naive baseline -------------------------------------------------------------------------


def full_scan_recalibration(now: datetime) -> tuple[int, int]:
    """Recalibrate by scanning every client: (clients moved, bases a full rewrite would also
    refresh). New `T` and its record exactly as the job; clients decided during the scan and
    written after it."""
    year = beijing(now).year
    classification, vip_rules = rules.classification(), rules.vip()
    figures = yearly_sums.year_figures(years_to_average(year, classification))
    change = recalibrate(year, current_threshold(), figures, classification, at=now)
    settings_data.start_recalibration(change)
    moves: list[tuple[Client, Reclassification]] = []
    refreshed_only = 0
    for client, latest in _every_client():
        result = reclassify(
            client,
            latest,
            change.new,
            classification,
            vip_rules,
            cause=ClassCause.RECALIBRATION,
            at=change.at,
            change_id=f"recalibration-{year}",
        )
        if result is not None and (result.class_change or result.vip_change):
            moves.append((client, result))
        elif result is not None:
            refreshed_only += 1
    for client, result in moves:
        if not class_data.apply_reclassification(client, result):
            raise RuntimeError(f"{client.client_id} changed during the baseline")
    settings_data.finish_recalibration(year, len(moves), now)
    return len(moves), refreshed_only


def _every_client() -> Iterator[tuple[Client, YearMetrics | None]]:
    """Each client with its latest metrics, from one Scan of the whole clients table (a client's
    items are contiguous: one partition)."""
    table = client_items.ProfileItem.Meta.table_name
    profile: client_items.ProfileItem | None = None
    latest: YearMetrics | None = None
    current = None
    start: dict[str, Any] | None = None
    while True:
        request = {"TableName": table, **({"ExclusiveStartKey": start} if start else {})}
        page = connection().dispatch("Scan", request)
        for raw in page.get("Items", []):
            if raw["pk"]["S"] != current:
                if profile is not None:
                    yield client_items.client_from_item(profile), latest
                current, profile, latest = raw["pk"]["S"], None, None
            sk = raw["sk"]["S"]
            if sk == client_items.PROFILE:
                profile = client_items.ProfileItem.from_raw_data(raw)
            elif sk.startswith("METRICS#"):
                metrics = YearMetrics(
                    year=int(raw["year"]["N"]),
                    assets=Decimal(raw["assets"]["N"]),
                    avg_assets=Decimal(raw["avg_assets"]["N"]),
                    trade_volume=Decimal(raw["trade_volume"]["N"]),
                )
                if latest is None or metrics.year > latest.year:
                    latest = metrics
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    if profile is not None:
        yield client_items.client_from_item(profile), latest


# --- running on moto ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    name: str
    tally: Tally
    seconds: float
    moves: dict[str, tuple[str, str]]  # client → (class before, class after), from the history
    fingerprints: dict[tuple[str, str, str], str]  # every item of the tables at the end


def _backend() -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]]


def run(
    name: str,
    clients: list[dataset.SyntheticClient],
    counter: ItemCounter,
    work: Callable[[], str],
    *,
    check_responses: bool = False,
) -> Outcome:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        provision.create_tables(dynamodb)
        started = perf_counter()
        seeded = dataset.seed(_backend(), clients)
        print(f"  {name}: seeded {seeded:,} items in {perf_counter() - started:.1f} s", flush=True)
        if check_responses:
            _check_fast_responses(dynamodb)
        with counter.measuring() as tally:
            started = perf_counter()
            summary = work()
            seconds = perf_counter() - started
        print(f"  {name}: {summary}; {tally.items:,} items in {seconds:.1f} s", flush=True)
        backend = _backend()
        return Outcome(name, tally, seconds, _moves(backend), _fingerprints(backend))


def _check_fast_responses(dynamodb: Any) -> None:
    clients_table = topology.CLIENTS.local_name
    moto_speedups.check_fast_responses(
        lambda: dynamodb.query(
            TableName=clients_table,
            IndexName="by_turnover",
            KeyConditionExpression="turnover_shard = :s AND turnover BETWEEN :low AND :high",
            ExpressionAttributeValues={":s": {"S": "0"}, ":low": {"N": "2.5"}, ":high": {"N": "3"}},
            Limit=3,
        )
    )
    moto_speedups.check_fast_responses(lambda: dynamodb.scan(TableName=clients_table, Limit=7))
    moto_speedups.check_fast_responses(
        lambda: dynamodb.get_item(TableName=clients_table, Key={"pk": {"S": "CLIENT#C0000000"}, "sk": {"S": "PROFILE"}})
    )


def _moves(backend: DynamoDBBackend) -> dict[str, tuple[str, str]]:
    moves = {}
    for item in backend.get_table(topology.CLIENTS.local_name).all_items():
        attrs = item.attrs
        if str(item.range_key.value if item.range_key else "").startswith("CLASS#") and (
            attrs["cause"].value == ClassCause.RECALIBRATION.value
        ):
            moves[attrs["client_id"].value] = (attrs["previous_class"].value, attrs["client_class"].value)
    return moves


def _fingerprints(backend: DynamoDBBackend) -> dict[tuple[str, str, str], str]:
    """One digest per item, so that two runs' end states compare without keeping both in memory."""
    prints = {}
    for table in TABLES:
        for item in backend.get_table(table.local_name).all_items():
            key = (table.name, str(item.hash_key.value), str(item.range_key.value if item.range_key else ""))
            text = json.dumps(item.attrs, cls=DynamoJsonEncoder, sort_keys=True)
            prints[key] = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
    return prints


def verify_seeding(clients: list[dataset.SyntheticClient]) -> list[str]:
    """Store a sample through the app's own code and through `dataset.seed`; the differences."""
    sample = dataset.sample(clients)
    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        dataset.store_through_app(sample)
        via_app = dataset.snapshot(_backend(), TABLES)
    with mock_aws():
        provision.create_tables(boto3.client("dynamodb"))
        dataset.seed(_backend(), sample)
        via_seed = dataset.snapshot(_backend(), TABLES)
    problems = dataset.differences(via_app, via_seed)
    if not problems:
        print(f"  seeded items = the app's own, on {len(sample)} sample clients ({len(via_app)} items)", flush=True)
    return problems


# --- the report ---------------------------------------------------------------------------------


def _row(label: str, job: int | float | str, baseline: int | float | str) -> str:
    def cell(value: int | float | str) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}"
        return f"{value:,}" if isinstance(value, int) else value

    return f"  {label:<32}{cell(job):>16}{cell(baseline):>16}"


def _requests(tally: Tally) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(tally.requests.items()))


def report(
    clients: list[dataset.SyntheticClient], job: Outcome, baseline: Outcome, designed: dict[str, tuple[str, str]]
) -> list[str]:
    """Print the comparison; the problems found (none: the target is met)."""
    ratio = baseline.tally.items / job.tally.items if job.tally.items else float("inf")
    print()
    print(f"Year-end turnover recalibration, {len(clients):,} clients, {len(designed) / len(clients):.1%} moving")
    print(_row("", "job", "full scan"))
    print(_row("requests", sum(job.tally.requests.values()), sum(baseline.tally.requests.values())))
    print(_row("items read", job.tally.items_read, baseline.tally.items_read))
    print(_row("items written", job.tally.items_written, baseline.tally.items_written))
    print(_row("items read + written", job.tally.items, baseline.tally.items))
    print(_row("seconds on moto (informational)", job.seconds, baseline.seconds))
    print(f"  ratio full scan ÷ job: {ratio:.1f}× fewer items (target ≥ {TARGET_RATIO}×)")
    for outcome in (job, baseline):
        print(f"  {outcome.name} requests: {_requests(outcome.tally)}")
    kinds = Counter(f"{before}→{after}" for before, after in job.moves.values())
    print(f"  moves: {len(job.moves):,} clients: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())))

    differing = sorted(
        key
        for key in job.fingerprints.keys() | baseline.fingerprints.keys()
        if job.fingerprints.get(key) != baseline.fingerprints.get(key)
    )
    checks = {
        f"ratio ≥ {TARGET_RATIO}×": ratio >= TARGET_RATIO,
        "both runs moved the same clients to the same classes": job.moves == baseline.moves,
        f"those are the {len(designed):,} moves the data was made for": job.moves == designed,
        f"end states identical ({len(job.fingerprints):,} items)"
        + (f": {len(differing):,} differ, e.g. {differing[:3]}" if differing else ""): not differing,
        "no request failed": job.tally.failed + baseline.tally.failed == 0,
    }
    for check, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {check}")
    return [check for check, passed in checks.items() if not passed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000, help="synthetic clients (default 100000)")
    parser.add_argument("--moving", type=float, default=0.05, help="share of clients that change class")
    parser.add_argument("--seed", type=int, default=2027, help="random seed of the synthetic data")
    args = parser.parse_args(argv)
    now = dataset.RECALIBRATION_AT

    started = perf_counter()
    try:
        clients = dataset.population(args.clients, args.moving, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"  dataset: {len(clients):,} clients built in {perf_counter() - started:.1f} s", flush=True)
    designed = {c.client.client_id: (c.initial_class, c.moves_to) for c in clients if c.moves_to is not None}

    counter = ItemCounter()
    with moto_speedups.installed(), counter.installed():
        problems = verify_seeding(clients)
        if problems:
            print("seeded items differ from the app's:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1

        def job() -> str:
            result = recalibrate_turnover_threshold(now)
            return f"T {result.previous} → {result.new}, {result.candidates:,} candidates, {result.moved:,} moved"

        def baseline() -> str:
            moved, refreshed_only = full_scan_recalibration(now)
            return f"{moved:,} moved ({refreshed_only:,} more bases a full rewrite would refresh)"

        job_outcome = run("job", clients, counter, job, check_responses=True)
        baseline_outcome = run("full scan", clients, counter, baseline)
    problems = report(clients, job_outcome, baseline_outcome, designed)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
