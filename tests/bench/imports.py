"""P8 imports (issue 21): what a bulk import costs per row — DynamoDB requests, items and request
units of the import's own workers and of the stream work it sets off — how fast the import-rows
worker's logic is against reading the CSV, and the import-jobs worker's memory at 10× the file.

    python -m tests.bench --only P8 [--smoke]
    python -m tests.bench.imports [--smoke] [--rows 1000]

1. **Per row**, on in-process moto with the topology's tables, buckets and queues
   (`moto_speedups` installed): a book of N accounts imported as a `clients` file, their 2024
   figures as a `metrics` file, their 2025 figures (the year end: a class kept, changed, changed
   with the VIP status, assets fallen — a quarter each), and the 2025 file again (every row
   unchanged). Each import is created and started through `crm.services.imports` (what
   `POST /imports` and `/start` do), then its messages are delivered to the real `import_files`
   and `import_rows` handlers by `crm.local.queues.QueuePump` until both queues are empty, then the
   stream records it set off to every consumer by `crm.local.pump.StreamPump`, until every stream
   is quiet. Each invocation is attributed to its function (the invoker runs one at a time):
   DynamoDB requests and items (`counting.ItemCounter`), request units (`units.UnitCounter`),
   every other AWS call (S3, SQS, SNS), the thread's CPU time outside moto, and the records or
   messages it was given. Figures per row of the file: the import's requests (target ≤ 2 per
   metrics row, the issue's), items read and written; the stream work's requests and items, by
   consumer, each within what its P6 design allows for the records it got.
2. **Rows per second through the workers' logic alone**: the import-rows handler applying a chunk
   of 2025 metrics rows with every AWS call answered from a recording of the same invocation on
   moto (so everything runs but the wire: the SQS record, the rows read by the API's models, the
   decisions, PynamoDB's items and requests), against reading the same rows from the CSV file
   (`crm.domain.imports.read_rows`, the least an import does with a row) in the same run. Thread
   CPU time, best of interleaved repetitions. And the worker on moto (informative).
3. **Memory** of the import-jobs worker reading, chunking and sending a 10× larger file: the
   real handler in a process of its own as a Lambda container (`tests.bench.memory.Container`:
   the Lambda runtime's path, the function's declared environment) against moto's server in this
   process; its peak RSS at N and at 10×N rows (target ≤ 1.2×: constant in the file's size).

`python -m tests.bench.capacity` (`make capacity`) turns the per-row figures into capacity on
paper. How each is measured: tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import math
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from time import perf_counter, thread_time
from typing import Any
from unittest import mock

import botocore.client
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from crm import observability, rules, topology
from crm.data import imports as import_data
from crm.data.clients import records as client_records
from crm.domain.access import Grant, Identity, Role, Scope
from crm.domain.imports import ImportKind, ImportStatus, chunks_of, read_rows, upload_key
from crm.domain.time import BEIJING
from crm.local import provision
from crm.local.invoke import REGION, Invoker
from crm.local.pump import StreamPump
from crm.local.queues import QueuePump, lambda_record
from crm.local.sms import sent_sms
from crm.services import imports as import_service
from tests.bench import moto_speedups, roster
from tests.bench.counting import ItemCounter, Tally
from tests.bench.lookup import GIVEN, SURNAMES, id_number
from tests.bench.results import Figure
from tests.bench.streams import SCENARIOS, Limits, one_botocore_session
from tests.bench.units import UnitCounter, Units
from tests.integration.harness import CLASS_FIGURES, provisioned_clients, stream_arn

SECTION = "P8 imports"
IMPORT_TARGET = 2.0  # DynamoDB requests per metrics row in the import itself (issue 21)
# Items per row in the import: a metrics row reads its client's record and its year on record and
# writes the year; a chunk adds its bookkeeping (the job read twice, its plan and its settling).
METRICS_LIMITS = Limits(requests=IMPORT_TARGET, read=2.1, written=1.1)
# A clients row is registered as POST /clients registers it (crm.services.clients.register): the
# account looked up (the import's consistent GetItem), its manager on the register, the account
# again (register's own check), its person, then one transaction writing the record and the
# person — 5 requests, 1 item read (the manager; a new book's accounts and persons are not found),
# 2 written; the chunk's bookkeeping as for metrics.
CLIENTS_LIMITS = Limits(requests=5.1, read=1.1, written=2.1)
# The same metrics again: the reads as before, nothing written but the chunk's bookkeeping.
UNCHANGED_LIMITS = Limits(requests=IMPORT_TARGET, read=2.1, written=0.05)
LOGIC_LIMIT = 0.02  # worker logic ÷ CSV reading, in rows/s: see tests/bench/README.md's P8
MEMORY_LIMIT = 1.2

HQ = Grant(Identity("hq-bench", Role.HQ, None), Scope.ALL)
BRANCHES = 10
MANAGERS = 5  # per branch
YEAR_BEFORE, YEAR = 2024, 2025
# 2024 → 2025 class by account (as P6's reclassify scenario): kept, changed, changed with the VIP
# status, assets fallen by more than the at-risk share
MOVES = (("C", "C"), ("D", "C"), ("D", "A"), ("A", "E"))
IMPORT_FUNCTIONS = ("import_files", "import_rows")


@dataclass(frozen=True)
class Sizes:
    rows: int  # rows of each file of the per-row measurement
    memory_rows: tuple[int, int]  # the metrics files the import-jobs worker reads, N and 10×N
    timed_rows: int  # rows the logic timing applies per repetition, at least
    repeats: int


FULL = Sizes(rows=1_000, memory_rows=(10_000, 100_000), timed_rows=2_000, repeats=7)
SMOKE = Sizes(rows=20, memory_rows=(1_000, 10_000), timed_rows=200, repeats=3)


# --- the files --------------------------------------------------------------------------------------


def client_id(n: int) -> str:
    return f"M{n:07d}"


def book_row(n: int) -> str:
    """The n-th account of the book: a person of its own, opened in 2019 (a migrated account:
    no opening SMS, no new_account callback), managed in one of ten branches."""
    branch = n % BRANCHES
    born = date(1950, 1, 1) + timedelta(days=n // 1000)
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
    opened = date(2019, 1, 2) + timedelta(days=n % 300)
    return ",".join(
        (
            client_id(n),
            name,
            id_number(born, n),
            f"139{n:08d}",
            "",
            born.isoformat(),
            f"B{branch:02d}",
            manager_of(n),
            opened.isoformat(),
        )
    )


def manager_of(n: int) -> str:
    return f"mgr-b{n % BRANCHES:02d}-{(n // BRANCHES) % MANAGERS}"


def metrics_row(n: int, year: int) -> str:
    client_class = MOVES[n % len(MOVES)][0 if year == YEAR_BEFORE else 1]
    assets, avg_assets, volume = CLASS_FIGURES[client_class]
    # small offsets per account, far from every edge (tests.integration.harness.CLASS_FIGURES)
    return f"{client_id(n)},{year},{assets + 7 * n + year % 10}.50,{avg_assets + 3 * n},{volume + 11 * n}"


def csv_file(kind: ImportKind, lines: Iterator[str] | list[str]) -> bytes:
    header = ",".join(rules.imports().columns_of(kind))
    return ("\r\n".join((header, *lines)) + "\r\n").encode("utf-8")


def book_file(rows: int) -> bytes:
    return csv_file(ImportKind.CLIENTS, [book_row(n) for n in range(rows)])


def metrics_file(rows: int, year: int) -> bytes:
    return csv_file(ImportKind.METRICS, [metrics_row(n, year) for n in range(rows)])


# --- what each invocation did, by function ------------------------------------------------------------


@dataclass
class Work:
    """One function's invocations during a phase, added up."""

    invocations: int = 0
    records: Counter[str] = field(default_factory=Counter)  # given, by source (table or queue)
    tally: Tally = field(default_factory=Tally)
    units: Units = field(default_factory=Units)
    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation", every AWS call
    billed: Counter[str] = field(default_factory=Counter)  # SQS requests as billed (per 64 KB)
    sent_bytes: Counter[str] = field(default_factory=Counter)  # message bodies sent, by operation
    cpu_s: float = 0.0  # the thread's CPU time, less moto's
    moto_s: float = 0.0  # the thread's CPU time inside moto (its answers)
    wall_s: float = 0.0
    max_cpu_s: float = 0.0  # of one invocation

    def add_tally(self, other: Tally) -> None:
        self.tally.requests.update(other.requests)
        self.tally.read.update(other.read)
        self.tally.written.update(other.written)
        self.tally.failed += other.failed

    @property
    def requests(self) -> int:
        return sum(self.tally.requests.values())

    def summary(self) -> dict[str, Any]:
        return {
            "invocations": self.invocations,
            "records": dict(self.records),
            "requests": self.requests,
            "operations": dict(sorted(self.tally.requests.items())),
            "items_read": self.tally.items_read,
            "items_written": self.tally.items_written,
            "items_read_by_table": dict(self.tally.read),
            "items_written_by_table": dict(self.tally.written),
            "failed_requests": self.tally.failed,
            "units": self.units.summary(),
            "aws_calls": dict(sorted(self.calls.items())),
            "sqs_billed_requests": dict(self.billed),
            "sent_bytes": dict(self.sent_bytes),
            "cpu_s": round(self.cpu_s, 4),
            "moto_cpu_s": round(self.moto_s, 4),
            "wall_s": round(self.wall_s, 4),
            "max_invocation_cpu_s": round(self.max_cpu_s, 4),
        }


