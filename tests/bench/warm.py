"""P2 warm request: seven requests through the real handler against the bare boto3 calls they make.

Target (issues 13 and 20): a warm request through the real handler costs at most 1.5× the AWS calls
that request must make, made with a bare boto3 client on the same moto in the same run, for: create
a client, submit a questionnaire, create a complaint, read a client, look a client up by ID number,
a client's overview, list a branch's complaints.

    python -m tests.bench.warm [--smoke] [--repetitions 120]
    python -m tests.bench --only P2 [--smoke]
    python -m tests.bench.warm --profile "read a client"    # where that handler's own time goes

All in one process, on in-process moto (`mock_aws` with `moto_speedups.installed()`, as the
integration suite runs), the topology's tables made by `crm.local.provision`:

- **The handler.** An API Gateway REST proxy event, built as the local gateway builds it
  (`crm.local.front.proxy_event`, with the claims its Cognito-like authorizer passes on, as the
  branch's supervisor), goes to the function's `lambda_handler` through `crm.local.invoke.Invoker`:
  the module loaded once and run with the function's declared settings, as a warm Lambda
  container runs it. Each handler is warmed first (`WARMUP` requests of the same kind, discarded,
  as are their baseline replays: the bare client is warm too).
- **What the request must make.** Every AWS call the handler makes is recorded where botocore
  sends it (`BaseClient._make_api_call`, which PynamoDB's connection and Powertools' idempotency
  store both go through): operation, parameters and answer.
- **The baseline.** Those very calls, one after another, through the public methods of a bare
  boto3 client (made once), against the state the handler saw. A create replayed verbatim would
  fail its conditions (the client exists, the complaint number is taken, the idempotency key is
  in use), so before each write the recorder copies the items it names; when the handler has
  returned they are put back and the stream records it appended dropped. The replay then makes
  identical requests on identical items: every condition holds as it did, every read returns the
  same items, and every answer must equal the handler's (`ResponseMetadata` aside), or the run
  fails. After the replay the tables are as the handler left them, so the next repetition's
  fresh data (a new client id, a new Idempotency-Key) meet the tables they would have met.
- **The clock** is the thread's CPU time (`time.thread_time`). The machine is shared (2 cores,
  load often above 5): wall time adds whatever else ran meanwhile, up to 2× here. Both sides are
  CPU-bound in this thread (moto answers in-process, nothing is written out), and the run checks
  it: the voluntary context switches during the timed calls are counted (none so far; the spread
  says so when there are, since wall time would then matter); wall medians are in the detail.
  The recorder's own work (copying pre-images) is timed and taken off the handler's time.
- **Interleaved.** Each repetition is one handler request, then its replay, so both see the
  same load. Value = median handler ms, baseline = median bare ms; the spread gives their
  quartiles, the median of the per-repetition ratios and that of each half of the repetitions
  (odd, even): when the halves agree, the median is stable. The detail also gives the handler's
  time inside its own AWS calls, which comes out as the replay's: the difference is its own work.

The data: each create makes something new (client `W…` per repetition; the first questionnaire
of one of those clients; a complaint about one of them, with a fresh Idempotency-Key as its sample
event has one; the other two samples send none). `read a client` reads those clients, `look up a
client` finds each by its ID number (`POST /clients/lookup`: the lookup key's secret is read once
per container, so a warm request does not; each lookup appends its audit entry, a write undone and
replayed like the others) and `client overview` reads each one's overview (its record, its
complaint and questionnaire, the person's accounts); `list a branch's complaints` is
`GET /complaints` as the supervisor of another branch, which has `LISTED` complaints: the first
page, 50. The requests are measured one after another, each in a block.
The year's working calendar is loaded first, as in production. moto's Query walks the whole
table and every match before it applies a limit (DynamoDB's cost is the page's), so the listed
branch has `LISTED` complaints in either run and the tables stay at hundreds of items: the
baseline is not padded by moto's scanning.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, thread_time
from typing import Any
from unittest import mock

import boto3
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from crm import topology
from crm.local import provision, state
from crm.local.front import RouteTable, proxy_event
from crm.local.invoke import Invoker
from crm.local.tokens import TokenIssuer
from tests.bench import moto_speedups
from tests.bench.results import Figure
from tests.integration.harness import person_of

SECTION = "P2 warm request"
TARGET = 1.5
WARMUP = 5  # requests of each kind before any is timed
SMOKE_WARMUP = 3
REPETITIONS = 120  # timed, per request (full run)
SMOKE_REPETITIONS = 8
LISTED = 51  # complaints in the listed branch: one more than its first page (50)
REGION = "us-east-1"
REPO = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-05-06T10:00:00+08:00")  # the complaint sample's request time
NOW_MS = int(NOW.timestamp() * 1000)

_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_original_make_api_call = BaseClient._make_api_call


# --- recording what the handler sends, and undoing its writes ---------------------------------


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    answer: dict[str, Any] | None = None
    error: str | None = None  # the error code of a call that failed


SavedItem = tuple[Table, DynamoType, DynamoType | None, Item | None]


@dataclass
class Recording:
    calls: list[Call] = field(default_factory=list)
    saved: dict[tuple[str, Any, Any], SavedItem] = field(default_factory=dict)
    streams: dict[str, tuple[Table, int]] = field(default_factory=dict)  # table name → records before
    own_cpu_s: float = 0.0  # the recorder's own time, taken off the handler's
    own_wall_s: float = 0.0
    calls_cpu_s: float = 0.0  # CPU time inside the recorded calls (botocore and moto)


class Recorder:
    """Wraps `BaseClient._make_api_call` while `installed()`; records while `recording()`."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self.backend = backend
        self.current: Recording | None = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        recorder = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            recording = recorder.current
            if recording is None:
                return _original_make_api_call(client, operation, params)
            cpu, wall = thread_time(), perf_counter()
            service = client.meta.service_model.service_name
            if service == "dynamodb" and operation in _WRITES:
                recorder._save(recording, operation, params)
            call = Call(service, operation, params)
            recording.calls.append(call)
            recording.own_wall_s += perf_counter() - wall
            recording.own_cpu_s += thread_time() - cpu
            cpu = thread_time()
            try:
                call.answer = _original_make_api_call(client, operation, params)
            except ClientError as exc:
                call.error = exc.response.get("Error", {}).get("Code", "?")
                raise
            finally:
                recording.calls_cpu_s += thread_time() - cpu
            return call.answer

        with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
            yield

    @contextmanager
    def recording(self) -> Iterator[Recording]:
        self.current = Recording()
        try:
            yield self.current
        finally:
            self.current = None

    def _save(self, recording: Recording, operation: str, params: dict[str, Any]) -> None:
        for table_name, key in _written_keys(operation, params):
            table = self.backend.get_table(table_name)
            if table_name not in recording.streams:
                shard = table.stream_shard
                recording.streams[table_name] = (table, len(shard.items) if shard is not None else 0)
            hash_key, range_key = self.backend.get_keys_value(table, key)
            ident = (table_name, hash_key, range_key)
            if ident not in recording.saved:
                # not `table.get_item`: on a table with a sort key it makes the partition it looks in
                items: Any = table.items  # hash key → item, or hash key → sort key → item
                before = items.get(hash_key)
                if range_key is not None:
                    before = (before or {}).get(range_key)
                recording.saved[ident] = (table, hash_key, range_key, copy.deepcopy(before))

    @staticmethod
    def undo(recording: Recording) -> None:
        """The tables as they were before the recorded calls: items and stream records."""
        for table, hash_key, range_key, item in recording.saved.values():
            moto_speedups.invalidate(table)
            items: Any = table.items
            if range_key is None:
                if item is None:
                    items.pop(hash_key, None)
                else:
                    items[hash_key] = item
            elif item is None:
                partition = items.get(hash_key)
                if partition is not None:
                    partition.pop(range_key, None)
                    if not partition:
                        del items[hash_key]
            else:
                items[hash_key][range_key] = item
        for table, length in recording.streams.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _written_keys(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, key or whole item) of every item a write request names."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        yield params["TableName"], params.get("Item") or params["Key"]
    elif operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            ((action, spec),) = entry.items()
            if action != "ConditionCheck":
                yield spec["TableName"], spec.get("Item") or spec["Key"]
    elif operation == "BatchWriteItem":
        for table_name, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    yield table_name, request["PutRequest"]["Item"]
                else:
                    yield table_name, request["DeleteRequest"]["Key"]


