"""Fault injection on the stream handlers, counted against a ground truth (issue 5, item 4).

Each test breaks a step on purpose — DynamoDB throttling, conditional-check races, a crash after
partial work, a poison record — runs the real handlers through the stream pump until every
stream is drained (the pump retries, bisects and dead-letters as Lambda's event source mapping
does), then counts what the system holds against what the test put in:

- lost: an expected effect that is missing (a class change, a history entry, an audit entry or
  its archived copy, part of a yearly sum, a breach record, an event), or a record dead-lettered
  that should not be (or not dead-lettered that should);
- duplicated: an effect that is there more often than it happened (a second history entry,
  a figure folded in twice, a second audit entry or event for one change).

Every test prints one report line (`pytest -s`) and asserts lost = 0 and duplicated = 0.

Faults are deterministic: a seeded generator decides which calls fail, and a per-batch budget
keeps injected failures within what the mapping's bounded retries absorb (the pump does not
reset the retry count when a partial failure moves the checkpoint; beyond the budget a batch
is dead-lettered by design, which is the poison-record test's subject, not a lost update).
Everything is patched through `monkeypatch` and restored after each test.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard

from crm import topology
from crm.data import callbacks as callback_data
from crm.data import clocks as clock_data
from crm.data import samples as sample_data
from crm.data.clients import yearly_sums
from crm.local.invoke import Invoker
from crm.local.jobs import trigger
from crm.local.pump import StreamPump
from crm.services import audit as audit_service
from tests.integration.harness import CLASS_FIGURES, Harness, new_client, stream_arn

HQ = ("hq", "hq-1", None)

# --- ground truth ---------------------------------------------------------------------------

CLASSES = list(CLASS_FIGURES)
VIP_CLASSES = frozenset({"A+", "B+", "A", "B"})  # vip.toml: assets of at least 1,000,000


def figures(index: int, client_class: str) -> tuple[int, int, int]:
    """The figures of `client_class`, made distinct per client (so sums catch a double fold)."""
    assets, avg_assets, volume = CLASS_FIGURES[client_class]
    return assets + 7 * index, avg_assets + 3 * index, volume + 11 * index if volume else 0


@dataclass
class Put:
    client_id: str
    year: int
    client_class: str  # what these figures give
    assets: int
    avg_assets: int
    trade_volume: int


def transitions(states: Iterable[Any], start: Any = None) -> Counter[tuple[Any, Any]]:
    """The changes a sequence of states makes (a repeated state is no change)."""
    found: Counter[tuple[Any, Any]] = Counter()
    previous = start
    for state in states:
        if state != previous:
            found[(previous, state)] += 1
        previous = state
    return found


@dataclass
class Tally:
    """Lost and duplicated effects, counted against the ground truth."""

    scenario: str
    lost: int = 0
    duplicated: int = 0
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def compare(self, what: str, expected: Counter[Any], actual: Counter[Any]) -> None:
        missing, extra = expected - actual, actual - expected
        self.checked += sum(expected.values())
        self.lost += sum(missing.values())
        self.duplicated += sum(extra.values())
        if missing:
            self.problems.append(f"{what}: lost {dict(missing)}")
        if extra:
            self.problems.append(f"{what}: duplicated {dict(extra)}")

    def same(self, what: str, expected: Any, actual: Any) -> None:
        """A value that must be exactly right; too little is lost, too much duplicated."""
        self.checked += 1
        if expected == actual:
            return
        try:
            too_much = actual is not None and expected is not None and actual > expected
        except TypeError:
            too_much = False
        if too_much:
            self.duplicated += 1
        else:
            self.lost += 1
        self.problems.append(f"{what}: expected {expected!r}, found {actual!r}")

    def report(self, started: float) -> None:
        extras = " ".join(f"{k}={v}" for k, v in self.notes.items())
        print(
            f"\n[fault-injection] {self.scenario}: lost={self.lost} duplicated={self.duplicated} "
            f"checked={self.checked} {extras} runtime={time.monotonic() - started:.1f}s"
        )

    def assert_clean(self, started: float) -> None:
        self.report(started)
        assert (self.lost, self.duplicated) == (0, 0), "\n".join(self.problems)


# --- fault plan -----------------------------------------------------------------------------


class InjectedCrash(RuntimeError):
    """The function dies here (the runtime is killed, a timeout, an out-of-memory)."""


_local = threading.local()


def _running() -> list[tuple[str, int, dict[str, Any]]]:
    """The invocations running on this thread, innermost last: (function, container, event)."""
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def current_function() -> str | None:
    stack = _running()
    return stack[-1][0] if stack else None


def current_container() -> int:
    stack = _running()
    return stack[-1][1] if stack else 0


def current_records() -> list[dict[str, Any]]:
    """The stream records of the invocation running on this thread."""
    stack = _running()
    return list(stack[-1][2].get("Records", [])) if stack else []


class FaultPlan:
    """Decides, deterministically, which opportunities for a fault become one.

    At most `per_invocation` faults in one invocation and `per_batch` in one delivered batch:
    with `per_batch` <= the mapping's `retry_attempts` (3), every part of a batch, bisected or
    not, has an attempt left that succeeds.
    """

    def __init__(self, *, seed: int, rate: float, per_invocation: int = 1, per_batch: int = 2) -> None:
        self.rng = random.Random(seed)
        self.rate = rate
        self.per_invocation = per_invocation
        self.per_batch = per_batch
        self._in_invocation = 0
        self._in_batch = 0
        self.injected: Counter[str] = Counter()

    def batch_started(self) -> None:
        self._in_batch = 0

    def invocation_started(self, stream: bool) -> None:
        self._in_invocation = 0
        if not stream:  # a scheduled job or an API call: its own budget
            self._in_batch = 0

    def allow(self, label: str, *, rate: float | None = None) -> bool:
        if self._in_invocation >= self.per_invocation or self._in_batch >= self.per_batch:
            return False
        if self.rng.random() >= (self.rate if rate is None else rate):
            return False
        self._in_invocation += 1
        self._in_batch += 1
        self.injected[label] += 1
        return True


@pytest.fixture
def plan_hooks(monkeypatch: pytest.MonkeyPatch) -> Callable[[FaultPlan], None]:
    """Tell a fault plan where invocations and delivered batches begin (and which function runs)."""
    plans: list[FaultPlan] = []
    original_invoke, original_deliver = Invoker.invoke, StreamPump._deliver

    def invoke(self: Invoker, function: topology.Function, event: dict[str, Any]) -> Any:
        stream = "Records" in event
        for plan in plans:
            plan.invocation_started(stream)
        _running().append((function.name, getattr(self, "container", 1), event))
        try:
            return original_invoke(self, function, event)
        finally:
            _running().pop()

    def deliver(self: StreamPump, shard_id: str, records: list[dict[str, Any]]) -> None:
        for plan in plans:
            plan.batch_started()
        original_deliver(self, shard_id, records)

    monkeypatch.setattr(Invoker, "invoke", invoke)
    monkeypatch.setattr(StreamPump, "_deliver", deliver)
    return plans.append


def throttling_error(operation: str, code: str, params: dict[str, Any]) -> ClientError:
    """What DynamoDB answers when capacity runs out (after the SDK's own retries gave up).

    A transaction is refused as a whole with TransactionCanceledException and a ThrottlingError
    cancellation reason (TransactWriteItems API reference); single-item calls get
    ProvisionedThroughputExceededException or ThrottlingException.
    """
    if code == "TransactionCanceledException":
        reasons: list[dict[str, str]] = [{"Code": "None"} for _ in params.get("TransactItems", [None])]
        reasons[0] = {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table."}
        message = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]".format(
            ", ".join(r["Code"] for r in reasons)
        )
        response: dict[str, Any] = {"Error": {"Code": code, "Message": message}, "CancellationReasons": reasons}
    else:
        response = {"Error": {"Code": code, "Message": "The level of configured provisioned throughput was exceeded."}}
    response["ResponseMetadata"] = {"HTTPStatusCode": 400, "HTTPHeaders": {"x-amzn-requestid": "injected"}}
    return ClientError(response, operation)  # type: ignore[arg-type]


SINGLE_ITEM_CODES = ("ProvisionedThroughputExceededException", "ThrottlingException")
TRANSACTION_CODES = ("ThrottlingException", "TransactionCanceledException")


@dataclass
class Throttle:
    """DynamoDB calls made by `functions` fail with throttling errors, as `plan` decides."""

    plan: FaultPlan
    functions: frozenset[str]
    operations: frozenset[str] | None = None  # None: every operation
    transaction_codes: tuple[str, ...] = TRANSACTION_CODES
    rate: float | None = None
    exempt: Callable[[str, int], bool] = lambda operation, container: False
    codes: Counter[str] = field(default_factory=Counter)  # the errors it raised

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = BaseClient._make_api_call
        throttle = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            function = current_function()
            if (
                function in throttle.functions
                and client.meta.service_model.service_name == "dynamodb"
                and (throttle.operations is None or operation in throttle.operations)
                and not throttle.exempt(operation, current_container())
                and throttle.plan.allow(f"{function}:{operation}", rate=throttle.rate)
            ):
                codes = throttle.transaction_codes if operation == "TransactWriteItems" else SINGLE_ITEM_CODES
                code = throttle.plan.rng.choice(codes)
                throttle.codes[code] += 1
                raise throttling_error(operation, code, params)
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)


def crash_once(
    monkeypatch: pytest.MonkeyPatch,
    plan: FaultPlan,
    owner: Any,
    name: str,
    *,
    key: Callable[..., Any],
    after: bool,
    label: str,
    only: Callable[[Any], bool] = lambda _: True,
) -> None:
    """`owner.name` crashes once per key (for the keys `only` picks) — before doing its work, or
    after it (the work is done, the caller never learns it) — as far as the plan's budget allows."""
    original = getattr(owner, name)
    crashed: set[Any] = set()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        k = key(*args, **kwargs)
        crash = k not in crashed and only(k) and current_container() == 1 and plan.allow(label)
        if crash:
            crashed.add(k)
            if not after:
                raise InjectedCrash(f"{label} before its write ({k})")
        result = original(*args, **kwargs)
        if crash:
            raise InjectedCrash(f"{label} after its write ({k})")
        return result

    monkeypatch.setattr(owner, name, wrapper)


class SecondContainer(Invoker):
    """Another warm container of the same functions: its own copy of each handler module
    (its own BatchProcessor and batch state), so it can run while the first is mid-record."""

    def __init__(self, container: int = 2) -> None:
        super().__init__()
        self.container = container

    def load(self, function: topology.Function) -> ModuleType:
        origin = importlib.util.find_spec(function.module)
        assert origin is not None
        assert origin.origin is not None
        spec = importlib.util.spec_from_file_location(f"{function.module}__container{self.container}", origin.origin)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def observe_conflicts(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str | None, int]]:
    """Count the transactions DynamoDB cancelled (a condition failed), per (function, container)."""
    seen: Counter[tuple[str | None, int]] = Counter()
    original = BaseClient._make_api_call

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        try:
            return original(client, operation, params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                seen[(current_function(), current_container())] += 1
            raise

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return seen


# --- driving and reading --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def one_stream_across_rollbacks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's cancelled transactions keep the table's one stream, as DynamoDB does.

    moto rolls a cancelled TransactWriteItems back by putting deep copies of the tables it
    touched in their place, stream shard included. The pump copes (it asks for a fresh iterator
    after its last record on every poll: `test_a_cancelled_transaction_does_not_stall_the_local_
    stream_pump`), but records a handler wrote inside the cancelled transaction's window could
    still be read from the orphan. Here the live shard is put back after the rollback, cut to the
    records it had before the transaction. The backup
    copies only the list of the shard's records (a record never changes once appended) instead
    of deep-copying the whole stream on every transaction.
    """
    if getattr(request.function, "moto_rollback_as_is", False):
        return

    def deepcopy_shard(shard: StreamShard, memo: dict[int, Any]) -> StreamShard:
        clone = StreamShard.__new__(StreamShard)
        memo[id(shard)] = clone
        for name, value in shard.__dict__.items():
            clone.__dict__[name] = list(value) if name == "items" else copy.deepcopy(value, memo)
        return clone

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        live = {
            name: (table, table.stream_shard, len(table.stream_shard.items))
            for name, table in backend.tables.items()
            if table.stream_shard is not None
        }
        try:
            original(backend, transact_items)
        except Exception:
            for name, (table, shard, length) in live.items():
                restored = backend.tables.get(name)
                if restored is not None and restored is not table:
                    del shard.items[length:]
                    restored.stream_shard = shard
                    shard.table = restored
            raise

    monkeypatch.setattr(StreamShard, "__deepcopy__", deepcopy_shard, raising=False)
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)


def settle(pumps: Iterable[StreamPump], max_rounds: int = 60) -> None:
    """Poll every pump until a whole round finds nothing (a handler's writes feed other pumps)."""
    pumps = list(pumps)
    for _ in range(max_rounds):
        busy = False
        for pump in pumps:
            while pump.poll_once():
                busy = True
        if not busy:
            return
    raise AssertionError("the streams did not settle")


def extra_pump(harness: Harness, name: str, invoker: Invoker) -> StreamPump:
    """A second event source mapping on the same stream for the same function."""
    function_name, table_name = name.split(":")
    function = topology.function(function_name)
    source = next(s for s in function.streams if s.table.name == table_name)
    return StreamPump(
        function,
        source,
        streams=harness.clients["dynamodbstreams"],
        sqs=harness.clients["sqs"],
        stream_arn=stream_arn(harness.clients["dynamodb"], source.table),
        failure_queue_url=harness.queues[function_name],
        invoker=invoker,
    )


_deserialize = TypeDeserializer().deserialize


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserialize(v) for k, v in item.items()}


def query(harness: Harness, table: topology.Table, key: str, value: str, prefix: str | None = None) -> list[dict]:
    dynamodb = harness.clients["dynamodb"]
    expression, values = "#k = :v", {":v": {"S": value}}
    if prefix is not None:
        expression += " AND begins_with(sk, :p)"
        values[":p"] = {"S": prefix}
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table.local_name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.query(**kwargs)
        found += [_plain(i) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def scan(harness: Harness, table: topology.Table) -> list[dict[str, Any]]:
    dynamodb = harness.clients["dynamodb"]
    found: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {"TableName": table.local_name, "ConsistentRead": True}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kwargs)
        found += [_plain(i) for i in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def profile(harness: Harness, client_id: str) -> dict[str, Any]:
    return next(i for i in query(harness, topology.CLIENTS, "pk", f"CLIENT#{client_id}") if i["sk"] == "PROFILE")


def audit_entries(harness: Harness, client_id: str) -> list[dict[str, Any]]:
    """A client's audit trail, its JSON fields decoded."""
    entries = query(harness, topology.AUDIT, "subject", f"CLIENT#{client_id}")
    for entry in entries:
        for name in ("record_key", "before", "after"):
            entry[name] = json.loads(entry[name])
    return entries


def archived_entries(harness: Harness) -> Counter[tuple[str, str]]:
    """Every entry in every version of every object of the audit archive."""
    s3, bucket = harness.clients["s3"], topology.AUDIT_ARCHIVE.local_name
    found: Counter[tuple[str, str]] = Counter()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            for line in body.decode("utf-8").splitlines():
                entry = json.loads(line)
                found[(entry["subject"], entry["entry"])] += 1
    return found


def register(harness: Harness, client_ids: Iterable[str]) -> None:
    for client_id in client_ids:
        response = harness.call("POST", "/clients", new_client(client_id))
        assert response.status == 201, response.body


def put_metrics(harness: Harness, put: Put) -> None:
    body = f'{{"assets": {put.assets}, "avg_assets": {put.avg_assets}, "trade_volume": {put.trade_volume}}}'
    response = harness.call("PUT", f"/clients/{put.client_id}/metrics/{put.year}", raw=body.encode())
    assert response.status == 200, response.body


# --- counting -------------------------------------------------------------------------------


def count_reclassification(harness: Harness, tally: Tally, puts: list[Put], class_states: dict[str, list[str]]) -> None:
    """Classes, class and VIP history, audit entries and the company's yearly sums, against
    what was put. `class_states`: per client, the classes it went through, in order."""
    for client_id, states in class_states.items():
        stored = profile(harness, client_id)
        tally.same(f"{client_id} class", states[-1], stored.get("client_class"))
        tally.same(f"{client_id} vip", states[-1] in VIP_CLASSES, bool(stored.get("vip")))
        expected = transitions(states)
        history = query(harness, topology.CLIENTS, "pk", f"CLIENT#{client_id}", "CLASS#")
        tally.compare(
            f"{client_id} class history",
            expected,
            Counter((h.get("previous_class"), h["client_class"]) for h in history),
        )
        vip_history = query(harness, topology.CLIENTS, "pk", f"CLIENT#{client_id}", "VIP#")
        tally.compare(
            f"{client_id} vip history",
            transitions((s in VIP_CLASSES for s in states), start=False),
            Counter((bool(h["previous_vip"]), bool(h["vip"])) for h in vip_history),
        )
        entries = audit_entries(harness, client_id)
        class_entries = Counter(
            (e["before"].get("client_class"), e["after"]["client_class"])
            for e in entries
            if e["record_key"].get("sk") == "PROFILE" and e["event"] == "MODIFY" and "client_class" in e["after"]
        )
        tally.compare(f"{client_id} audit: class changes on the profile", expected, class_entries)
        tally.compare(
            f"{client_id} audit: class history inserts",
            expected,
            Counter(
                (e["after"].get("previous_class"), e["after"]["client_class"])
                for e in entries
                if e["record_key"].get("sk", "").startswith("CLASS#") and e["event"] == "INSERT"
            ),
        )
        tally.compare(
            f"{client_id} audit: metrics written",
            Counter(p.year for p in puts if p.client_id == client_id),
            Counter(int(e["after"]["year"]) for e in entries if e["record_key"].get("sk", "").startswith("METRICS#")),
        )
    latest: dict[tuple[str, int], Put] = {}
    for put in puts:
        latest[(put.client_id, put.year)] = put
    years = sorted({year for _, year in latest})
    sums = {f.year: f for f in yearly_sums.year_figures(years)}
    for year in years:
        counted = [p for (_, y), p in latest.items() if y == year]
        found = sums.get(year)
        tally.same(f"{year} trade volume", Decimal(sum(p.trade_volume for p in counted)), found and found.trade_volume)
        tally.same(f"{year} average assets", Decimal(sum(p.avg_assets for p in counted)), found and found.avg_assets)
        tally.same(f"{year} clients", len(counted), found and found.clients)


def count_archive(harness: Harness, tally: Tally) -> None:
    """Every audit entry in the archive (in some object or version); nothing there that is not
    in the trail."""
    in_table = Counter((e["subject"], e["entry"]) for e in scan(harness, topology.AUDIT))
    archived = archived_entries(harness)
    tally.compare("archive: entries of the trail", Counter(set(in_table)), Counter(set(archived)))
    tally.notes["archived_copies"] = sum(archived.values())
    tally.notes["audit_entries"] = len(in_table)


def count_dead_letters(harness: Harness, tally: Tally, expected: int = 0, *, pumps: Iterable[StreamPump] = ()) -> None:
    all_pumps = [*harness.pumps.values(), *pumps]
    tally.same("records dead-lettered", expected, sum(p.stats.dead_lettered for p in all_pumps))
    tally.notes["retries"] = sum(p.stats.retries for p in all_pumps)


# --- 1. DynamoDB throttling -----------------------------------------------------------------


def test_throttled_dynamodb_calls_lose_and_double_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """14 clients × 2 years of figures while 8 % of the reclassify and audit handlers' DynamoDB
    calls are refused (ProvisionedThroughputExceeded, ThrottlingException, and transactions
    cancelled for throttling), within the per-batch budget."""
    started = time.monotonic()
    client_ids = [f"T{i:02d}" for i in range(14)]
    register(harness, client_ids)
    settle(harness.pumps.values())
    plan = FaultPlan(seed=20260501, rate=0.08)
    plan_hooks(plan)
    throttle = Throttle(plan, frozenset({"reclassify", "audit"}))
    throttle.install(monkeypatch)

    puts: list[Put] = []
    states: dict[str, list[str]] = {c: [] for c in client_ids}
    for round_, year in enumerate((2024, 2025)):
        for i, client_id in enumerate(client_ids):
            # a third of the clients keep their class from one year to the next
            client_class = CLASSES[i % 11] if round_ == 0 or i % 3 == 0 else CLASSES[(i + 4) % 11]
            put = Put(client_id, year, client_class, *figures(i, client_class))
            put_metrics(harness, put)
            puts.append(put)
            states[client_id].append(client_class)
            # small batches: more of them, so more faults within the retry budget
            if i % 4 == 3 or i == len(client_ids) - 1:
                settle(harness.pumps.values())

    tally = Tally("throttling: 14 clients x 2 years")
    count_reclassification(harness, tally, puts, states)
    count_archive(harness, tally)
    count_dead_letters(harness, tally)
    tally.notes["faults"] = sum(plan.injected.values())
    tally.notes["by_call"] = dict(plan.injected)
    tally.notes["by_error"] = dict(throttle.codes)
    assert sum(plan.injected.values()) >= 10, plan.injected  # the faults did happen
    assert len(throttle.codes) == 3, throttle.codes  # every kind of refusal among them
    tally.assert_clean(started)


# --- 2. conditional-check races -------------------------------------------------------------


def race_after(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    *,
    client_of: Callable[..., str],
    clients: set[str],
    race: Callable[[str], None],
) -> None:
    """When `owner.name` returns in the first container for one of `clients` (the first time),
    `race` runs before the caller goes on: between its read and the conditional write after it."""
    original = getattr(owner, name)
    raced: set[str] = set()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)  # a read; "not found" is an answer too
        finally:
            client_id = client_of(*args, **kwargs)
            if client_id in clients and client_id not in raced and current_container() == 1:
                raced.add(client_id)
                race(client_id)

    monkeypatch.setattr(owner, name, wrapper)


def profile_changes(harness: Harness, client_id: str, attribute: str) -> int:
    """Audit entries of changes to the client's profile that changed `attribute`."""
    return sum(
        1
        for e in audit_entries(harness, client_id)
        if e["record_key"].get("sk") == "PROFILE" and e["event"] == "MODIFY" and attribute in e["after"]
    )


LOWEST_ANSWERS: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}  # score 14: very_low


