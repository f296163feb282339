"""P7 lookup, overview and work (issue 20): the DynamoDB requests of three read routes a front-end
calls all day, each at two sizes that differ only in what the route must not read.

- `POST /clients/lookup` by ID number and by name prefix, at 10,000 and 100,000 clients: the same
  requests at both (≤ 1.0×) and the same answer — an index query, never a Scan;
- `GET /clients/{id}/overview` of a client with 1 and with 100 records of each kind the overview
  reads: the same requests (≤ 1.0×);
- `GET /work` with N and 10×N of the branch's work items (callback tasks and the deadline clocks of
  inquiries, complaints and prospects), the same items due that day: ≤ 1.2× requests and items read.

    python -m tests.bench.lookup [--smoke]
    python -m tests.bench --only P7 [--smoke]

Each request goes through the real handler (`crm.local.invoke.Invoker`, the function's declared
settings) as an API Gateway proxy event (`tests.bench.warm.Api`), on in-process moto with the
topology's tables, user pool and secrets; DynamoDB requests and items are counted where moto
answers them (`tests.bench.counting`) around that one request, which is warm (the same request
made just before, uncounted). A pair of sizes whose answers differ is an error, not a figure.
How each is measured: tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from time import perf_counter
from typing import Any

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from pynamodb.transactions import TransactWrite

from crm import topology
from crm.data import callbacks as callback_data
from crm.data import clocks as clock_data
from crm.data.base import connection, stamped
from crm.data.clients import person as person_data
from crm.data.clients.items import PROFILE, client_pk, profile_item
from crm.data.clients.metrics import put_metrics
from crm.data.clients.suitability import enable_business
from crm.data.service import owner_pk
from crm.domain.audit import Stamp
from crm.domain.callbacks import CallbackTask, Kind, TaskStatus
from crm.domain.classification import YearMetrics
from crm.domain.client import Client
from crm.domain.client_history.class_changes import MetricsRecord
from crm.domain.pii import id_number_problem
from crm.domain.sla import Clock, ClockKind
from crm.domain.suitability import EnabledBusiness
from crm.domain.time import BEIJING, iso
from crm.local import provision, state
from tests.bench import moto_speedups, roster
from tests.bench.counting import ItemCounter, Tally
from tests.bench.results import Figure
from tests.bench.warm import HQ, NOW, REGION, Api, Caller

SECTION = "P7 read routes"
SAME = 1.0  # "the same at both sizes"
WORK_LIMIT = 1.2


@dataclass(frozen=True)
class Sizes:
    clients: tuple[int, int]  # clients in the table, for the lookups
    overview_records: tuple[int, int]  # records of each kind the overview reads, per client
    work_records: tuple[int, int]  # the branch's work items besides those due


FULL = Sizes(clients=(10_000, 100_000), overview_records=(1, 100), work_records=(1_000, 10_000))
SMOKE = Sizes(clients=(100, 1_000), overview_records=(1, 5), work_records=(50, 500))


def figures(*, smoke: bool) -> list[Figure]:
    sizes = SMOKE if smoke else FULL
    return [figure for part in PARTS.values() for figure in part(sizes)]


# --- shared ---------------------------------------------------------------------------------------


def _backend() -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


@contextmanager
def _moto(counter: ItemCounter) -> Iterator[None]:
    """Fresh in-process AWS: the topology's tables, buckets (the audit archive), user pool and secrets
    (the lookup key among them)."""
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        stack.enter_context(moto_speedups.installed())
        stack.enter_context(counter.installed())
        provision.create_tables(boto3.client("dynamodb", region_name=REGION))
        provision.create_buckets(boto3.client("s3", region_name=REGION))
        provision.create_user_pool(boto3.client("cognito-idp", region_name=REGION))
        provision.create_secrets(boto3.client("secretsmanager", region_name=REGION), state.keys(None))
        yield


@dataclass(frozen=True)
class Counted:
    """One warm request: what it read and wrote, and its answer."""

    tally: Tally
    answer: Any

    @property
    def requests(self) -> int:
        return sum(self.tally.requests.values())

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "operations": dict(sorted(self.tally.requests.items())),
            "items_read": self.tally.items_read,
            "items_written": self.tally.items_written,
        }


def _counted(api: Api, counter: ItemCounter, make: Callable[[], tuple[topology.Function, dict[str, Any]]]) -> Counted:
    """The request made twice (each time a fresh event: a new request id), counted the second
    time: the first loads the function and fills what a warm container keeps (the lookup key)."""
    api.call(*make(), 200)
    with counter.measuring() as tally:
        response = api.call(*make(), 200)
    return Counted(tally, json.loads(response["body"]))


def _same_answers(checks: dict[str, bool], what: str) -> None:
    """The same work at both sizes, or the ratio means nothing: a failed check is an error."""
    failed = [check for check, passed in checks.items() if not passed]
    if failed:
        raise AssertionError(f"{what}: {', '.join(failed)}")


# --- 1. lookup at 10k and 100k clients -------------------------------------------------------------

BRANCHES = 50
LOOKUP_BRANCH = "B07"
COUNTER = Caller("counter", "ctr-b07", LOOKUP_BRANCH)
NAME_PREFIX = "张"
# the clients of the branch whose name begins with it (the same at both sizes); elsewhere 张 is
# one surname in twenty, and the branch's other clients bear others
NAMED = ("张伟", "张敏", "张静", "张丽", "张强", "张磊", "张军", "张洋", "张勇", "张艳", "张杰", "张娟")
SURNAMES = "张王李刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("建国", "秀英", "志强", "桂芳", "海燕", "文博", "子涵", "雨萱", "国华", "春梅")
# the person looked up by ID number: two accounts in the caller's branch, one in another
PERSON_ACCOUNTS = (("P0000001", LOOKUP_BRANCH, date(2019, 3, 1)), ("P0000002", LOOKUP_BRANCH, date(2023, 8, 15)))
PERSON_ELSEWHERE = ("P0000003", "B12", date(2021, 5, 10))
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(born: date, serial: int) -> str:
    """A valid 18-character ID number (GB 11643-1999 check character)."""
    prefix = f"110101{born:%Y%m%d}{serial % 1000:03d}"
    return prefix + "10X98765432"[sum(int(d) * w for d, w in zip(prefix, _WEIGHTS, strict=True)) % 11]


def _valid(clients: list[Client]) -> list[Client]:
    for client in clients:
        problem = id_number_problem(client.id_number)
        if problem:
            raise AssertionError(f"{client.client_id}: the ID number {problem}")
    return clients


def _population_client(n: int) -> Client:
    """The n-th client of the table: a person of its own (ID numbers unique up to 20 million)."""
    branch = f"B{n % BRANCHES:02d}"
    surname = SURNAMES[(n * 7 + n // BRANCHES) % len(SURNAMES)]
    if branch == LOOKUP_BRANCH and surname == NAME_PREFIX:
        surname = "章"  # the branch's 张 are NAMED alone
    born = date(1950, 1, 1) + timedelta(days=n // 1000)
    opened = date(2010, 1, 1) + timedelta(days=n % 5000)
    return Client(
        client_id=f"C{n:07d}",
        name=surname + GIVEN[n % len(GIVEN)],
        id_number=id_number(born, n),
        phone=f"139{n:08d}",
        branch_id=branch,
        manager_id=f"mgr-{branch.lower()}-{n % 5}",
        opened_on=opened,
        created_at=datetime.combine(opened, time(9), tzinfo=BEIJING),
        created_by="seed",
        birthday=born,
    )


def _special_clients() -> tuple[list[Client], list[Client]]:
    """The person's three accounts, and the branch's clients named 张…"""
    born = date(1988, 11, 23)
    person = [
        Client(
            client_id=client_id,
            name="欧阳明",
            id_number=id_number(born, 77),
            phone="13700001234",
            branch_id=branch,
            manager_id=f"mgr-{branch.lower()}-1",
            opened_on=opened,
            created_at=datetime.combine(opened, time(10), tzinfo=BEIJING),
            created_by="seed",
            birthday=born,
        )
        for client_id, branch, opened in (*PERSON_ACCOUNTS, PERSON_ELSEWHERE)
    ]
    named = [
        Client(
            client_id=f"N{k:07d}",
            name=name,
            id_number=id_number(date(1975, 1, 1) + timedelta(days=k), 500 + k),
            phone=f"13600{k:06d}",
            branch_id=LOOKUP_BRANCH,
            manager_id=f"mgr-{LOOKUP_BRANCH.lower()}-{k % 5}",
            opened_on=date(2015, 1, 1) + timedelta(days=40 * k),
            created_at=datetime.combine(date(2015, 1, 1) + timedelta(days=40 * k), time(11), tzinfo=BEIJING),
            created_by="seed",
        )
        for k, name in enumerate(NAMED)
    ]
    return person, named


def registered_items(client: Client) -> list[dict[str, Any]]:
    """The items `crm.data.clients.person.register` writes for a person's first account — its record
    with the lookup keys and its person — built by the same functions; `check_registered` holds
    them to what `register` itself writes."""
    stamp = Stamp(by=client.created_by, reason="client registered", at=client.created_at)
    record = stamped(profile_item(client), stamp)
    for name, value in person_data.lookup_attributes(client).items():
        setattr(record, name, value)
    record.version = 1
    digest = person_data.id_hash(client)
    holder = person_data._person_item(None, digest, person_data.key_information(client), [client.client_id])
    holder = stamped(holder, stamp)
    holder.version = 1
    return [record.serialize(), holder.serialize()]


def _raw(table: str, pk: str, sk: str) -> dict[str, Any]:
    return dict(
        boto3.client("dynamodb", region_name=REGION).get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})[
            "Item"
        ]
    )


def check_registered(clients: list[Client]) -> None:
    """Register `clients` through the data layer (`person_data.register`, as `POST /clients`
    does); the seeder must build exactly the items it wrote."""
    table = topology.CLIENTS.local_name
    for client in clients:
        person_data.register(client, None)
        record, holder = registered_items(client)
        stored = _raw(table, client_pk(client.client_id), PROFILE)
        digest = person_data.id_hash(client)
        stored_holder = _raw(table, person_data.person_pk(digest), person_data.PERSON)
        if (stored, stored_holder) != (record, holder):
            raise AssertionError(
                f"the seeder's items for {client.client_id} differ from register's:\n"
                f"{stored}\n{record}\n{stored_holder}\n{holder}"
            )


def seed_clients(start: int, stop: int) -> int:
    """Clients `start`…`stop - 1` of the population, straight into moto's backend."""
    table = _backend().get_table(topology.CLIENTS.local_name)
    for n in range(start, stop):
        for item in registered_items(_population_client(n)):
            moto_speedups.put_raw(table, item)
    return stop - start