# --- the bare client's replay -----------------------------------------------------------------


class Bare:
    """Bare boto3 clients (one per service, made once) replaying recorded calls by their methods."""

    def __init__(self) -> None:
        self.clients: dict[str, BaseClient] = {}
        self.methods: dict[tuple[str, str], Callable[..., Any]] = {}

    def prepare(self, calls: list[Call]) -> list[tuple[Callable[..., Any], dict[str, Any]]]:
        """The bound methods and parameters to call: looked up before the clock starts."""
        prepared = []
        for call in calls:
            key = (call.service, call.operation)
            if key not in self.methods:
                client = self.clients.get(call.service)
                if client is None:
                    client = self.clients[call.service] = boto3.client(call.service, region_name=REGION)
                names = {operation: method for method, operation in client.meta.method_to_api_mapping.items()}
                self.methods[key] = getattr(client, names[call.operation])
            prepared.append((self.methods[key], call.params))
        return prepared

    @staticmethod
    def replay(prepared: list[tuple[Callable[..., Any], dict[str, Any]]]) -> tuple[float, float, list[Any]]:
        """The calls made one after another: CPU and wall seconds, and their answers."""
        answers: list[Any] = []
        wall, cpu = perf_counter(), thread_time()
        for method, params in prepared:
            try:
                answers.append(method(**params))
            except ClientError as exc:
                answers.append(exc)
        cpu, wall = thread_time() - cpu, perf_counter() - wall
        return cpu, wall, answers