def test_races_with_a_redelivery_and_with_api_writes_lose_and_double_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """A second container redelivers the same records between the first one's reads and its
    conditional write (of the yearly sums and the class), an API write bumps the profile's
    version at the same point, and a second mapping on the same stream replays it all."""
    started = time.monotonic()
    client_ids = [f"R{i:02d}" for i in range(9)]
    register(harness, client_ids)
    settle(harness.pumps.values())
    plan_hooks(FaultPlan(seed=1, rate=0.0))  # no injected errors: only the races below
    conflicts = observe_conflicts(monkeypatch)

    second = SecondContainer()
    twins = [extra_pump(harness, name, second) for name in ("reclassify:clients", "audit:clients")]
    reclassify = topology.function("reclassify")
    raced_responses: list[Any] = []

    def redeliver(client_id: str) -> None:
        records = [r for r in current_records() if r["dynamodb"]["Keys"]["pk"]["S"] == f"CLIENT#{client_id}"]
        assert records
        raced_responses.append(second.invoke(reclassify, {"Records": records}))

    def reassign(client_id: str) -> None:
        body = {"manager_id": "mgr-2", "reason": "workload"}
        raced_responses.append(harness.call("PUT", f"/clients/{client_id}/manager", body).status)

    def questionnaire(client_id: str) -> None:
        body = {"answers": LOWEST_ANSWERS, "paper_ref": f"P-{client_id}"}
        raced_responses.append(harness.call("POST", f"/clients/{client_id}/questionnaires", body).status)

    redelivered = {c for i, c in enumerate(client_ids) if i % 3 != 2}
    reassigned = {c for i, c in enumerate(client_ids) if i % 6 == 2}

    def between_read_and_write(client_id: str) -> None:
        if client_id in redelivered:
            redeliver(client_id)
        elif client_id in reassigned:
            reassign(client_id)
        else:
            questionnaire(client_id)

    # The reclassification reads everything it decides from (T, the client's part of the sums, the
    # client's record and latest figures), then writes the fold and the class in one transaction.
    race_after(
        monkeypatch,
        yearly_sums,
        "read_change",
        client_of=lambda client_id, *_, **__: client_id,
        clients=set(client_ids),
        race=between_read_and_write,
    )

    puts: list[Put] = []
    states: dict[str, list[str]] = {}
    for i, client_id in enumerate(client_ids):
        for year, client_class in ((2024, CLASSES[(i + 5) % 11]), (2025, CLASSES[i % 11])):
            put = Put(client_id, year, client_class, *figures(i, client_class))
            put_metrics(harness, put)
            puts.append(put)
        # every record is handled after both years are written: the latest (2025) decides at once
        states[client_id] = [CLASSES[i % 11]]
    # the two mappings on the clients stream take turns, batch by batch, then everything settles
    first = harness.pumps["reclassify:clients"]
    while first.poll_once() | twins[0].poll_once():
        pass
    settle([*harness.pumps.values(), *twins])

    tally = Tally("races: redelivery between the reads and the write, API writes, a second mapping")
    count_reclassification(harness, tally, puts, states)
    for client_id in reassigned:
        tally.same(f"{client_id} manager", "mgr-2", profile(harness, client_id)["manager_id"])
        tally.same(
            f"{client_id} manager history",
            1,
            len(query(harness, topology.CLIENTS, "pk", f"CLIENT#{client_id}", "MANAGER#")),
        )
        tally.same(
            f"{client_id} audit: manager changes",
            1,
            profile_changes(harness, client_id, "manager_id"),
        )
    for client_id in set(client_ids) - redelivered - reassigned:  # assessed
        tally.same(f"{client_id} risk level", "very_low", profile(harness, client_id).get("risk_level"))
        tally.same(
            f"{client_id} questionnaires",
            1,
            len(query(harness, topology.CLIENTS, "pk", f"CLIENT#{client_id}", "QUESTIONNAIRE#")),
        )
        tally.same(
            f"{client_id} audit: risk level changes",
            1,
            profile_changes(harness, client_id, "risk_level"),
        )
    count_archive(harness, tally)
    count_dead_letters(harness, tally, pumps=twins)
    # every race happened, and each racing write went through
    tally.same("races run", len(client_ids), len(raced_responses))

    def refused(response: Any) -> bool:  # an API status, or a handler's partial batch response
        return bool(response.get("batchItemFailures")) if isinstance(response, dict) else response not in (200, 201)

    tally.same("racing writes refused", 0, sum(1 for r in raced_responses if refused(r)))
    tally.same("records the second mapping delivered", first.stats.delivered, twins[0].stats.delivered)
    tally.notes["delivered"] = (first.stats.delivered, twins[0].stats.delivered)
    tally.notes["conflicts"] = conflicts[("reclassify", 1)]
    # each race made the first container's conditional write fail, and it decided again
    assert conflicts[("reclassify", 1)] >= len(client_ids), conflicts
    tally.assert_clean(started)