@dataclass
class LookupMeasured:
    clients: int
    by_id: Counted
    by_name: Counted
    seconds: float


def _lookup_requests(api: Api, counter: ItemCounter, clients: int, person: list[Client]) -> LookupMeasured:
    started = perf_counter()
    by_id = _counted(
        api,
        counter,
        lambda: api.event("POST", "/clients/lookup", {"id_number": person[0].id_number}, caller=COUNTER),
    )
    by_name = _counted(
        api, counter, lambda: api.event("POST", "/clients/lookup", {"name": NAME_PREFIX}, caller=COUNTER)
    )
    return LookupMeasured(clients, by_id, by_name, perf_counter() - started)


def lookup_figures(sizes: Sizes) -> list[Figure]:
    small, large = sizes.clients
    counter = ItemCounter()
    started = perf_counter()
    print(f"P7: lookup, {small:,} and {large:,} clients", flush=True)
    with _moto(counter):
        api = Api()
        person, named = _special_clients()
        _valid([*person, *named, _population_client(0), _population_client(large - 1)])
        roster.seed([(COUNTER.user, COUNTER.role, COUNTER.branch)])
        for n, client in enumerate(person):  # one person's accounts, through the data layer
            holder = person_data.get(person_data.id_hash(client)) if n else None
            person_data.register(client, holder)
        check_registered(named[:3])
        table = _backend().get_table(topology.CLIENTS.local_name)
        for client in named[3:]:
            for item in registered_items(client):
                moto_speedups.put_raw(table, item)
        specials = len(person) + len(named)
        seeded = seed_clients(0, small - specials)
        print(f"  {small:,} clients seeded in {perf_counter() - started:.1f} s", flush=True)
        at_small = _lookup_requests(api, counter, small, person)
        seed_clients(seeded, large - specials)
        print(f"  {large:,} clients seeded in {perf_counter() - started:.1f} s", flush=True)
        at_large = _lookup_requests(api, counter, large, person)
        scan_items = _scan_items(counter)
    expected_id = [c.client_id for c in sorted(person[:2], key=lambda c: c.opened_on, reverse=True)]
    expected_names = {c.client_id for c in named}
    found = {
        size.clients: (
            [c["client_id"] for c in size.by_id.answer["items"]],
            [c["client_id"] for c in size.by_name.answer["items"]],
        )
        for size in (at_small, at_large)
    }
    _same_answers(
        {
            "the same answers at both sizes": found[small] == found[large],
            "the person's accounts in scope, newest first": found[large][0] == expected_id,
            f"the branch's clients named {NAME_PREFIX}…": set(found[large][1]) == expected_names,
            "no Scan": not any(m.tally.requests["scan"] for s in (at_small, at_large) for m in (s.by_id, s.by_name)),
            "no failed request": all(m.tally.failed == 0 for s in (at_small, at_large) for m in (s.by_id, s.by_name)),
        },
        "lookup",
    )
    seconds = round(perf_counter() - started, 1)

    def figure(name: str, pick: Callable[[LookupMeasured], Counted], found_count: int) -> Figure:
        small_counted, large_counted = pick(at_small), pick(at_large)
        return Figure(
            section=SECTION,
            name=name,
            value=large_counted.requests,
            baseline=small_counted.requests,
            unit="requests",
            limit=SAME,
            spread=f"{small:,} → {large:,} clients; {found_count} found; items read "
            f"{small_counted.tally.items_read} → {large_counted.tally.items_read}; no Scan",
            detail={
                "clients": [small, large],
                "found": found_count,
                "at_small": small_counted.summary(),
                "at_large": large_counted.summary(),
                "scans": 0,
                "scan_items_at_large": scan_items,
                "seconds": seconds,
            },
        )

    return [
        figure("lookup by ID number: requests", lambda m: m.by_id, len(expected_id)),
        figure("lookup by name prefix: requests", lambda m: m.by_name, len(expected_names)),
    ]