def _same(call: Call, answer: Any) -> bool:
    if isinstance(answer, ClientError):
        return call.error == answer.response.get("Error", {}).get("Code", "?")
    if call.error is not None or call.answer is None:
        return False
    if call.operation == "PutObject":  # a new version each time (its id), of a body botocore has streamed once
        return set(call.answer) == set(answer)
    strip = ("ResponseMetadata",)
    return {k: v for k, v in call.answer.items() if k not in strip} == {
        k: v for k, v in answer.items() if k not in strip
    }


# --- the requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    role: str
    user: str
    branch: str | None


SUPERVISOR_B1 = Caller("supervisor", "sup-b1", "B1")
SUPERVISOR_B2 = Caller("supervisor", "sup-b2", "B2")
HQ = Caller("hq", "hq-1", None)

QUESTIONNAIRE = {
    "answers": {
        "1": "D",
        "2": "B",
        "3": "D",
        "4": "B",
        "5": "B",
        "6": "B",
        "7": "B",
        "8": "B",
        "9": ["A", "C"],
        "10": "A",
        "11": "C",
        "12": "D",
    },
    "paper_ref": "ARCH-2026-000123",
}


def new_client(client_id: str, branch: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": "张三",
        **person_of(client_id),  # a person of its own: one holds five accounts at most
        "email": "zhang.san@example.com",
        "branch_id": branch,
        "manager_id": f"mgr-{branch.lower()}-1",
        "opened_on": "2020-05-18",
    }


def new_complaint(client_id: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "channel": "regulator",
        "category": "efficiency",
        "content": "12386转办：开户等待时间过长",
        "referral_ref": "12386-2026-000731",
        "received_at": "2026-04-30T10:00:00+08:00",
    }