# --- 3. a crash after partial work ----------------------------------------------------------


def test_crashes_after_partial_work_are_retried_without_doubling_anything(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """The handlers die between their steps: the reclassification after its reads (before its one
    write of the fold and the class), and after that write (before returning); the audit after an
    append, and between the appends and the archive."""
    started = time.monotonic()
    client_ids = [f"X{i:02d}" for i in range(9)]
    register(harness, client_ids)
    settle(harness.pumps.values())
    # two kinds of reclassify crash, alternating by client in every batch of three records
    plan = FaultPlan(seed=7, rate=1.0, per_invocation=3, per_batch=3)
    plan_hooks(plan)
    kind = {c: i % 2 for i, c in enumerate(client_ids)}
    crash_once(
        monkeypatch,
        plan,
        yearly_sums,
        "read_change",
        key=lambda client_id, year, *_: (client_id, year),
        after=True,
        label="after the reads, before the write",
        only=lambda k: kind[k[0]] == 0,
    )
    crash_once(
        monkeypatch,
        plan,
        yearly_sums,
        "write_change",
        key=lambda change, result: (change.client_id, change.year),
        after=True,
        label="after the fold and class write",
        only=lambda k: kind[k[0]] == 1,
    )
    audit_data = importlib.import_module("crm.data.audit")
    crash_once(
        monkeypatch,
        plan,
        audit_data,
        "append",
        key=lambda entry: entry.entry,
        after=True,
        label="after an append",
        only=lambda _: plan.rng.random() < 0.1,
    )
    crash_once(
        monkeypatch,
        plan,
        audit_service,
        "archive_batch",
        key=lambda entries, batch_id: batch_id,
        after=False,
        label="between the appends and the archive",
    )

    puts: list[Put] = []
    states: dict[str, list[str]] = {c: [] for c in client_ids}
    for round_, year in enumerate((2024, 2025)):
        for i, client_id in enumerate(client_ids):
            client_class = CLASSES[i % 11] if round_ == 0 or i % 4 == 0 else CLASSES[(i + 3) % 11]
            put = Put(client_id, year, client_class, *figures(i, client_class))
            put_metrics(harness, put)
            puts.append(put)
            states[client_id].append(client_class)
            if i % 3 == 2:  # small batches: each gets its share of crashes within the retry budget
                settle(harness.pumps.values())

    tally = Tally("crash after partial work: reclassify and audit")
    count_reclassification(harness, tally, puts, states)
    count_archive(harness, tally)
    count_dead_letters(harness, tally)
    tally.notes["crashes"] = dict(plan.injected)
    for label in (
        "after the reads, before the write",
        "after the fold and class write",
        "after an append",
        "between the appends and the archive",
    ):
        assert plan.injected[label] >= 2, plan.injected  # every kind of crash did happen
    tally.assert_clean(started)


def test_a_crash_between_two_recomputed_deadlines_recomputes_each_once(
    harness: Harness, client: dict[str, Any], monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """HQ loads 2027: the deadlines handler dies right after recomputing its first deadline."""
    started = time.monotonic()
    complaint = {"client_id": "C001", "channel": "letter", "category": "efficiency", "content": "迟迟无人处理"}
    at = "2026-12-30T10:00:00+08:00"
    response = harness.call("POST", "/complaints", complaint | {"received_at": at}, at=at)
    assert response.status == 201, response.body
    complaint_no = response.json()["complaint_no"]
    contact_ids = [email(harness, "2026-12-31T10:00:00+08:00") for _ in range(2)]
    settle(harness.pumps.values())

    plan = FaultPlan(seed=3, rate=1.0)
    plan_hooks(plan)
    crash_once(
        monkeypatch,
        plan,
        clock_data,
        "reschedule",
        key=lambda clock, rescheduled, **_: (clock.owner_id, clock.kind),
        after=True,
        label="after a recomputed deadline",
    )
    calendar = {"holidays": ["2027-01-01"], "workdays": []}
    assert harness.call("PUT", "/calendar/2027", calendar, as_=HQ).status == 200
    settle(harness.pumps.values())

    tally = Tally("crash after partial work: deadlines recomputed on a loaded calendar")
    # test_sla's worked example: weekends alone gave 2027-01-01; with 01-01 a holiday the
    # complaint's reply is due Mon 01-04 and the e-mails of Thu 12-31 on Tue 01-05
    expected = {(complaint_no, "complaint_reply"): "2027-01-04T23:59:59.000+08:00"} | {
        (contact_id, "contact_reply"): "2027-01-05T23:59:59.000+08:00" for contact_id in contact_ids
    }
    clocks = {(i["pk"], i["sk"]): i for i in scan(harness, topology.SERVICE) if i["sk"].startswith("CLOCK#")}
    by_owner = {(c["owner_id"], c["kind"]): c for c in clocks.values()}
    for key, due_at in expected.items():
        tally.same(f"{key} due", due_at, by_owner[key]["due_at"])
        tally.same(f"{key} provisional", False, by_owner[key]["provisional"])
    recomputed: Counter[tuple[str, str]] = Counter()
    for entry in scan(harness, topology.AUDIT):
        key = json.loads(entry["record_key"])
        clock = clocks.get((key["pk"], key["sk"]))
        if clock and entry["event"] == "MODIFY" and "due_at" in json.loads(entry["after"]):
            recomputed[(clock["owner_id"], clock["kind"])] += 1
    tally.compare("audit: deadlines recomputed", Counter(expected.keys()), recomputed)
    tally.same(
        "complaint shows",
        "2027-01-04T23:59:59+08:00",
        harness.call("GET", f"/complaints/{complaint_no}").json()["reply_due_at"],
    )
    count_archive(harness, tally)
    count_dead_letters(harness, tally)
    tally.notes["crashes"] = dict(plan.injected)
    assert plan.injected["after a recomputed deadline"] >= 1
    tally.assert_clean(started)


# --- 4. SLA clocks under throttling ---------------------------------------------------------


def email(harness: Harness, received_at: str) -> str:
    body = {"client_id": "C001", "channel": "email", "subject": "对账单", "first_responder": "mgr-1"}
    response = harness.call("POST", "/contacts", body | {"received_at": received_at}, at=received_at)
    assert response.status == 201, response.body
    return str(response.json()["contact_id"])


def reply(harness: Harness, contact_id: str, at: str) -> None:
    response = harness.call("POST", f"/contacts/{contact_id}/reply", {"answer": "抱歉迟复"}, at=at)
    assert response.status == 200, response.body


def run_job(invoker: Invoker, at: str, *, attempts: int = 5, job: str = "sla-sweep") -> list[dict[str, Any]]:
    """A job as its schedule runs it: a failed run is run again (asynchronous retries)."""
    results = []
    for _ in range(attempts):
        try:
            results.append(trigger(invoker, job, at)["result"])
            return results
        except Exception as error:  # the run failed (a throttled call, a crash): it is run again
            results.append({"failed": type(error).__name__})
    raise AssertionError(f"{job} failed {attempts} times: {results}")


def count_sla(
    harness: Harness, tally: Tally, expected: Counter[tuple[str, str, str]], *, late: Iterable[str] = ()
) -> None:
    """Escalation records, breach records, events on the bus and their audit entries, against
    the (owner, clock, level) escalations that are due."""
    items = scan(harness, topology.SERVICE)
    escalations = Counter((i["owner_id"], i["kind"], i["level"]) for i in items if i["sk"].startswith("ESCALATION#"))
    tally.compare("escalation records", expected, escalations)
    breaches = Counter((i["owner_id"], i["kind"]) for i in items if i["sk"].startswith("BREACH#"))
    tally.compare("breach records", Counter({(o, k) for o, k, level in expected if level == "supervisor"}), breaches)
    for owner_id in late:
        breach = next((i for i in items if i["sk"].startswith("BREACH#") and i["owner_id"] == owner_id), {})
        tally.same(f"{owner_id} breach met late", True, breach.get("met_at") is not None)
    events = Counter(
        (e["detail"]["owner_id"], e["detail"]["clock"], e["detail"]["level"])
        for e in harness.bus_log.events()
        if e["detail-type"] in ("SlaBreached", "SlaWarning")
    )
    tally.compare("SlaBreached/SlaWarning events", expected, events)
    audited: Counter[tuple[str, str]] = Counter()
    for entry in scan(harness, topology.AUDIT):
        key = json.loads(entry["record_key"])
        if (
            entry["table"] == "service"
            and key["sk"].startswith(("ESCALATION#", "BREACH#"))
            and entry["event"] == "INSERT"
        ):
            audited[(key["pk"], key["sk"])] += 1
    tally.compare(
        "audit: escalation and breach records inserted",
        Counter({(i["pk"], i["sk"]) for i in items if i["sk"].startswith(("ESCALATION#", "BREACH#"))}),
        audited,
    )


@pytest.mark.parametrize(
    "refusal",
    [
        "ThrottlingException",
        "TransactionCanceledException",
    ],
)
@pytest.mark.usefixtures("client")
def test_a_late_answer_under_throttling_is_one_breach_and_one_event(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None], refusal: str
) -> None:
    """An e-mail due Thu 05-07 is answered Fri 05-08 while the sla handler's breach transaction
    is refused twice (and the audit consumer is throttled now and then)."""
    started = time.monotonic()
    contact_id = email(harness, "2026-04-30T10:00:00+08:00")
    settle(harness.pumps.values())
    plan = FaultPlan(seed=11, rate=1.0)
    plan_hooks(plan)
    Throttle(plan, frozenset({"sla"}), frozenset({"TransactWriteItems"}), transaction_codes=(refusal,)).install(
        monkeypatch
    )
    audit_plan = FaultPlan(seed=12, rate=0.1)
    plan_hooks(audit_plan)
    Throttle(audit_plan, frozenset({"audit"})).install(monkeypatch)

    reply(harness, contact_id, "2026-05-08T10:00:00+08:00")
    settle(harness.pumps.values())

    tally = Tally(f"SLA: late answer, breach transaction refused with {refusal}")
    count_sla(harness, tally, Counter({(contact_id, "contact_reply", "supervisor"): 1}), late=[contact_id])
    listed = harness.call("GET", "/sla/breaches").json()["items"]
    tally.compare("breaches listed", Counter({contact_id: 1}), Counter(b["owner_id"] for b in listed))
    count_archive(harness, tally)
    count_dead_letters(harness, tally)
    tally.notes["faults"] = dict(plan.injected + audit_plan.injected)
    assert plan.injected["sla:TransactWriteItems"] >= 1  # the breach transaction was refused
    tally.assert_clean(started)


@pytest.mark.usefixtures("client")
def test_the_sweep_run_concurrently_and_again_under_throttling_escalates_each_clock_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """Four e-mails and a complaint of Thu 04-30, swept on Fri 05-08 09:00: a second sweep runs
    inside the first (between its read of the open clocks and its first escalation), a third runs
    right after; each call of the sweeps, the sla and the audit handlers has a 30 % chance of
    being throttled, up to one per run (a failed run is run again, as EventBridge retries it)."""
    started = time.monotonic()
    contact_ids = [email(harness, "2026-04-30T10:00:00+08:00") for _ in range(4)]
    body = {"client_id": "C001", "channel": "letter", "category": "efficiency", "content": "迟迟无人处理"}
    at = "2026-04-30T10:00:00+08:00"
    response = harness.call("POST", "/complaints", body | {"received_at": at}, at=at)
    assert response.status == 201, response.body
    complaint_no = response.json()["complaint_no"]
    settle(harness.pumps.values())

    plan = FaultPlan(seed=4, rate=0.3)
    plan_hooks(plan)
    # the first container's escalations are not throttled: they must meet the second's
    Throttle(
        plan,
        frozenset({"sla_sweep", "sla", "audit"}),
        frozenset({"Query", "TransactWriteItems", "PutItem"}),  # reads of the calendar pass
        exempt=lambda operation, container: container == 1 and operation == "TransactWriteItems",
    ).install(monkeypatch)
    conflicts = observe_conflicts(monkeypatch)
    runs: list[dict[str, Any]] = []
    original_escalate = clock_data.escalate
    raced = []

    def escalate(*args: Any, **kwargs: Any) -> bool:
        if not raced and current_container() == 1:
            raced.append(True)
            runs.extend(run_job(SecondContainer(2), "2026-05-08T09:00:00+08:00"))
        return original_escalate(*args, **kwargs)

    monkeypatch.setattr(clock_data, "escalate", escalate)
    runs.extend(run_job(harness.gateway.invoker, "2026-05-08T09:00:00+08:00"))
    runs.extend(run_job(SecondContainer(3), "2026-05-08T09:00:00+08:00"))
    settle(harness.pumps.values())
    # the next scheduled run, without faults: what a refused escalation left for it
    plan.rate = 0.0
    next_run = run_job(harness.gateway.invoker, "2026-05-08T09:15:00+08:00")[-1]
    settle(harness.pumps.values())

    # test_sla's worked example: every reply was due 05-07 (supervisor); the investigation was
    # due 05-06, a whole working day before, so it has gone up to HQ as well
    expected = Counter(
        {(c, "contact_reply", "supervisor"): 1 for c in contact_ids}
        | {
            (complaint_no, "complaint_investigate", "supervisor"): 1,
            (complaint_no, "complaint_investigate", "hq"): 1,
            (complaint_no, "complaint_reply", "supervisor"): 1,
        }
    )
    tally = Tally("SLA: sweep twice concurrently and again, throttled")
    count_sla(harness, tally, expected)
    count_archive(harness, tally)
    count_dead_letters(harness, tally)
    tally.notes["runs"] = [r.get("escalated", r.get("failed")) for r in runs]
    tally.notes["left_for_the_next_run"] = next_run["escalated"]
    tally.notes["faults"] = dict(plan.injected)
    tally.notes["conflicts"] = conflicts[("sla_sweep", 1)]
    # the race happened: the first sweep's escalations found the second's done, under throttling
    assert raced
    assert plan.injected
    assert conflicts[("sla_sweep", 1)] >= 1, conflicts
    tally.assert_clean(started)


@pytest.mark.usefixtures("client")
def test_escalations_behind_a_throttled_record_are_published_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """E1 is answered late at 09:00, the 09:15 sweep escalates E2 and E3; the sla handler gets
    [E1's clock, E2's clock, E2's escalation, E3's clock, E3's escalation] in one batch and
    the breach transaction for E1 is throttled once."""
    started = time.monotonic()
    e1, e2, e3 = (email(harness, "2026-04-30T10:00:00+08:00") for _ in range(3))
    settle(harness.pumps.values())
    reply(harness, e1, "2026-05-08T09:00:00+08:00")
    trigger(harness.gateway.invoker, "sla-sweep", "2026-05-08T09:15:00+08:00")  # no drain
    plan = FaultPlan(seed=5, rate=1.0, per_batch=1)
    plan_hooks(plan)
    Throttle(
        plan, frozenset({"sla"}), frozenset({"TransactWriteItems"}), transaction_codes=("ThrottlingException",)
    ).install(monkeypatch)
    settle(harness.pumps.values())

    tally = Tally("SLA: escalations behind a throttled record in the same batch")
    expected = Counter({(e, "contact_reply", "supervisor"): 1 for e in (e1, e2, e3)})
    count_sla(harness, tally, expected, late=[e1])
    count_dead_letters(harness, tally)
    tally.notes["faults"] = dict(plan.injected)
    assert plan.injected["sla:TransactWriteItems"] == 1
    tally.assert_clean(started)


# --- 5. a poison record ---------------------------------------------------------------------


def poison_metrics(harness: Harness, client_id: str) -> None:
    """Figures the API would refuse, written behind its back: the handler fails on them, always."""
    harness.clients["dynamodb"].put_item(
        TableName=topology.CLIENTS.local_name,
        Item={
            "pk": {"S": f"CLIENT#{client_id}"},
            "sk": {"S": "METRICS#2025"},
            "client_id": {"S": client_id},
            "year": {"N": "2025"},
            "assets": {"N": "-5"},
            "avg_assets": {"N": "1"},
            "trade_volume": {"N": "1"},
            "updated_at": {"S": "2026-03-02T09:00:00.000+08:00"},
            "updated_by": {"S": "someone"},
        },
    )


def sequence_of(harness: Harness, client_id: str, sort_key: str) -> str:
    """The stream position of a record's insert, as the audit trail noted it."""
    return next(
        e["sequence"]
        for e in audit_entries(harness, client_id)
        if e["record_key"].get("sk") == sort_key and e["event"] == "INSERT"
    )


def test_a_poison_record_is_dead_lettered_alone_and_the_rest_of_its_shard_flows(harness: Harness) -> None:
    """Four good clients, a poison record, four more, in one batch; then one more after it."""
    started = time.monotonic()
    good = [f"P{i}" for i in range(9)]
    register(harness, [*good, "BAD"])
    settle(harness.pumps.values())
    puts = []
    for i, client_id in enumerate(good[:8]):
        if i == 4:
            poison_metrics(harness, "BAD")
        client_class = CLASSES[i % 11]
        puts.append(Put(client_id, 2025, client_class, *figures(i, client_class)))
        put_metrics(harness, puts[-1])
    settle(harness.pumps.values())
    pump = harness.pumps["reclassify:clients"]
    stats_after_poison = pump.stats.as_dict()
    # the pump is not stuck on the poison: a later record flows at once
    puts.append(Put(good[8], 2025, CLASSES[8], *figures(8, CLASSES[8])))
    put_metrics(harness, puts[-1])
    settle(harness.pumps.values())

    tally = Tally("poison record among good ones")
    count_reclassification(harness, tally, puts, {p.client_id: [p.client_class] for p in puts})
    tally.same("BAD class", None, profile(harness, "BAD").get("client_class"))
    source = topology.function("reclassify").streams[0]
    messages = harness.failure_messages("reclassify")
    tally.same("on-failure messages", 1, len(messages))
    poison = sequence_of(harness, "BAD", "METRICS#2025")
    if messages:
        info = messages[0]["DDBStreamBatchInfo"]
        tally.same("dead-lettered batch size", 1, info["batchSize"])
        tally.same("dead-lettered record", (poison, poison), (info["startSequenceNumber"], info["endSequenceNumber"]))
        tally.same(
            "invocations it had", source.retry_attempts + 1, messages[0]["requestContext"]["approximateInvokeCount"]
        )
    tally.same("dead-lettered records", 1, stats_after_poison["dead_lettered"])
    tally.same("good records delivered", 8, stats_after_poison["delivered"])
    tally.same("good records delivered in the end", 9, pump.stats.delivered)
    tally.same("dead-lettered in the end", 1, pump.stats.dead_lettered)
    tally.same("failed tries of the poison", True, pump.stats.retries >= source.retry_attempts)
    for name, other in harness.pumps.items():
        if other is not pump:
            tally.same(f"{name} dead-lettered", 0, other.stats.dead_lettered)
    count_archive(harness, tally)
    tally.notes["pump"] = {k: v for k, v in pump.stats.as_dict().items() if k != "recent_errors"}
    tally.assert_clean(started)


def test_two_poison_records_lose_no_good_record(harness: Harness) -> None:
    """Metrics in stream order g0, BAD1, g2, g3, BAD2, g5 … g10: one batch of eleven records.

    The retries are spent bisecting around BAD1, so the pump dead-letters BAD2 together with g5
    behind it (a two-record range in the on-failure queue). g5 is not lost: the handler processed
    every record of the first invocation, BAD1 and BAD2 aside, before the checkpoint fell back.
    """
    started = time.monotonic()
    order = ["G0", "BAD1", "G2", "G3", "BAD2", *(f"G{i}" for i in range(5, 11))]
    register(harness, order)
    settle(harness.pumps.values())
    puts = []
    for i, client_id in enumerate(order):
        if client_id.startswith("BAD"):
            poison_metrics(harness, client_id)
            continue
        client_class = CLASSES[i % 11]
        puts.append(Put(client_id, 2025, client_class, *figures(i, client_class)))
        put_metrics(harness, puts[-1])
    settle(harness.pumps.values())

    tally = Tally("two poison records among good ones")
    count_reclassification(harness, tally, puts, {p.client_id: [p.client_class] for p in puts})
    for client_id in ("BAD1", "BAD2"):
        tally.same(f"{client_id} class", None, profile(harness, client_id).get("client_class"))
    messages = harness.failure_messages("reclassify")
    ranges = [
        (int(m["DDBStreamBatchInfo"]["startSequenceNumber"]), int(m["DDBStreamBatchInfo"]["endSequenceNumber"]))
        for m in messages
    ]
    for client_id in ("BAD1", "BAD2"):
        sequence = int(sequence_of(harness, client_id, "METRICS#2025"))
        tally.same(f"{client_id} in an on-failure message", 1, sum(1 for a, b in ranges if a <= sequence <= b))
    pump = harness.pumps["reclassify:clients"]
    tally.notes["good_records_dead_lettered"] = pump.stats.dead_lettered - 2
    tally.notes["dead_lettered_batches"] = [m["DDBStreamBatchInfo"]["batchSize"] for m in messages]
    tally.assert_clean(started)


# --- the local pump after a cancelled transaction -------------------------------------------


@pytest.mark.usefixtures("client")
def test_a_cancelled_transaction_does_not_stall_the_local_stream_pump(harness: Harness) -> None:
    """Any transaction DynamoDB cancels on the clients table (a 409 on a racing manager change,
    a reclassification that lost its version check), then new figures for the client."""
    started = time.monotonic()
    settle(harness.pumps.values())  # the pumps hold their shard iterators from here on
    dynamodb = harness.clients["dynamodb"]
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": topology.CLIENTS.local_name,
                        "Key": {"pk": {"S": "CLIENT#C001"}, "sk": {"S": "PROFILE"}},
                        "UpdateExpression": "SET manager_id = :m",
                        "ConditionExpression": "version = :stale",
                        "ExpressionAttributeValues": {":m": {"S": "mgr-2"}, ":stale": {"N": "0"}},
                    }
                }
            ]
        )
    put = Put("C001", 2025, "A+", *figures(0, "A+"))
    put_metrics(harness, put)
    settle(harness.pumps.values())

    tally = Tally("local pump after a cancelled transaction")
    count_reclassification(harness, tally, [put], {"C001": ["A+"]})
    tally.assert_clean(started)