def _scan_items(counter: ItemCounter) -> int:
    """What a Scan of the clients table reads (what a lookup that scanned would read at least)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    with counter.measuring() as tally:
        start = None
        while True:
            kwargs: dict[str, Any] = {"TableName": topology.CLIENTS.local_name, "Select": "COUNT"}
            if start:
                kwargs["ExclusiveStartKey"] = start
            start = dynamodb.scan(**kwargs).get("LastEvaluatedKey")
            if not start:
                break
    return tally.items_read


# --- 2. the overview of a client with 1 and with 100 records of each kind ---------------------------

SUPERVISOR = Caller("supervisor", "sup-b1", "B1")
MANAGER = "mgr-b1-1"
BUSINESSES = ("chinext", "index_futures", "margin", "warrants")  # the catalogue's (suitability.toml)
OTHER_ACCOUNTS = 4  # the person's other fund accounts of the large history: five open at most
PAGE_BYTES = 1_000_000  # what one Query reads at most (DynamoDB's 1 MB; moto's RESULT_SIZE_LIMIT)


def _client_body(client_id: str, person: int, opened_on: date) -> dict[str, Any]:
    """An account of branch B1 held by the `person`-th person (the same key information on each)."""
    born = date(1970, 1, 1) + timedelta(days=person)
    return {
        "client_id": client_id,
        "name": "王芳",
        "id_number": id_number(born, person),
        "phone": f"1350000{person:04d}",
        "email": "wang.fang@example.com",
        "birthday": born.isoformat(),
        "branch_id": "B1",
        "manager_id": MANAGER,
        "opened_on": opened_on.isoformat(),
    }


def _history(api: Api, client_id: str, records: int) -> None:
    """`records` of each kind the overview reads, all but the last of each settled: years of
    figures, inquiries answered, complaints rejected and closed, transfer cases retained, callback
    tasks done; the businesses of the catalogue, up to `records`. Through the handlers where a
    route makes them, through the data layer (its own writes) for figures, businesses and tasks."""
    made = NOW - timedelta(days=1)
    for year in range(2026 - records + 1, 2027):
        year_figures = YearMetrics(
            year=year, assets=Decimal(900_000), avg_assets=Decimal(800_000), trade_volume=Decimal(3_000_000)
        )
        put_metrics(MetricsRecord(client_id=client_id, metrics=year_figures, updated_at=made, updated_by="seed"))
    for business in BUSINESSES[:records]:
        enable_business(EnabledBusiness(client_id, business, f"DISC-{business}", "ctr-b1", made))
    for n in range(records):
        settled = n < records - 1
        inquiry = {"client_id": client_id, "channel": "email", "subject": f"对账单 {n}", "first_responder": MANAGER}
        contact = api.call(*api.event("POST", "/contacts", inquiry), 201)
        if settled:
            contact_id = json.loads(contact["body"])["contact_id"]
            api.call(*api.event("POST", f"/contacts/{contact_id}/reply", {"answer": "已寄出"}), 200)
        complaint = {"client_id": client_id, "channel": "phone", "category": "attitude", "content": f"态度 {n}"}
        filed = json.loads(api.call(*api.event("POST", "/complaints", complaint), 201)["body"])
        if settled:
            number = filed["complaint_no"]
            for move in ("rejected", "closed"):
                api.call(*api.event("POST", f"/complaints/{number}/transitions", {"to": move, "note": "无效"}), 200)
        case = {"client_id": client_id, "kind": "transfer", "reason": "fees"}
        opened = json.loads(api.call(*api.event("POST", "/retention-cases", case), 201)["body"])
        if settled:
            outcome = {"outcome": "retained", "note": "留存"}
            api.call(*api.event("POST", f"/retention-cases/{opened['case_id']}/outcome", outcome), 200)
        task = CallbackTask(
            callback_id=f"PD-{client_id}-{n:03d}",
            kind=Kind.PERIODIC,
            client_id=client_id,
            branch_id="B1",
            manager_id=MANAGER,
            owner=MANAGER,
            due_at=NOW + timedelta(days=n),
            status=TaskStatus.OPEN,
            source=None,
            rules_version="2026.1",
            created_at=made,
        )
        stamped(callback_data.task_item(task), Stamp(by="system:callbacks", reason="callback created", at=made)).save()
        if settled:
            attempt = {"reached": True, "attitude": "satisfied", "score": 9}
            api.call(*api.event("POST", f"/callbacks/{task.callback_id}/attempts", attempt), 200)


def _by_client_bytes(client_id: str) -> dict[str, int]:
    """The size (DynamoDB's item size, as moto measures it) of what the overview's queries by client
    read: the service table's `by_client` partition and the callbacks table's."""
    sizes: dict[str, int] = {}
    for table_name, index in ((topology.SERVICE.local_name, "listed_at"), (topology.CALLBACKS.local_name, "due_key")):
        table = _backend().get_table(table_name)
        sizes[table_name] = sum(
            item.size()
            for partition in table.items.values()
            for item in partition.values()
            if item.attrs.get("client_id") is not None
            and item.attrs["client_id"].value == client_id
            and index in item.attrs
        )
    return sizes


@dataclass
class OverviewMeasured:
    records: int
    client_id: str
    counted: Counted
    by_client_bytes: dict[str, int] = field(default_factory=dict)


def overview_figures(sizes: Sizes) -> list[Figure]:
    small, large = sizes.overview_records
    counter = ItemCounter()
    started = perf_counter()
    print(f"P7: overview, {small} and {large} records of each kind", flush=True)
    measured: list[OverviewMeasured] = []
    with _moto(counter):
        api = Api()
        calendar = {"holidays": ["2026-05-01", "2026-05-04", "2026-05-05"], "workdays": ["2026-05-09"]}
        api.call(*api.event("PUT", "/calendar/2026", calendar, caller=HQ), 200)
        roster.seed([(MANAGER, "manager", "B1"), (SUPERVISOR.user, SUPERVISOR.role, "B1"), ("ctr-b1", "counter", "B1")])
        for records in (small, large):
            client_id = f"V{records:06d}"
            others = 1 if records == small else OTHER_ACCOUNTS
            for k, account in enumerate([client_id, *(f"{client_id}-{m}" for m in range(others))]):
                body = _client_body(account, records, date(2015 + k, 3, 1))
                api.call(*api.event("POST", "/clients", body), 201)
            _history(api, client_id, records)
            counted = _counted(api, counter, partial(api.event, "GET", f"/clients/{client_id}/overview"))
            measured.append(OverviewMeasured(records, client_id, counted, _by_client_bytes(client_id)))
            print(
                f"  {records} of each kind: {counted.requests} requests, {counted.tally.items_read} items read",
                flush=True,
            )
    at_small, at_large = measured
    checks: dict[str, bool] = {}
    for size in measured:
        seen = size.counted.answer
        kinds = {
            "metrics": (seen["metrics"] or {}).get("year") == 2026,
            "businesses": len(seen["businesses"]) == min(size.records, len(BUSINESSES)),
            "open_complaints": len(seen["open_complaints"]) == 1,
            "open_callbacks": len(seen["open_callbacks"]) == 1,
            "open_contacts": len(seen["open_contacts"]) == 1,
            "retention_case": seen["retention_case"] is not None,
            "same_person": len(seen["same_person"]) == (1 if size.records == small else OTHER_ACCOUNTS),
        }
        checks |= {f"{kind} at {size.records}": held for kind, held in kinds.items()}
        checks[f"no failed request at {size.records}"] = size.counted.tally.failed == 0
        checks[f"no Scan at {size.records}"] = size.counted.tally.requests["scan"] == 0
    _same_answers(checks, "overview")
    # each query by client reads up to 1 MB a page: how many records of each kind one page holds
    service_bytes = at_large.by_client_bytes[topology.SERVICE.local_name] / large  # an inquiry, complaint and case
    task_bytes = at_large.by_client_bytes[topology.CALLBACKS.local_name] / large
    per_page = int(PAGE_BYTES / max(service_bytes, task_bytes))
    return [
        Figure(
            section=SECTION,
            name="overview: requests",
            value=at_large.counted.requests,
            baseline=at_small.counted.requests,
            unit="requests",
            limit=SAME,
            spread=f"{small} → {large} records of each kind; items read {at_small.counted.tally.items_read} → "
            f"{at_large.counted.tally.items_read}",
            detail={
                "records_of_each_kind": [small, large],
                "at_small": at_small.counted.summary(),
                "at_large": at_large.counted.summary(),
                "by_client_bytes_at_large": at_large.by_client_bytes,
                "bytes_of_each_kind": {"inquiry_complaint_case": round(service_bytes), "task": round(task_bytes)},
                "records_of_each_kind_in_one_page": per_page,
                "seconds": round(perf_counter() - started, 1),
            },
        )
    ]


# --- 3. GET /work with N and 10×N of the branch's work items, the same due ---------------------------

WORK_MANAGER = Caller("manager", MANAGER, "B1")
DAY = NOW.date()  # the day asked for, and the request's day (overdue: due before the request)
CREATED = Stamp(by="system:callbacks", reason="callback created", at=NOW - timedelta(days=120))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING)


def _task(callback_id: str, owner: str | None, due_at: datetime) -> CallbackTask:
    return CallbackTask(
        callback_id=callback_id,
        kind=Kind.PERIODIC if owner and owner.startswith("mgr-") else Kind.NEW_ACCOUNT,
        client_id=f"C{zlib.crc32(callback_id.encode()) % 10_000:07d}",
        branch_id="B1",
        manager_id=MANAGER,
        owner=owner,
        due_at=due_at,
        status=TaskStatus.OPEN,
        source=None,
        rules_version="2026.1",
        created_at=CREATED.at,
    )


def _clock(kind: ClockKind, owner_id: str, assignee: str | None, due_at: datetime) -> Clock:
    return Clock(
        owner_type=kind.value.split("_")[0],  # contact, complaint or prospect
        owner_id=owner_id,
        kind=kind,
        branch_id="B1",
        started_at=due_at - timedelta(days=3),
        due_at=due_at,
        provisional=False,
        unknown_years=frozenset(),
        assignee=assignee,
        manager_id=MANAGER,
    )


def _client_of(owner_id: str) -> str | None:
    return None if owner_id.startswith("PR") else f"C{zlib.crc32(owner_id.encode()) % 10_000:07d}"


def raw_task(task: CallbackTask) -> dict[str, Any]:
    """A task as the data layer leaves it: created (`create_task`: the stamped item, version 1), or
    finished (`change` to its done state: version 2)."""
    if task.is_open:
        item = stamped(callback_data.task_item(task), CREATED)
        item.version = 1
    else:
        item = stamped(
            callback_data.task_item(task), Stamp(by=MANAGER, reason="callback done", at=task.finished_at or NOW)
        )
        item.version = 2
    return dict(item.serialize())


def raw_clock(clock: Clock) -> dict[str, Any]:
    """A clock as the data layer leaves it: started (`clock_item`, version 1), or stopped (what
    `crm.data.clocks.stop` sets and removes: met, out of the open and work indexes; version 2)."""
    item = clock_data.clock_item(clock, _started(clock), client_id=_client_of(clock.owner_id))
    item.version = 1
    if clock.met_at is not None:
        item.met_at = iso(clock.met_at)  # what `stop` sets and removes
        item.open_clock = item.due_key = item.work_owner = item.work_due = None
        stamped(item, _stopped(clock))
        item.version = 2
    return dict(item.serialize())


def _started(clock: Clock) -> Stamp:
    return Stamp(by=clock.assignee or "system", reason="deadline started", at=clock.started_at)


def _stopped(clock: Clock) -> Stamp:
    return Stamp(by=clock.assignee or SUPERVISOR.user, reason="answered", at=clock.met_at or NOW)


def check_work_items() -> None:
    """The seeder's finished task and stopped clock are what the data layer's own writes leave."""
    task = _task("CHECK-TASK", MANAGER, _at(DAY, 9))
    stamped(callback_data.task_item(task), CREATED).save()
    done = replace(task, status=TaskStatus.DONE, attempts=1, finished_at=_at(DAY, 8), score=9)
    callback_data.change(replace(task, version=1), done, Stamp(by=MANAGER, reason="callback done", at=_at(DAY, 8)))
    stored = _raw(topology.CALLBACKS.local_name, callback_data.task_pk(task.callback_id), callback_data.TASK)
    if stored != raw_task(done):
        raise AssertionError(f"the seeder's finished task differs from the data layer's:\n{stored}\n{raw_task(done)}")
    clock = _clock(ClockKind.CONTACT_REPLY, "CHECK-CONTACT", MANAGER, _at(DAY, 18))
    clock_data.clock_item(clock, _started(clock), client_id=_client_of(clock.owner_id)).save()
    stopped = replace(clock, met_at=_at(DAY, 8))
    with TransactWrite(connection=connection()) as transaction:
        clock_data.stop(transaction, replace(clock, version=1), _at(DAY, 8), _stopped(stopped))
    stored = _raw(topology.SERVICE.local_name, owner_pk("contact", clock.owner_id), clock_data.clock_sk(clock.kind))
    if stored != raw_clock(stopped):
        raise AssertionError(
            f"the seeder's stopped clock differs from the data layer's:\n{stored}\n{raw_clock(stopped)}"
        )


def due_work() -> tuple[list[CallbackTask], list[Clock]]:
    """What is due on DAY (or overdue) for the manager, the supervisor and the branch's pool: the
    same at both sizes."""
    tasks = [
        _task("DUE-T1", MANAGER, _at(DAY, 15)),
        _task("DUE-T2", MANAGER, _at(DAY - timedelta(days=8), 10)),  # overdue
        _task("DUE-T3", SUPERVISOR.user, _at(DAY, 17)),
        _task("DUE-T4", None, _at(DAY, 12)),  # the branch's pool
        _task("DUE-T5", None, _at(DAY - timedelta(days=6), 16)),
    ]
    clocks = [
        _clock(ClockKind.CONTACT_REPLY, "DUE-K1", MANAGER, _at(DAY, 23, 59)),
        _clock(ClockKind.CONTACT_FOLLOW_UP, "DUE-K2", MANAGER, _at(DAY - timedelta(days=1), 23, 59)),
        _clock(ClockKind.COMPLAINT_INVESTIGATE, "DUE-TS1", None, _at(DAY, 23, 59)),
        _clock(ClockKind.COMPLAINT_REPLY, "DUE-TS2", None, _at(DAY - timedelta(days=7), 23, 59)),
        _clock(ClockKind.PROSPECT_FOLLOW_UP, "PRDUE-1", MANAGER, _at(DAY - timedelta(days=6), 23, 59)),
    ]
    return tasks, clocks


GROWTH_OWNERS = (MANAGER, SUPERVISOR.user, None, "mgr-b1-2", "mgr-b1-3", "ctr-b1")


def growth(n: int) -> tuple[list[CallbackTask], list[Clock]]:
    """The n-th work item of the branch that is not due on DAY: open and due later, or finished
    (due any time around it); a callback task, an inquiry's reply clock, a complaint's two clocks or
    a prospect's follow-up, owned by the manager, the supervisor, the pool or another of the branch."""
    kind, rest = n % 4, n // 4  # every kind with every owner, open and finished
    owner = GROWTH_OWNERS[rest % len(GROWTH_OWNERS)]
    finished = (rest // len(GROWTH_OWNERS)) % 2 == 1
    due = (
        _at(DAY + timedelta(days=1 + n % 60), 9 + n % 9)
        if not finished
        else _at(DAY - timedelta(days=90 - n % 120), 11)
    )
    tasks: list[CallbackTask] = []
    clocks: list[Clock] = []
    if kind == 0:
        task = _task(f"G-T{n:06d}", owner, due)
        if finished:
            task = replace(task, status=TaskStatus.DONE, attempts=1, finished_at=due - timedelta(hours=2), score=8)
        tasks.append(task)
    elif kind == 1:
        clocks.append(_clock(ClockKind.CONTACT_REPLY, f"G-K{n:06d}", owner if owner != SUPERVISOR.user else None, due))
    elif kind == 2:
        clocks += [
            _clock(ClockKind.COMPLAINT_INVESTIGATE, f"G-TS{n:06d}", None, due),
            _clock(ClockKind.COMPLAINT_REPLY, f"G-TS{n:06d}", None, due + timedelta(days=5)),
        ]
    else:
        clocks.append(_clock(ClockKind.PROSPECT_FOLLOW_UP, f"PR{n:06d}", owner or "mgr-b1-2", due))
    if finished:
        clocks = [replace(clock, met_at=clock.due_at - timedelta(hours=3)) for clock in clocks]
    return tasks, clocks


def seed_work(tasks: list[CallbackTask], clocks: list[Clock]) -> int:
    callbacks_table = _backend().get_table(topology.CALLBACKS.local_name)
    service_table = _backend().get_table(topology.SERVICE.local_name)
    for task in tasks:
        moto_speedups.put_raw(callbacks_table, raw_task(task))
    for clock in clocks:
        moto_speedups.put_raw(service_table, raw_clock(clock))
    return len(tasks) + len(clocks)


def seed_growth(start: int, stop: int) -> int:
    written = 0
    for n in range(start, stop):
        written += seed_work(*growth(n))
    return written


@dataclass
class WorkMeasured:
    records: int
    items: int  # in the callbacks and service tables
    by_caller: dict[str, Counted]


def _work_requests(api: Api, counter: ItemCounter, records: int, items: int) -> WorkMeasured:
    by_caller = {
        caller.role: _counted(api, counter, partial(api.event, "GET", "/work", query=f"date={DAY}", caller=caller))
        for caller in (SUPERVISOR, WORK_MANAGER)
    }
    return WorkMeasured(records, items, by_caller)


def work_figures(sizes: Sizes) -> list[Figure]:
    small, large = sizes.work_records
    counter = ItemCounter()
    started = perf_counter()
    print(f"P7: work, {small:,} and {large:,} of the branch's work items besides those due", flush=True)
    with _moto(counter):
        api = Api()
        calendar = {"holidays": ["2026-05-01", "2026-05-04", "2026-05-05"], "workdays": ["2026-05-09"]}
        api.call(*api.event("PUT", "/calendar/2026", calendar, caller=HQ), 200)
        check_work_items()
        tasks, clocks = due_work()
        items = seed_work(tasks, clocks) + seed_growth(0, small)
        at_small = _work_requests(api, counter, small, items)
        items += seed_growth(small, large)
        print(f"  seeded in {perf_counter() - started:.1f} s", flush=True)
        at_large = _work_requests(api, counter, large, items)
    expected = {
        "supervisor": {t.callback_id for t in tasks if t.owner in (SUPERVISOR.user, None)}
        | {c.owner_id for c in clocks if c.assignee is None},
        "manager": {t.callback_id for t in tasks if t.owner == MANAGER}
        | {c.owner_id for c in clocks if c.assignee == MANAGER},
    }
    checks: dict[str, bool] = {}
    for role, wanted in expected.items():
        small_items, large_items = (m.by_caller[role].answer["items"] for m in (at_small, at_large))
        checks[f"{role}: the same items at both sizes"] = small_items == large_items
        got = {w["id"] for w in large_items if w["kind"] != "work_log_missing"}
        checks[f"{role}: the items due"] = got == wanted
        for m in (at_small, at_large):
            checks[f"{role}: no Scan, no failure at {m.records}"] = (
                m.by_caller[role].tally.requests["scan"] == 0 and m.by_caller[role].tally.failed == 0
            )
    _same_answers(checks, "work")
    seconds = round(perf_counter() - started, 1)
    result = []
    for role in ("supervisor", "manager"):
        s, g = at_small.by_caller[role], at_large.by_caller[role]
        due = len(g.answer["items"])
        detail = {
            "records": [small, large],
            "table_items": [at_small.items, at_large.items],
            "items_due": due,
            "at_small": s.summary(),
            "at_large": g.summary(),
            "seconds": seconds,
        }
        spread = f"{small:,} → {large:,} work items, {due} due"
        result += [
            Figure(
                SECTION,
                f"work ({role}): requests",
                g.requests,
                "requests",
                WORK_LIMIT,
                baseline=s.requests,
                spread=spread,
                detail=detail,
            ),
            Figure(
                SECTION,
                f"work ({role}): items read",
                g.tally.items_read,
                "items",
                WORK_LIMIT,
                baseline=s.tally.items_read,
                spread=spread,
            ),
        ]
    return result


def _quiet(part: Callable[[Sizes], list[Figure]]) -> Callable[[Sizes], list[Figure]]:
    """Powertools' metrics decorator warns on every request that published no metric: noise here."""

    def measured(sizes: Sizes) -> list[Figure]:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
            return part(sizes)

    return measured


PARTS = {"lookup": _quiet(lookup_figures), "overview": _quiet(overview_figures), "work": _quiet(work_figures)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes; targets not enforced")
    parser.add_argument("--only", default="lookup,overview,work", help="comma-separated, of lookup, overview, work")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    measured = [figure for name in args.only.split(",") for figure in PARTS[name.strip()](sizes)]
    for item in measured:
        print(item.line(), flush=True)
    return 0 if args.smoke or all(item.holds for item in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