class Api:
    """API Gateway proxy events, as the local gateway builds them, given to the real handlers."""

    def __init__(self) -> None:
        self.invoker = Invoker()
        self.routes = RouteTable()
        issuer = TokenIssuer(secret=b"benchmark-secret-of-32-bytes-at-least", issuer="https://crm.bench")
        self._issuer = issuer
        self._claims: dict[Caller, dict[str, str]] = {}

    def claims(self, caller: Caller) -> dict[str, str]:
        if caller not in self._claims:
            token = self._issuer.mint(role=caller.role, user=caller.user, branch=caller.branch, now=datetime.now(UTC))
            self._claims[caller] = self._issuer.verify(f"Bearer {token}")
        return self._claims[caller]

    def event(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        caller: Caller = SUPERVISOR_B1,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[topology.Function, dict[str, Any]]:
        matched = self.routes.match(method, path)
        if matched is None:
            raise LookupError(f"no route {method} {path}")
        compiled, parameters = matched
        sent = {"Content-Type": "application/json", "Authorization": "Bearer <verified by the authorizer>"}
        sent.update(headers or {})
        event = proxy_event(
            compiled=compiled,
            path=path,
            path_parameters=parameters,
            query=query,
            headers=sent,
            body=json.dumps(body).encode() if body is not None else b"",
            claims=self.claims(caller),
            source_ip="10.0.0.1",
            now_ms=NOW_MS,
        )
        return compiled.function, event

    def call(self, function: topology.Function, event: dict[str, Any], expect: int) -> dict[str, Any]:
        response: dict[str, Any] = self.invoker.invoke(function, event)
        if response.get("statusCode") != expect:
            raise AssertionError(
                f"{event['httpMethod']} {event['path']}: {response.get('statusCode')} {response.get('body')}"
            )
        return response


@dataclass(frozen=True)
class Request:
    name: str
    expect: int
    make: Callable[[int], tuple[topology.Function, dict[str, Any]]]  # repetition → event


def requests(api: Api, clients: list[str]) -> list[Request]:
    """The seven requests, in this order: repetition n of each is about the n-th of `clients`
    (which the first request registers in branch B1); the listing is branch B2's (`seed`)."""

    def create_client(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("POST", "/clients", new_client(clients[n], "B1"))

    def submit_questionnaire(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("POST", f"/clients/{clients[n]}/questionnaires", QUESTIONNAIRE)

    def create_complaint(n: int) -> tuple[topology.Function, dict[str, Any]]:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        return api.event("POST", "/complaints", new_complaint(clients[n]), headers=key)

    def read_client(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("GET", f"/clients/{clients[n]}")

    def look_up_client(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("POST", "/clients/lookup", {"id_number": person_of(clients[n])["id_number"]})

    def client_overview(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("GET", f"/clients/{clients[n]}/overview")

    def list_complaints(n: int) -> tuple[topology.Function, dict[str, Any]]:
        return api.event("GET", "/complaints", caller=SUPERVISOR_B2)

    return [
        Request("create client", 201, create_client),
        Request("submit a questionnaire", 201, submit_questionnaire),
        Request("create a complaint", 201, create_complaint),
        Request("read a client", 200, read_client),
        Request("look up a client", 200, look_up_client),
        Request("client overview", 200, client_overview),
        Request("list a branch's complaints", 200, list_complaints),
    ]


def seed(api: Api) -> None:
    """The year's working calendar, loaded by HQ as in production (the deadlines count on it), and
    branch B2's `LISTED` complaints about one of its clients, all through the handlers. moto's
    Query reads every match before it applies the limit, so the branch holds one more than a page
    and no more, in the smoke run and the full one alike."""
    calendar = {"holidays": ["2026-05-01", "2026-05-04", "2026-05-05"], "workdays": ["2026-05-09"]}
    api.call(*api.event("PUT", "/calendar/2026", calendar, caller=HQ), 200)
    for branch in ("B1", "B2"):  # the managers the clients name, on the staff register
        manager = {"name": "张经理", "role": "manager", "branch_id": branch, "active": True}
        api.call(*api.event("PUT", f"/staff/{new_client('', branch)['manager_id']}", manager, caller=HQ), 200)
    api.call(*api.event("POST", "/clients", new_client("L000001", "B2"), caller=SUPERVISOR_B2), 201)
    for _ in range(LISTED):
        api.call(*api.event("POST", "/complaints", new_complaint("L000001"), caller=SUPERVISOR_B2), 201)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Measured:
    request: str
    handler_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    handler_wall_ms: list[float] = field(default_factory=list)
    bare_wall_ms: list[float] = field(default_factory=list)
    calls_ms: list[float] = field(default_factory=list)  # the handler's time inside its AWS calls
    blocked: int = 0  # voluntary context switches during the timed calls: none if CPU-bound
    dynamodb_requests: int = 0
    operations: dict[str, int] = field(default_factory=dict)
    other_calls: int = 0
    last: list[tuple[Call, Any]] = field(default_factory=list)  # the last repetition's calls and bare answers


def measure(request: Request, api: Api, recorder: Recorder, bare: Bare, *, warmup: int, repetitions: int) -> Measured:
    measured = Measured(request.name)
    for n in range(warmup + repetitions):
        function, event = request.make(n)
        switches = _voluntary_switches()
        with recorder.recording() as recording:
            wall, cpu = perf_counter(), thread_time()
            response = api.invoker.invoke(function, event)
            cpu, wall = thread_time() - cpu - recording.own_cpu_s, perf_counter() - wall - recording.own_wall_s
        switches = _voluntary_switches() - switches
        if response.get("statusCode") != request.expect:
            raise AssertionError(f"{request.name}: {response.get('statusCode')} {response.get('body')}")
        calls = recording.calls
        for call in calls:  # what botocore was given, as it was given (a replay must not see later edits)
            call.params = copy.deepcopy(call.params)
        prepared = bare.prepare(calls)
        Recorder.undo(recording)
        before_replay = _voluntary_switches()
        bare_cpu, bare_wall, answers = bare.replay(prepared)
        switches += _voluntary_switches() - before_replay
        for call, answer in zip(calls, answers, strict=True):
            if not _same(call, answer):
                raise AssertionError(
                    f"{request.name}: the replay of {call.operation} differs:\n{call.answer}\n{answer}"
                )
        measured.last = list(zip(calls, answers, strict=True))
        if n < warmup:
            continue
        measured.blocked += switches
        measured.handler_ms.append(cpu * 1000)
        measured.bare_ms.append(bare_cpu * 1000)
        measured.handler_wall_ms.append(wall * 1000)
        measured.calls_ms.append(recording.calls_cpu_s * 1000)
        measured.bare_wall_ms.append(bare_wall * 1000)
        operations: dict[str, int] = {}
        for call in calls:
            if call.service == "dynamodb":
                operations[call.operation] = operations.get(call.operation, 0) + 1
        if not measured.operations:
            measured.operations = operations
            measured.dynamodb_requests = sum(operations.values())
            measured.other_calls = sum(1 for call in calls if call.service != "dynamodb")
        elif operations != measured.operations:
            raise AssertionError(
                f"{request.name}: calls changed between repetitions: {operations} ≠ {measured.operations}"
            )
    return measured


def _voluntary_switches() -> int:
    """This thread's voluntary context switches so far: a wait for I/O, a lock or a sleep."""
    return resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def figure(measured: Measured) -> Figure:
    handler, bare = statistics.median(measured.handler_ms), statistics.median(measured.bare_ms)
    ratios = [h / b for h, b in zip(measured.handler_ms, measured.bare_ms, strict=True)]
    halves = [statistics.median(ratios[i::2]) for i in (0, 1)]
    h1, _, h3 = _quartiles(measured.handler_ms)
    b1, _, b3 = _quartiles(measured.bare_ms)
    calls = statistics.median(measured.calls_ms)
    return Figure(
        section=SECTION,
        name=measured.request,
        value=handler,
        baseline=bare,
        unit="ms",
        limit=TARGET,
        spread=(
            ("" if not measured.blocked else f"{measured.blocked} waits off CPU! ")
            + f"CPU, n={len(ratios)}, {measured.dynamodb_requests} DynamoDB requests; IQR handler {h1:.1f}–{h3:.1f}, "
            f"bare {b1:.1f}–{b3:.1f} ms; paired ratio {statistics.median(ratios):.2f}×, halves "
            f"{halves[0]:.2f}/{halves[1]:.2f}×"
        ),
        detail={
            "dynamodb_requests": measured.dynamodb_requests,
            "operations": measured.operations,
            "other_aws_calls": measured.other_calls,
            "repetitions": len(ratios),
            "clock": "thread CPU time (time.thread_time)",
            "median_paired_ratio": round(statistics.median(ratios), 4),
            "halves_paired_ratio": [round(half, 4) for half in halves],
            "handler_in_its_calls_ms": round(calls, 3),
            "handler_own_ms": round(handler - calls, 3),
            "voluntary_switches": measured.blocked,
            "wall_median_ms": {
                "handler": round(statistics.median(measured.handler_wall_ms), 3),
                "bare": round(statistics.median(measured.bare_wall_ms), 3),
            },
            "handler_ms": [round(v, 3) for v in measured.handler_ms],
            "bare_ms": [round(v, 3) for v in measured.bare_ms],
        },
    )


def _backend() -> DynamoDBBackend:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


@contextmanager
def _moto() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        stack.enter_context(moto_speedups.installed())
        provision.create_tables(boto3.client("dynamodb", region_name=REGION))
        provision.create_buckets(boto3.client("s3", region_name=REGION))
        provision.create_user_pool(boto3.client("cognito-idp", region_name=REGION))
        provision.create_secrets(boto3.client("secretsmanager", region_name=REGION), state.keys(None))
        yield


def run(*, warmup: int, repetitions: int) -> list[Measured]:
    with _moto():
        api = Api()
        seed(api)
        recorder = Recorder(_backend())
        bare = Bare()
        clients = [f"W{n:06d}" for n in range(warmup + repetitions)]
        with recorder.installed():
            return [
                measure(request, api, recorder, bare, warmup=warmup, repetitions=repetitions)
                for request in requests(api, clients)
            ]


# --- where the handler's own time goes ----------------------------------------------------------


def profile(name: str, *, repetitions: int = 200, top: int = 45) -> str:
    """The named request's handler with every AWS call answered at once from a recording of the
    same request (the bare client's answers): what is left is the handler's own time. Its CPU
    time unprofiled (median), then a cProfile of it by cumulative time, in ms per request."""
    import cProfile
    import pstats

    chosen = [request.name for request in requests(Api(), [])]
    if name not in chosen:
        raise SystemExit(f"no request {name!r}: one of {', '.join(map(repr, chosen))}")
    with warnings.catch_warnings(), _moto():
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
        api = Api()
        seed(api)
        recorder = Recorder(_backend())
        bare = Bare()
        clients = [f"W{n:06d}" for n in range(WARMUP + 1)]
        with recorder.installed():
            for request in requests(api, clients):
                measured = measure(request, api, recorder, bare, warmup=WARMUP, repetitions=1)
                if request.name == name:
                    break
        if any(isinstance(answer, ClientError) for _, answer in measured.last):
            raise SystemExit(f"{name}: a call failed; answering it from a recording is not done here")
        script = [(call.operation, answer) for call, answer in measured.last]
        total = 2 * repetitions + WARMUP
        answers = iter([(operation, copy.deepcopy(answer)) for _ in range(total) for operation, answer in script])

        def answered(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            expected, answer = next(answers)
            if operation != expected:
                raise AssertionError(f"{name}: {operation} where the recording has {expected}")
            return answer

        own: list[float] = []
        profiler = cProfile.Profile(thread_time)
        with mock.patch.object(BaseClient, "_make_api_call", answered):
            for n in range(total):
                function, event = request.make(WARMUP)
                if n < WARMUP + repetitions:
                    cpu = thread_time()
                    api.call(function, event, request.expect)
                    if n >= WARMUP:
                        own.append((thread_time() - cpu) * 1000)
                else:
                    profiler.enable()
                    api.call(function, event, request.expect)
                    profiler.disable()
    stats = pstats.Stats(profiler)
    listed: Any = stats.stats  # type: ignore[attr-defined]  # pstats' own table, undocumented but stable
    rows = sorted(listed.items(), key=lambda row: row[1][3], reverse=True)
    lines = [
        f"{name}: {len(script)} AWS calls answered from a recording ({', '.join(op for op, _ in script)})",
        f"handler's own CPU time, unprofiled: median {statistics.median(own):.2f} ms per request "
        f"(IQR {_quartiles(own)[0]:.2f}–{_quartiles(own)[2]:.2f}, n={len(own)})",
        f"cProfile (CPU clock), {repetitions} requests; ms per request (profiled, so inflated):",
        f"{'cumulative':>10} {'own':>8} {'calls':>7}  function",
    ]
    for (path, line, function), (_, calls, own_s, cumulative_s, _) in rows[:top]:
        where = path.split("site-packages/")[-1].replace(str(REPO) + "/", "")
        lines.append(
            f"{cumulative_s * 1000 / repetitions:10.3f} {own_s * 1000 / repetitions:8.3f} {calls / repetitions:7.1f}  "
            f"{where}:{line}({function})"
        )
    return "\n".join(lines)


def figures(*, smoke: bool = False, repetitions: int | None = None) -> list[Figure]:
    count = repetitions or (SMOKE_REPETITIONS if smoke else REPETITIONS)
    with warnings.catch_warnings():
        # Powertools' metrics decorator says so on every request that published none: noise here
        warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
        measured = run(warmup=SMOKE_WARMUP if smoke else WARMUP, repetitions=count)
    return [figure(each) for each in measured]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--repetitions", type=int, default=None)
    parser.add_argument("--profile", metavar="REQUEST", help="where that request's handler time goes, instead")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.profile, repetitions=args.repetitions or 200))
        return 0
    start = perf_counter()
    measured = figures(smoke=args.smoke, repetitions=args.repetitions)
    for item in measured:
        print(item.line(), flush=True)
    print(f"{perf_counter() - start:.1f} s")
    return 0 if args.smoke or all(item.holds for item in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