test_a_cancelled_transaction_does_not_stall_the_local_stream_pump.moto_rollback_as_is = True  # type: ignore[attr-defined]


# --- 6. The callbacks job under throttling and crashes ------------------------------------------


def test_the_callbacks_job_throttled_and_crashing_half_way_creates_each_task_once_and_draws_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, plan_hooks: Callable[[FaultPlan], None]
) -> None:
    """The first run of 2027 with 8 new accounts, 6 VIPs due their periodic and birthday calls,
    and the year's sample to draw: a fifth of the job's DynamoDB calls are throttled (up to two
    per run), and it crashes once right after creating a task and once right after recording the
    draw. The run and its retries all fail; the next run finishes what they left, and the next
    day's finds nothing left."""
    started = time.monotonic()
    for n in range(8):
        body = new_client(f"NEW{n}", opened_on="2026-12-28")
        assert harness.call("POST", "/clients", body, at="2026-12-28T10:00:00+08:00").status == 201
    for n in range(6):
        body = new_client(f"VIP{n}", birthday="1990-01-03")
        assert harness.call("POST", "/clients", body, at="2026-12-01T10:00:00+08:00").status == 201
        figures = {"assets": 6_000_000 + n, "avg_assets": 1_000_000, "trade_volume": 4_000_000}
        assert harness.call("PUT", f"/clients/VIP{n}/metrics/2026", figures, at="2026-12-05T10:00:00+08:00").status
    settle(harness.pumps.values())

    plan = FaultPlan(seed=11, rate=0.2, per_invocation=2, per_batch=2)
    crashes = FaultPlan(seed=12, rate=1.0, per_invocation=2)
    plan_hooks(plan)
    plan_hooks(crashes)
    Throttle(plan, frozenset({"callback_generation"})).install(monkeypatch)
    crash_once(
        monkeypatch,
        crashes,
        callback_data,
        "create_task",
        key=lambda task, *a, **k: task and task.callback_id,
        after=True,
        label="after creating a task",
        only=lambda k: k == "NA-NEW3",
    )
    crash_once(
        monkeypatch,
        crashes,
        sample_data,
        "record_draw",
        key=lambda sample, members: sample.year,
        after=True,
        label="after recording the draw",
    )
    runs: list[dict[str, Any]] = []
    for _ in range(6):  # the run and its retries, every one of them hit
        try:
            runs.append(trigger(harness.gateway.invoker, "callbacks", "2027-01-01T06:00:00+08:00")["result"])
        except Exception as error:
            runs.append({"failed": type(error).__name__})
    plan.rate = crashes.rate = 0.0
    runs += run_job(harness.gateway.invoker, "2027-01-01T06:00:00+08:00", job="callbacks")  # what they left
    later = run_job(harness.gateway.invoker, "2027-01-02T06:00:00+08:00", job="callbacks")[-1]
    settle(harness.pumps.values())

    items = scan(harness, topology.CALLBACKS)
    created = Counter((i["kind"], i["client_id"]) for i in items if i["sk"] == "TASK")
    sample = json.loads(harness.call("GET", "/callbacks/samples/2027", as_=HQ).body)
    expected = Counter(
        {("new_account", f"NEW{n}"): 1 for n in range(8)}
        | {("periodic", f"VIP{n}"): 1 for n in range(6)}
        | {("care", f"VIP{n}"): 1 for n in range(6)}
        | {("sample", client_id): 1 for client_id in sample["drawn"]}
    )
    tally = Tally("callbacks job: throttled, crashing after a task and after the draw")
    tally.compare("tasks", expected, created)
    seeds = {i["sk"].split("#")[1] for i in items if i["pk"] == "SAMPLE#2027" and i["sk"].startswith("DRAWN#")}
    tally.same("sample draws kept", 1, len(seeds))
    tally.same("the draw's seed", {sample["seed"]}, seeds)
    tally.same("drawn", 2, len(sample["drawn"]))  # ceil(10 % of 14)
    tally.same("left for the next day", {}, later["created"])
    count_dead_letters(harness, tally)
    tally.notes["runs"] = [r.get("failed") or r.get("created") for r in runs]
    tally.notes["faults"] = dict(plan.injected + crashes.injected)
    assert crashes.injected == Counter({"after creating a task": 1, "after recording the draw": 1})
    assert sum(plan.injected.values()) >= 6  # throttled calls
    tally.assert_clean(started)