SQS_BILLING_BYTES = 64 * 1024


class Calls:
    """Every AWS call made through botocore (`BaseClient._make_api_call`) while `work` is set; and,
    while `recording`, the operation and answer of each (for the logic timing's replay)."""

    def __init__(self) -> None:
        self.work: Work | None = None
        self.recording: list[tuple[str, Any]] | None = None
        self.overhead_s = 0.0  # CPU time spent recording

    @contextmanager
    def installed(self) -> Iterator[None]:
        original = botocore.client.BaseClient._make_api_call
        calls = self

        def make_api_call(client: Any, operation_name: str, params: dict[str, Any]) -> Any:
            work = calls.work
            if work is not None:
                service = client.meta.service_model.service_name
                work.calls[f"{service}:{operation_name}"] += 1
                if service == "sqs" and operation_name in ("SendMessage", "SendMessageBatch"):
                    bodies = [params["MessageBody"]] if "MessageBody" in params else []
                    bodies += [entry["MessageBody"] for entry in params.get("Entries", [])]
                    size = sum(len(body.encode("utf-8")) for body in bodies)
                    work.sent_bytes[operation_name] += size
                    work.billed[operation_name] += max(1, -(-size // SQS_BILLING_BYTES))
            answer = original(client, operation_name, params)
            if calls.recording is not None:
                started = thread_time()
                calls.recording.append((operation_name, copy.deepcopy(answer)))
                calls.overhead_s += thread_time() - started  # the benchmark's, not the function's
            return answer

        with mock.patch.object(botocore.client.BaseClient, "_make_api_call", make_api_call):
            yield


class MotoClock:
    """The thread's CPU time spent inside moto (botocore's `before-send` stub answers every request
    in this thread): what AWS would spend, not the function."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def installed(self) -> Iterator[None]:
        original = BotocoreStubber.__call__
        clock = self

        def timed(stubber: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
            started = thread_time()
            try:
                return original(stubber, *args, **kwargs)
            finally:
                clock.seconds += thread_time() - started

        with mock.patch.object(BotocoreStubber, "__call__", timed):
            yield


class AttributingInvoker(Invoker):
    """Runs each function like `crm.local.invoke.Invoker` (one invocation at a time) and, while
    `measuring`, adds what each invocation did to its function's `Work`. Powertools' metrics are
    off here and cleared after each invocation (they would pile up and print)."""

    def __init__(self, counter: ItemCounter, units: UnitCounter, calls: Calls, clock: MotoClock) -> None:
        super().__init__()
        self.counter, self.unit_counter, self.calls, self.clock = counter, units, calls, clock
        self.measuring = False
        self.work: dict[str, Work] = {}
        self.record_next: str | None = None  # a function whose next invocation's calls are recorded
        self.recorded: tuple[dict[str, Any], list[tuple[str, Any]]] | None = None

    def invoke(self, function: topology.Function, event: dict[str, Any]) -> Any:
        self.handler(function)  # loaded before any clock starts: a warm container
        if not self.measuring:
            return self._quiet(function, event)
        work = self.work.setdefault(function.name, Work())
        recording = self.record_next == function.name
        if recording:
            self.record_next, self.calls.recording = None, []
            sent = copy.deepcopy(event)
        self.calls.work = work
        moto_before, overhead_before = self.clock.seconds, self.calls.overhead_s
        # The collector's passes would walk moto's heap (every item of every table): this process's
        # cost, not the function's, whose heap is its own. It runs between invocations instead.
        gc.disable()
        with self.counter.measuring() as tally, self.unit_counter.measuring() as units:
            wall, cpu = perf_counter(), thread_time()
            try:
                return self._quiet(function, event)
            finally:
                gc.enable()
                cpu = thread_time() - cpu - (self.calls.overhead_s - overhead_before)
                wall = perf_counter() - wall
                self.calls.work = None
                moto = self.clock.seconds - moto_before
                work.invocations += 1
                work.records.update(_source(record) for record in event.get("Records", []))
                work.add_tally(tally)
                work.units.add(units)
                work.cpu_s += cpu - moto
                work.moto_s += moto
                work.wall_s += wall
                work.max_cpu_s = max(work.max_cpu_s, cpu - moto)
                if recording:
                    self.recorded = (sent, self.calls.recording or [])
                    self.calls.recording = None

    def _quiet(self, function: topology.Function, event: dict[str, Any]) -> Any:
        try:
            return super().invoke(function, event)
        finally:
            observability.metrics.clear_metrics()

    def take(self) -> dict[str, Work]:
        work, self.work = self.work, {}
        return work


def _source(record: dict[str, Any]) -> str:
    """The table (a stream record) or queue (an SQS message) a record came from."""
    arn = str(record.get("eventSourceARN", ""))
    if ":table/" in arn:
        return arn.split(":table/", 1)[1].split("/", 1)[0].removeprefix("crm-")
    return arn.rsplit(":", 1)[-1].removeprefix("crm-")


# --- the world: moto, the queues and streams, the pumps -------------------------------------------------


@dataclass
class World:
    aws: dict[str, Any]
    invoker: AttributingInvoker
    stream_pumps: list[StreamPump]
    queue_pumps: list[QueuePump]
    imports: int = 0

    def settle_streams(self) -> None:
        """Every pending stream record delivered, round after round (what one consumer writes feeds others)."""
        for _ in range(50):
            busy = False
            for pump in self.stream_pumps:
                while pump.poll_once():
                    busy = True
            if not busy:
                return
        raise AssertionError("the streams did not settle")

    def settle_queues(self) -> None:
        for _ in range(50):
            busy = False
            for pump in self.queue_pumps:
                while pump.poll_once():
                    busy = True
            if not busy:
                return
        raise AssertionError("the import queues did not settle")

    def check_pumps(self) -> None:
        failed = {pump.name: pump.stats.as_dict() for pump in self.stream_pumps if pump.stats.retries}
        failed |= {p.name: p.stats.as_dict() for p in self.stream_pumps if p.stats.dead_lettered}
        failed |= {pump.name: pump.stats.as_dict() for pump in self.queue_pumps if pump.stats.failed}
        if failed:
            raise AssertionError(f"records or messages failed: {failed}")


@contextmanager
def world() -> Iterator[World]:
    counter, units, calls, clock = ItemCounter(), UnitCounter(), Calls(), MotoClock()
    with ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        # Powertools warns on every invocation that emits no business metric (pyproject.toml)
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        stack.enter_context(one_botocore_session())
        stack.enter_context(moto_speedups.installed())
        stack.enter_context(counter.installed())
        stack.enter_context(units.installed())
        stack.enter_context(mock_aws())
        stack.enter_context(calls.installed())
        stack.enter_context(clock.installed())
        aws = provisioned_clients()
        failure_queues = provision.create_queues(aws["sqs"])
        work_queues = provision.create_work_queues(aws["sqs"])
        provision.create_bus(aws["events"], aws["sqs"])
        invoker = AttributingInvoker(counter, units, calls, clock)
        stream_pumps = [
            StreamPump(
                fn,
                source,
                streams=aws["dynamodbstreams"],
                sqs=aws["sqs"],
                stream_arn=stream_arn(aws["dynamodb"], source.table),
                failure_queue_url=failure_queues[fn.name],
                invoker=invoker,
            )
            for fn in topology.FUNCTIONS
            for source in fn.streams
        ]
        queue_pumps = [
            QueuePump(fn, source, sqs=aws["sqs"], queue=work_queues[source.queue.name], invoker=invoker, backoff_s=0)
            for fn in topology.FUNCTIONS
            for source in fn.queues
        ]
        yield World(aws, invoker, stream_pumps, queue_pumps)


# --- one import, measured ----------------------------------------------------------------------------------


@dataclass
class Phase:
    """One import: its file, its outcome, and what each function did for it."""

    name: str
    kind: ImportKind
    rows: int
    file_bytes: int
    counts: dict[str, int]
    chunks: int
    work: dict[str, Work]
    import_wall_s: float
    stream_wall_s: float

    def part(self, names: tuple[str, ...] | None = None, *, streams: bool = False) -> Work:
        """The import's functions' work added up (or the stream consumers', or the named ones')."""
        total = Work()
        for name, work in self.work.items():
            if names is not None and name not in names:
                continue
            if names is None and (name in IMPORT_FUNCTIONS) == streams:
                continue
            total.invocations += work.invocations
            total.records.update(work.records)
            total.add_tally(work.tally)
            total.units.add(work.units)
            total.calls.update(work.calls)
            total.billed.update(work.billed)
            total.sent_bytes.update(work.sent_bytes)
            total.cpu_s += work.cpu_s
            total.moto_s += work.moto_s
            total.wall_s += work.wall_s
            total.max_cpu_s = max(total.max_cpu_s, work.max_cpu_s)
        return total

    @property
    def consumers(self) -> list[str]:
        return sorted(name for name in self.work if name not in IMPORT_FUNCTIONS)

    def summary(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "kind": self.kind.value,
            "rows": self.rows,
            "file_bytes": self.file_bytes,
            "chunks": self.chunks,
            "counts": self.counts,
            "import_wall_s": round(self.import_wall_s, 2),
            "stream_wall_s": round(self.stream_wall_s, 2),
            "functions": {name: work.summary() for name, work in sorted(self.work.items())},
        }


def run_import(
    w: World, name: str, kind: ImportKind, data: bytes, *, record: str | None = None, measure: bool = True
) -> Phase:
    """Create and start the import as the API does (uncounted), then deliver its messages to the
    workers and its stream records to the consumers, measuring each function."""
    w.imports += 1
    import_id = f"IMP-BENCH-{w.imports:04d}"
    now = datetime.now(BEIJING)
    import_service.create(HQ, kind, None, f"{name}.csv", now=now, import_id=import_id)
    w.aws["s3"].put_object(Bucket=topology.IMPORT_FILES.local_name, Key=upload_key(import_id), Body=data)
    import_service.start(HQ, import_id, now=now, expected=None)
    w.settle_streams()  # the job's creation and start (the API's): not the workers'
    w.invoker.measuring = measure
    w.invoker.record_next = record
    started = perf_counter()
    w.settle_queues()
    import_wall = perf_counter() - started
    started = perf_counter()
    w.settle_streams()
    stream_wall = perf_counter() - started
    w.settle_queues()  # nothing: the streams send no message
    w.invoker.measuring = False
    w.check_pumps()
    job = import_data.require(import_id)
    if job.status is not ImportStatus.COMPLETE:
        raise AssertionError(f"{name}: the import is {job.status}: {job.problem}")
    counts = {
        "rows": job.counts.rows,
        "succeeded": job.counts.succeeded,
        "failed": job.counts.failed,
        "unchanged": job.counts.unchanged,
    }
    return Phase(
        name,
        kind,
        job.counts.rows,
        len(data),
        counts,
        int(job.chunks_total or 0),
        w.invoker.take(),
        import_wall,
        stream_wall,
    )


def _expect(phase: Phase, rows: int, *, unchanged: int) -> None:
    wanted = {"rows": rows, "succeeded": rows, "failed": 0, "unchanged": unchanged}
    if phase.counts != wanted:
        raise AssertionError(f"{phase.name}: counts {phase.counts}, not {wanted}")


def _check_classes(rows: int, year: int) -> None:
    """Every account in the class its figures give (the stream's reclassification followed)."""
    for n in range(rows):
        wanted = MOVES[n % len(MOVES)][0 if year == YEAR_BEFORE else 1]
        found = client_records.get(client_id(n), consistent=True)
        if found is None or found.client_class != wanted:
            raise AssertionError(f"{client_id(n)} is not in class {wanted} after the {year} figures: {found}")


@dataclass
class Measured:
    clients: Phase
    first_metrics: Phase
    metrics: Phase
    unchanged: Phase
    logic: LogicTiming


def measure(sizes: Sizes) -> Measured:
    rows = sizes.rows
    with world() as w:
        roster.managers(
            (f"B{branch:02d}", f"mgr-b{branch:02d}-{m}") for branch in range(BRANCHES) for m in range(MANAGERS)
        )
        w.settle_streams()
        clients = run_import(w, "clients", ImportKind.CLIENTS, book_file(rows))
        _expect(clients, rows, unchanged=0)
        if sent_sms():
            raise AssertionError(f"a migrated book was greeted: {sent_sms()[:3]}")
        first = run_import(w, "metrics-2024", ImportKind.METRICS, metrics_file(rows, YEAR_BEFORE))
        _expect(first, rows, unchanged=0)
        _check_classes(rows, YEAR_BEFORE)
        data = metrics_file(rows, YEAR)
        metrics = run_import(w, "metrics-2025", ImportKind.METRICS, data, record="import_rows")
        _expect(metrics, rows, unchanged=0)
        _check_classes(rows, YEAR)
        if w.invoker.recorded is None:
            raise AssertionError("no import_rows invocation was recorded")
        unchanged = run_import(w, "metrics-2025-again", ImportKind.METRICS, data)
        _expect(unchanged, rows, unchanged=rows)
        logic = time_logic(w.invoker, w.invoker.recorded, data, at_least=sizes.timed_rows, repeats=sizes.repeats)
    return Measured(clients, first, metrics, unchanged, logic)


# --- 2. the worker's logic alone ----------------------------------------------------------------------------


@dataclass
class LogicTiming:
    rows_per_chunk: int
    logic_rate: float  # rows/s through the import-rows handler, AWS answered from the recording
    read_rate: float  # rows/s through read_rows of the same file
    check_rate: float  # rows/s through the import-jobs worker's check of the file: read, chunk
    send_rate: float  # rows/s through its sending pass: read, chunk, each chunk's message
    ratios: list[float]
    calls: list[str]


def time_logic(
    invoker: AttributingInvoker,
    recorded: tuple[dict[str, Any], list[tuple[str, Any]]],
    data: bytes,
    *,
    at_least: int,
    repeats: int,
) -> LogicTiming:
    """The recorded import-rows invocation run again with each AWS call answered from its recording
    (the same answers in the same order: the same path through the code), against `read_rows` of
    the metrics file; CPU time of this thread, best of `repeats` interleaved repetitions."""
    event, answers = recorded
    function = topology.function("import_rows")
    rows_per_chunk = len(json.loads(event["Records"][0]["body"])["rows"])
    invocations = max(1, -(-at_least // rows_per_chunk))
    import_rules = rules.imports()
    file_rows = data.count(b"\n") - 1
    passes = max(1, -(-at_least // max(1, file_rows)))

    def replayed() -> float:
        queued = [copy.deepcopy(answers) for _ in range(invocations)]
        pending: list[tuple[str, Any]] = []

        def answer(client: Any, operation_name: str, params: dict[str, Any]) -> Any:
            expected, response = pending.pop(0)
            if expected != operation_name:
                raise AssertionError(f"the replay took another path: {operation_name}, recorded {expected}")
            return response

        with mock.patch.object(botocore.client.BaseClient, "_make_api_call", answer):
            started = thread_time()
            for calls in queued:
                pending[:] = calls
                result = invoker._quiet(function, event)
                if result and result.get("batchItemFailures"):
                    raise AssertionError(f"the replayed chunk failed: {result}")
            return thread_time() - started

    def reading() -> float:
        started = thread_time()
        for _ in range(passes):
            for _row in read_rows([data], ImportKind.METRICS, "utf-8", import_rules):
                pass
        return thread_time() - started

    def reader(send: bool) -> Callable[[], float]:
        """As `crm.services.imports.read`: the whole file checked (read and chunked), then sent
        (read, chunked, each chunk's message)."""

        def run() -> float:
            started = thread_time()
            for _ in range(passes):
                for chunk in chunks_of(
                    "IMP-X", read_rows([data], ImportKind.METRICS, "utf-8", import_rules), import_rules
                ):
                    if send:
                        chunk.message()
            return thread_time() - started

        return run

    checking, sending = reader(send=False), reader(send=True)
    replayed(), reading(), checking(), sending()  # warm
    logic_times, read_times, check_times, send_times = [], [], [], []
    for _ in range(repeats):
        logic_times.append(replayed())
        read_times.append(reading())
        check_times.append(checking())
        send_times.append(sending())
    logic_rows, read_rows_count = invocations * rows_per_chunk, passes * file_rows
    ratios = [(logic_rows / t) / (read_rows_count / r) for t, r in zip(logic_times, read_times, strict=True)]
    return LogicTiming(
        rows_per_chunk=rows_per_chunk,
        logic_rate=logic_rows / min(logic_times),
        read_rate=read_rows_count / min(read_times),
        check_rate=read_rows_count / min(check_times),
        send_rate=read_rows_count / min(send_times),
        ratios=ratios,
        calls=[operation for operation, _ in answers],
    )


# --- 3. the import-jobs worker's memory ------------------------------------------------------------------------


@dataclass
class MemoryMeasured:
    rows: int
    file_bytes: int
    init_mb: float
    peak_mb: float
    chunks: int
    seconds: float


def memory_figures(sizes: Sizes) -> list[Figure]:
    from tests.bench.lambda_path import LAYER_SOURCE, link_lambda_path
    from tests.bench.report import serving

    measured: list[MemoryMeasured] = []
    with tempfile.TemporaryDirectory(prefix="lambda-path-") as links:
        link_lambda_path(Path(links))
        path = [Path(links), LAYER_SOURCE]
        with serving() as endpoint, moto_speedups.installed(), mock_aws():
            aws = provisioned_clients()
            work_queues = provision.create_work_queues(aws["sqs"])
            for number, rows in enumerate(sizes.memory_rows, start=1):
                measured.append(_read_in_a_container(aws, work_queues, number, rows, endpoint, path))
    small, large = measured
    return [
        Figure(
            SECTION,
            "import-jobs worker: peak RSS",
            large.peak_mb,
            "MB",
            MEMORY_LIMIT,
            baseline=small.peak_mb,
            spread=f"{small.rows:,} → {large.rows:,} metrics rows ({small.file_bytes / 1e6:.2f} → "
            f"{large.file_bytes / 1e6:.2f} MB)",
            detail={
                "sizes": [
                    {
                        "rows": m.rows,
                        "file_bytes": m.file_bytes,
                        "chunks": m.chunks,
                        "after_init_mb": round(m.init_mb, 1),
                        "peak_mb": round(m.peak_mb, 1),
                        "seconds": round(m.seconds, 1),
                    }
                    for m in measured
                ],
                "memory_mb": topology.function("import_files").memory_mb,
            },
        )
    ]


def _empty(queue: provision.WorkQueue) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    found = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].get_queue(queue.queue.local_name)
    found._messages.clear()
    found.pending_messages.clear()


def _read_in_a_container(
    aws: dict[str, Any],
    work_queues: dict[str, provision.WorkQueue],
    number: int,
    rows: int,
    endpoint: str,
    path: list[Path],
) -> MemoryMeasured:
    """One metrics file of `rows` rows read by the import-jobs handler in a container of its own
    (`tests.bench.memory.Container`: a process as Lambda starts it, against moto's server here)."""
    from tests.bench.memory import Container, environment

    import_id = f"IMP-MEMORY-{number:02d}"
    data = csv_file(ImportKind.METRICS, (metrics_row(n, YEAR) for n in range(rows)))
    now = datetime.now(BEIJING)
    import_service.create(HQ, ImportKind.METRICS, None, "memory.csv", now=now, import_id=import_id)
    aws["s3"].put_object(Bucket=topology.IMPORT_FILES.local_name, Key=upload_key(import_id), Body=data)
    import_service.start(HQ, import_id, now=now, expected=None)
    jobs, chunks_queue = work_queues[topology.IMPORT_JOBS.name], work_queues[topology.IMPORT_ROWS.name]
    (message,) = aws["sqs"].receive_message(
        QueueUrl=jobs.url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
    )["Messages"]
    started = perf_counter()
    process = Container("import_files", environment("import_files", endpoint, path))
    try:
        result = process.invoke({"Records": [lambda_record(message, jobs.arn)]})
        if result and result.get("batchItemFailures"):
            raise AssertionError(f"the import-jobs worker failed: {result}")
        outcome = process.close()
    except BaseException:
        process.kill()
        raise
    aws["sqs"].delete_message(QueueUrl=jobs.url, ReceiptHandle=message["ReceiptHandle"])
    job = import_data.require(import_id)
    if job.chunks_total is None or job.chunks_sent != job.chunks_total or job.counts.rows != rows:
        raise AssertionError(f"the file was not read and sent whole: {job}")
    _empty(chunks_queue)  # the chunks sent stay in this process's moto, not the worker's
    return MemoryMeasured(rows, len(data), outcome.init_mb, outcome.peak_mb, job.chunks_total, perf_counter() - started)


# --- figures -----------------------------------------------------------------------------------------------------


def _stream_limits() -> dict[str, Limits]:
    return {scenario.function: scenario.limits for scenario in SCENARIOS}


def _design(phase: Phase, consumer: str, limits: dict[str, Limits]) -> Limits:
    """What a consumer's P6 design allows for the records it got, per row of the file."""
    limit = limits.get(consumer)
    if limit is None:
        raise LookupError(f"no P6 design limit for {consumer}")
    records = sum(phase.work[consumer].records.values()) / phase.rows
    return Limits(*(_up(value * records) for value in (limit.requests, limit.read, limit.written)))


def _up(value: float) -> float:
    """Rounded up to two decimals: a limit shown as it holds."""
    return math.ceil(round(value * 100, 6)) / 100


def phase_figures(phase: Phase, label: str, import_limits: Limits, *, capacity: bool) -> list[Figure]:
    rows = phase.rows
    work = phase.part()
    spread = f"{rows:,} rows, {phase.chunks} chunk{'s' if phase.chunks != 1 else ''}"
    detail = phase.summary() if capacity else {"counts": phase.counts, "chunks": phase.chunks}
    figures = [
        Figure(
            SECTION,
            f"{label}: import requests / row",
            work.requests / rows,
            "requests/row",
            import_limits.requests,
            spread=spread,
            detail=detail,
        ),
        Figure(
            SECTION, f"{label}: import items read / row", work.tally.items_read / rows, "items/row", import_limits.read
        ),
        Figure(
            SECTION,
            f"{label}: import items written / row",
            work.tally.items_written / rows,
            "items/row",
            import_limits.written,
        ),
    ]
    consumers = phase.consumers
    if not consumers:
        return figures
    limits = _stream_limits()
    designs = {consumer: _design(phase, consumer, limits) for consumer in consumers}
    streams = phase.part(streams=True)
    total = Limits(
        *(round(sum(getattr(d, name) for d in designs.values()), 2) for name in ("requests", "read", "written"))
    )
    by_consumer = {
        consumer: {
            "records_per_row": round(sum(phase.work[consumer].records.values()) / rows, 3),
            "requests_per_row": round(phase.work[consumer].requests / rows, 3),
            "items_read_per_row": round(phase.work[consumer].tally.items_read / rows, 3),
            "items_written_per_row": round(phase.work[consumer].tally.items_written / rows, 3),
        }
        for consumer in consumers
    }
    figures += [
        Figure(
            SECTION,
            f"{label}: stream requests / row",
            streams.requests / rows,
            "requests/row",
            total.requests,
            spread=f"{', '.join(consumers)}",
            detail={"by_consumer": by_consumer},
        ),
        Figure(SECTION, f"{label}: stream items read / row", streams.tally.items_read / rows, "items/row", total.read),
        Figure(
            SECTION,
            f"{label}: stream items written / row",
            streams.tally.items_written / rows,
            "items/row",
            total.written,
        ),
    ]
    figures += [
        Figure(
            SECTION,
            f"{label} → {consumer}: requests / row",
            phase.work[consumer].requests / rows,
            "requests/row",
            designs[consumer].requests,
            spread=f"{by_consumer[consumer]['records_per_row']} records/row",
        )
        for consumer in consumers
    ]
    return figures


def logic_figures(measured: Measured) -> list[Figure]:
    timing, phase = measured.logic, measured.metrics
    rows_work = phase.work["import_rows"]
    on_moto = phase.rows / rows_work.wall_s if rows_work.wall_s else 0.0
    return [
        Figure(
            SECTION,
            "import-rows logic ÷ CSV reading",
            timing.logic_rate,
            "rows/s",
            LOGIC_LIMIT,
            baseline=timing.read_rate,
            at_most=False,
            spread=f"ratio {min(timing.ratios):.3f}–{max(timing.ratios):.3f} over {len(timing.ratios)} runs",
            detail={
                "rows_per_chunk": timing.rows_per_chunk,
                "worker_logic_rows_per_s": round(timing.logic_rate),
                "read_rows_per_s": round(timing.read_rate),
                "import_jobs_check_rows_per_s": round(timing.check_rate),
                "import_jobs_send_rows_per_s": round(timing.send_rate),
                "replayed_calls": timing.calls,
            },
        ),
        Figure(
            SECTION,
            "import-rows on moto (informative)",
            on_moto,
            "rows/s",
            0,
            at_most=False,
            detail={"rows": phase.rows, "wall_s": round(rows_work.wall_s, 3), "cpu_s": round(rows_work.cpu_s, 3)},
        ),
    ]


def figures(*, smoke: bool, sizes: Sizes | None = None) -> list[Figure]:
    sizes = sizes or (SMOKE if smoke else FULL)
    started = perf_counter()
    measured = measure(sizes)
    if not smoke:
        print(f"  P8: four imports of {sizes.rows:,} rows measured in {perf_counter() - started:.1f} s", flush=True)
    found = phase_figures(measured.metrics, "metrics", METRICS_LIMITS, capacity=True)
    found += phase_figures(measured.clients, "clients", CLIENTS_LIMITS, capacity=True)
    found += phase_figures(measured.unchanged, "metrics unchanged", UNCHANGED_LIMITS, capacity=False)[:3]
    found += logic_figures(measured)
    found[0] = _with_detail(found[0], first_metrics=measured.first_metrics.summary())
    started = perf_counter()
    found += memory_figures(sizes)
    if not smoke:
        small, large = sizes.memory_rows
        print(f"  P8: memory at {small:,} and {large:,} rows in {perf_counter() - started:.1f} s", flush=True)
    return found


def _with_detail(figure: Figure, **more: Any) -> Figure:
    return replace(figure, detail=figure.detail | more)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes; targets not enforced")
    parser.add_argument("--rows", type=int, default=None, help="rows of each file (default: 1,000; smoke 20)")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    measured = figures(smoke=args.smoke, sizes=replace(sizes, rows=args.rows) if args.rows else sizes)
    for figure in measured:
        print(figure.line(), flush=True)
    return 0 if args.smoke or all(figure.holds for figure in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
