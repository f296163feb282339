"""Capacity on paper (issue 21, item 6): a bulk import of 1 and 10 million rows, from measured figures.

    python -m tests.bench.capacity [--results bench/results.json] [--measure] [--no-write]
    make capacity

What each function does per imported row — DynamoDB requests, request units (indexes included),
S3, SQS and SNS calls, records or messages received, CPU time outside AWS — comes from P8
(`tests/bench/imports.py`): the `metrics: import requests / row` and `clients: import requests / row`
figures' details in the results file of the last `make bench` (or `python -m tests.bench --only P8
--output FILE`, given as `--results FILE`). Without them (or with `--measure`) it measures them
itself, quickly: one chunk of 100 rows of each kind, which it says. The rest is the topology
(`crm.topology`: memory sizes, timeouts, the import-rows mapping's concurrency, each stream
mapping's batch size and parallelization factor, maximum record age) and the assumptions printed
with the result: list prices, the latency of each AWS request, Lambda's CPU share, the stream's
shards.

The model, for R rows of one kind:

- **Reading**: one import-jobs invocation checks the whole file (read and chunked), then reads it
  again and sends the chunks, 10 a request; its CPU is P8's measured rate of that logic scaled to
  its memory's share of a vCPU, plus the S3 read and each request's latency. An invocation stops at
  the function's timeout and the reading resumes after the queue's visibility timeout.
- **Applying**: the import-rows mapping runs `max_concurrency` chunks at once; a chunk takes its rows'
  CPU (scaled) plus the latency of its requests, one after another, plus the mapping's overhead.
- **Streams**: each consumer's mapping runs one batch per shard at a time × its parallelization
  factor; a row costs it its CPU (scaled) and its requests' latencies. An item that every row's
  transaction writes (a company-wide counter) admits one transaction at a time: at most
  1 ÷ (share of rows writing it × a transaction's latency) rows a second, whatever the concurrency.
- The stages run as a pipeline after the check: each finishes no earlier than the stages that feed
  it; the slowest sets the wall time. Cost: request units, GB-seconds and requests at list prices.

It prints the result and writes it to docs/capacity.md (the part between the markers).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm import rules, topology
from tests.bench.results import RESULTS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "capacity.md"
BEGIN, END = "<!-- capacity:begin (make capacity writes this part) -->", "<!-- capacity:end -->"
SECTION = "P8 imports"
SIZES = (1_000_000, 10_000_000)
TARGET_S = 3600  # 1 million metrics rows applied and reclassified within an hour (issue 21)
QUICK_ROWS = 100  # the quick measurement: one chunk of each kind

# --- assumptions ------------------------------------------------------------------------------------

REGION = "us-east-1"


@dataclass(frozen=True)
class Prices:
    """List prices, us-east-1, USD, as AWS published them (DynamoDB on-demand since its price cut of
    2024-11-01); free tiers left out. Check them against AWS's pages before quoting a cost."""

    wru: float = 0.625 / 1e6  # DynamoDB on-demand, per write request unit (halved on 2024-11-01)
    rru: float = 0.125 / 1e6  # … per read request unit
    gb_second: float = 0.0000133334  # Lambda on arm64 (the stack's architecture), per GB-second
    lambda_request: float = 0.20 / 1e6
    sqs_request: float = 0.40 / 1e6  # standard queue, per request of up to 64 KB
    s3_put: float = 0.005 / 1000  # S3 Standard PUT, COPY, POST, LIST
    s3_get: float = 0.0004 / 1000  # GET, HEAD and the rest

    def lines(self) -> list[str]:
        return [
            f"DynamoDB on-demand: ${self.wru * 1e6:.3f} per million write request units, "
            f"${self.rru * 1e6:.3f} per million read request units (the list price since November 2024; "
            "before it $1.25 and $0.25: the DynamoDB cost below would be twice as much)",
            f"Lambda (arm64): ${self.gb_second:.10f} per GB-second, ${self.lambda_request * 1e6:.2f} per million "
            "requests (x86-64 would be $0.0000166667 per GB-second)",
            f"SQS standard: ${self.sqs_request * 1e6:.2f} per million requests, each 64 KB of a request one",
            f"S3 Standard: ${self.s3_put * 1000:.4f} per 1,000 PUT, ${self.s3_get * 1000:.4f} per 1,000 GET and HEAD",
            "DynamoDB Streams read by Lambda: free. Not counted: storage, CloudWatch Logs and metrics, KMS "
            "requests, data transfer, the failed-rows file",
        ]


PRICES = Prices()

# Latency of one request from a Lambda function in the same region, in ms: typical figures, not
# measured here (moto's speed is not AWS's). DynamoDB answers single-item requests in single-digit
# milliseconds; a batch or a transaction takes longer.
LATENCY_MS: dict[str, float] = {
    "dynamodb:GetItem": 4,
    "dynamodb:PutItem": 5,
    "dynamodb:UpdateItem": 5,
    "dynamodb:DeleteItem": 5,
    "dynamodb:Query": 6,
    "dynamodb:Scan": 10,
    "dynamodb:BatchGetItem": 10,
    "dynamodb:BatchWriteItem": 12,
    "dynamodb:TransactGetItems": 10,
    "dynamodb:TransactWriteItems": 20,
    "sqs:SendMessage": 8,
    "sqs:SendMessageBatch": 15,
    "sqs:GetQueueUrl": 8,
    "s3:PutObject": 30,
    "s3:GetObject": 30,
    "s3:HeadObject": 15,
    "sns:Publish": 30,
    "secretsmanager:GetSecretValue": 30,
    "events:PutEvents": 15,
}
DEFAULT_LATENCY_MS = 15
# An item written in a transaction conflicts with any other transaction on it until the first
# commits: a transaction's latency is how long it holds the item.
HOLD_MS = LATENCY_MS["dynamodb:TransactWriteItems"]
S3_READ_BYTES_PER_S = 80e6  # one GetObject stream read by a function
MAPPING_OVERHEAD_S = 0.02  # per invocation of an event source mapping (poll, invoke): not billed
VCPU_MB = 1769  # Lambda gives one vCPU at 1,769 MB, CPU in proportion below it
LOCAL_CORE_PER_VCPU = 1.0  # this machine's core taken as fast as one Lambda vCPU (Graviton2)
SHARDS = 4  # per table: a new on-demand table is made of 4 partitions (4,000 write units a second)
SQS_RECEIVES_PER_MESSAGE = 2  # a mapping's ReceiveMessage and DeleteMessage, batch size 1
STREAM_RETENTION_S = 24 * 3600
CONCURRENCY_LIMIT = 1000  # Lambda's default concurrent executions per account and region
MAX_PARALLELIZATION = 10
STREAM_FUNCTIONS = frozenset(function.name for function in topology.FUNCTIONS if function.streams)


def assumption_lines() -> list[str]:
    latencies = ", ".join(f"{name.split(':')[1]} {ms:g}" for name, ms in LATENCY_MS.items())
    return [
        f"Region {REGION}; every table on-demand.",
        f"Latency per request (ms, typical in-region figures, not measured): {latencies}; others "
        f"{DEFAULT_LATENCY_MS}. A function makes its requests one after another.",
        f"CPU: the CPU time P8 measured outside moto, × {VCPU_MB:,} MB ÷ the function's memory (Lambda's "
        f"share of a vCPU below {VCPU_MB:,} MB), this machine's core taken as one vCPU.",
        f"Streams: {SHARDS} shards a table (a new on-demand table has 4 partitions, one shard each; a table "
        "grown past 10 GB a partition, or given warm throughput, has more); each mapping runs one batch per "
        "shard at a time × its parallelization factor; "
        f"{MAPPING_OVERHEAD_S * 1000:.0f} ms of a mapping's own per invocation (not billed). Every stream "
        "consumer's rate is proportional to the shards: at 8 it doubles (short of an item's cap, below). "
        "Reading is taken as never the limit: GetRecords returns up to 1,000 records a call, 5 calls a second "
        "a shard shared by the shard's readers, and AWS advises at most 2 readers a shard where the clients "
        "stream has 5 mappings (reclassify, audit, callback_schedule, sms, aggregates): throttled reads add "
        "latency that is not modelled.",
        f"Transactions: an item written in one is held {HOLD_MS:g} ms (a second transaction on it is refused "
        "and retried), so an item written by every row's transaction passes at most "
        f"{1000 / HOLD_MS:.0f} rows a second.",
        f"S3: the file read at {S3_READ_BYTES_PER_S / 1e6:.0f} MB/s. SQS: a mapping's ReceiveMessage and "
        f"DeleteMessage per message (batch size 1); pollers' empty receives left out.",
    ]


# --- the measured figures -------------------------------------------------------------------------------


@dataclass
class Inputs:
    source: str  # where the figures came from, in words
    phases: dict[str, dict[str, Any]]  # kind → the phase's summary (P8's detail)
    logic: dict[str, Any]
    memory: dict[str, Any] | None


def from_results(path: Path) -> Inputs | None:
    """P8's figures in a results file, or None (no file, no P8, or a smoke run's)."""
    if not path.is_file():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    found = {figure["name"]: figure for figure in document.get("figures", []) if figure["section"] == SECTION}
    wanted = ("metrics: import requests / row", "clients: import requests / row", "import-rows logic ÷ CSV reading")
    if any(name not in found for name in wanted) or document.get("smoke"):
        return None
    phases = {kind: found[f"{kind}: import requests / row"]["detail"] for kind in ("metrics", "clients")}
    memory = found.get("import-jobs worker: peak RSS", {}).get("detail")
    rows = phases["metrics"]["rows"]
    where = f"`{path.relative_to(ROOT)}`" if path.is_relative_to(ROOT) else "`python -m tests.bench --only P8`"
    source = f"{where}, measured {document.get('measured_at', '?')} (P8's full run: files of {rows:,} rows)"
    return Inputs(source, phases, found["import-rows logic ÷ CSV reading"]["detail"], memory)


def measured_now(rows: int = QUICK_ROWS) -> Inputs:
    """P8's per-row measurement run here, quickly: files of `rows` rows (one chunk)."""
    from dataclasses import replace

    from tests.bench import imports

    sizes = replace(imports.SMOKE, rows=rows)
    measured = imports.measure(sizes)
    logic = imports.logic_figures(measured)[0].detail
    phases = {"metrics": measured.metrics.summary(), "clients": measured.clients.summary()}
    return Inputs(f"measured now by `make capacity` (P8 at {rows:,} rows: one chunk of each kind)", phases, logic, None)


# --- per row ---------------------------------------------------------------------------------------------


def latency_s(call: str) -> float:
    return LATENCY_MS.get(call, DEFAULT_LATENCY_MS) / 1000


def cpu_scale(memory_mb: int) -> float:
    return max(1.0, VCPU_MB / memory_mb) / LOCAL_CORE_PER_VCPU


@dataclass(frozen=True)
class Load:
    """One function's work per row of the file, from P8."""

    function: topology.Function
    invocations: float
    records: dict[str, float]  # by source table or queue
    calls: dict[str, float]  # "service:Operation" (DynamoDB's too)
    requests: float  # DynamoDB's
    rru: float
    wru: float
    wru_indexes: float
    cpu_s: float
    sqs_billed: float  # SQS requests its sending is billed as
    hottest_share: float  # of the rows, those whose transactions write its busiest item
    hottest_item: str
    wru_by_table: dict[str, float]  # the tables' own items (not their indexes), per row

    @classmethod
    def of(cls, name: str, work: dict[str, Any], rows: int) -> Load:
        units = work["units"]
        busiest = units.get("transactions_on_the_busiest_items") or {}
        item, count = max(busiest.items(), key=lambda pair: pair[1], default=("", 0))
        return cls(
            function=topology.function(name),
            invocations=work["invocations"] / rows,
            records={source: count / rows for source, count in work["records"].items()},
            calls={call: count / rows for call, count in work["aws_calls"].items()},
            requests=work["requests"] / rows,
            rru=units["rru"] / rows,
            wru=units["wru"] / rows,
            wru_indexes=units["wru_of_indexes"] / rows,
            cpu_s=work["cpu_s"] / rows,
            sqs_billed=sum(work.get("sqs_billed_requests", {}).values()) / rows,
            hottest_share=count / rows,
            hottest_item=_item_words(item),
            wru_by_table={table.removeprefix("crm-"): value / rows for table, value in units["wru_by_table"].items()},
        )

    @property
    def records_per_row(self) -> float:
        return sum(self.records.values())

    def busy_s(self, memory_mb: int | None = None) -> float:
        """Its invocations' time per row (what is billed): CPU scaled to its memory (or `memory_mb`),
        and its requests."""
        cpu = self.cpu_s * cpu_scale(memory_mb or self.function.memory_mb)
        return cpu + sum(count * latency_s(call) for call, count in self.calls.items())

    def calls_of(self, service: str, *operations: str) -> float:
        found = 0.0
        for call, count in self.calls.items():
            called, operation = call.split(":", 1)
            if called == service and (not operations or operation in operations):
                found += count
        return found


def _item_words(item: str) -> str:
    """ "crm-aggregates COUNT#x Q#y" as "the aggregates item COUNT#x / Q#y"."""
    table, *key = item.split(" ")
    shown = " / ".join(part for part in key if part not in ("", "-"))
    return f"the {table.removeprefix('crm-')} item {shown}" if table else ""


def loads(phase: dict[str, Any]) -> dict[str, Load]:
    return {name: Load.of(name, work, phase["rows"]) for name, work in phase["functions"].items()}


# --- the model --------------------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    how: str  # its concurrency, in words
    rate: float  # rows a second it can take
    after: tuple[str, ...] = ()  # the stages feeding it
    note: str = ""  # what caps it besides its concurrency
    rate_at_vcpu: float = 0.0  # … were its function given a whole vCPU (1,769 MB)
    records_per_row: dict[str, float] = field(default_factory=dict)  # a consumer's, by source table


@dataclass
class Outcome:
    kind: str
    rows: int
    check_s: float  # the file checked before any chunk is sent
    reading_s: float  # the import-jobs worker's time, all invocations (billed)
    reading_wall_s: float  # … with the waits for a timed-out reading to come back
    timeouts: int
    stages: list[Stage]
    done_s: dict[str, float]  # when each stage has taken the last row, from the start
    rru: dict[str, float]
    wru: dict[str, float]
    gb_seconds: dict[str, float]
    lambda_requests: float
    sqs_requests: float
    s3_puts: float
    s3_gets: float
    notes: list[str] = field(default_factory=list)

    @property
    def bottleneck(self) -> Stage:
        return min(self.stages, key=lambda stage: stage.rate)

    @property
    def applied_s(self) -> float:
        return self.done_s["import-rows"]

    @property
    def settled_s(self) -> float:
        """Applied and, for metrics, reclassified: what the issue's target is about."""
        return self.done_s.get("reclassify", self.applied_s)

    @property
    def all_done_s(self) -> float:
        return max(self.done_s.values())

    def cost(self) -> dict[str, float]:
        return {
            "DynamoDB": sum(self.wru.values()) * PRICES.wru + sum(self.rru.values()) * PRICES.rru,
            "Lambda": sum(self.gb_seconds.values()) * PRICES.gb_second + self.lambda_requests * PRICES.lambda_request,
            "SQS": self.sqs_requests * PRICES.sqs_request,
            "S3": self.s3_puts * PRICES.s3_put + self.s3_gets * PRICES.s3_get,
        }


def stream_sources(function: topology.Function) -> dict[str, topology.StreamSource]:
    return {source.table.name: source for source in function.streams}


@dataclass(frozen=True)
class Changes:
    """The topology as it might be: a stream consumer's parallelization factor (on every one of its
    mappings), the import-rows mapping's concurrency."""

    parallelization: tuple[tuple[str, int], ...] = ()
    max_concurrency: int | None = None

    def factor(self, source: topology.StreamSource, function: str) -> int:
        return dict(self.parallelization).get(function, source.parallelization_factor)

    def words(self) -> str:
        parts = [f"{name} parallelization_factor={factor}" for name, factor in self.parallelization]
        if self.max_concurrency is not None:
            parts.append(f"import_rows max_concurrency={self.max_concurrency}")
        return ", ".join(parts) or "the topology as it is"


AS_IT_IS = Changes()
# What the topology allows at most without new partitions: every stream mapping at Lambda's highest
# parallelization factor, and the import-rows mapping 10× as wide as it is.
AT_ITS_LIMITS = Changes(
    tuple((function.name, MAX_PARALLELIZATION) for function in topology.FUNCTIONS if function.streams), 50
)


def model(kind: str, phase: dict[str, Any], logic: dict[str, Any], rows: int, changes: Changes = AS_IT_IS) -> Outcome:
    per = loads(phase)
    rows_per_chunk = phase["rows"] / max(1, phase["chunks"])
    chunks = math.ceil(rows / rows_per_chunk)
    notes: list[str] = []

    # reading: the whole file checked, then read again and sent (10 chunks a request)
    files = topology.function("import_files")
    scale = cpu_scale(files.memory_mb)
    bytes_per_row = phase["file_bytes"] / phase["rows"]
    read_s = bytes_per_row / S3_READ_BYTES_PER_S
    check_row = scale / logic["import_jobs_check_rows_per_s"] + read_s
    sends = math.ceil(chunks / 10)
    progress_every = 20  # SendMessageBatch requests between two records of the progress (GetItem, UpdateItem)
    per_send = (
        latency_s("sqs:SendMessageBatch")
        + (latency_s("dynamodb:GetItem") + latency_s("dynamodb:UpdateItem")) / progress_every
    )
    send_row = scale / logic["import_jobs_send_rows_per_s"] + read_s + per_send * sends / rows
    fixed = latency_s("s3:HeadObject") + 2 * latency_s("s3:GetObject") + 4 * latency_s("dynamodb:UpdateItem")
    check_s = rows * check_row + fixed / 2
    reading_s, reading_wall_s, timeouts = _reading(rows, check_s, check_row, send_row, files, notes)
    send_rate = rows / max(1e-9, reading_wall_s - check_s)
    stages = [Stage("import-jobs (sending)", "1 invocation", send_rate, rate_at_vcpu=send_rate)]

    # applying: max_concurrency chunks at once
    rows_load = per["import_rows"]
    (source,) = rows_load.function.queues
    concurrency = changes.max_concurrency or source.max_concurrency
    chunk_s = rows_per_chunk * rows_load.busy_s() + MAPPING_OVERHEAD_S
    chunk_at_vcpu = rows_per_chunk * rows_load.busy_s(VCPU_MB) + MAPPING_OVERHEAD_S
    if chunk_s > rows_load.function.timeout_s:
        notes.append(f"a chunk takes {chunk_s:.0f} s, over import_rows' {rows_load.function.timeout_s} s timeout")
    stages.append(
        Stage(
            "import-rows",
            f"{concurrency} at once, {chunk_s:.2f} s a chunk of {rows_per_chunk:.0f}",
            concurrency * rows_per_chunk / chunk_s,
            ("import-jobs (sending)",),
            rate_at_vcpu=concurrency * rows_per_chunk / chunk_at_vcpu,
        )
    )

    # streams: each consumer, each source table's shards × parallelization, and its busiest item
    upstream = ("import-jobs (sending)", "import-rows")
    for name, load in sorted(per.items()):
        if name in ("import_files", "import_rows") or not load.records_per_row:
            continue
        sources = stream_sources(load.function)
        overhead = load.invocations * MAPPING_OVERHEAD_S
        busy, busy_at_vcpu = load.busy_s() + overhead, load.busy_s(VCPU_MB) + overhead
        rates, rates_at_vcpu, hows = [], [], []
        for table, records in load.records.items():
            share = records / load.records_per_row
            parallel = SHARDS * changes.factor(sources[table], name)
            rates.append(parallel / (busy * share))
            rates_at_vcpu.append(parallel / (busy_at_vcpu * share))
            hows.append(f"{table} {SHARDS}×{changes.factor(sources[table], name)}")
        rate, rate_at_vcpu, note = min(rates), min(rates_at_vcpu), ""
        if load.hottest_share >= 0.05:
            hot = 1 / (load.hottest_share * HOLD_MS / 1000)
            rate_at_vcpu = min(rate_at_vcpu, hot)
            if hot < rate:
                rate, note = hot, f"{load.hottest_item} in {load.hottest_share:.0%} of the rows' transactions"
        after = upstream + (("reclassify",) if kind == "metrics" and name != "reclassify" else ())
        how = ", ".join(hows) + f"; {busy * 1000:.0f} ms a row"
        stages.append(Stage(name, how, rate, after, note, rate_at_vcpu, dict(load.records)))
    done: dict[str, float] = {}
    taking = {stage.name: stage.rate for stage in stages}
    for stage in stages:
        feed = min((taking[name] for name in stage.after), default=math.inf)
        done[stage.name] = check_s + rows / min(stage.rate, feed)
        if stage.rate < feed:  # a backlog: its oldest record waits this long by the end
            _check_age(stage, rows / stage.rate - rows / feed, notes)
    done["import-jobs (sending)"] = reading_wall_s
    _check_tables(stages, per, notes)

    # units, seconds, requests
    rru = {"import": 0.0, "streams": 0.0}
    wru = {"import": 0.0, "streams": 0.0}
    gb_seconds = {"import": 0.0, "streams": 0.0}
    lambda_requests = 0.0
    s3_puts = s3_gets = 0.0
    for name, load in per.items():
        part = "import" if name in ("import_files", "import_rows") else "streams"
        if name == "import_files":
            continue  # below, from the reading's model
        rru[part] += load.rru * rows
        wru[part] += load.wru * rows
        gb_seconds[part] += load.busy_s() * rows * load.function.memory_mb / 1024
        lambda_requests += load.invocations * rows
        s3_puts += load.calls_of("s3", "PutObject") * rows
        s3_gets += load.calls_of("s3", "GetObject", "HeadObject") * rows
    progress = sends / progress_every
    rru["import"] += 2 + progress
    wru["import"] += 6 + progress
    gb_seconds["import"] += reading_s * files.memory_mb / 1024
    lambda_requests += 2 + timeouts
    s3_gets += 3 + timeouts
    message_bytes = sum(phase["functions"]["import_files"]["sent_bytes"].values()) / max(1, phase["chunks"])
    billed_per_send = math.ceil(10 * message_bytes / (64 * 1024))
    sqs_requests = sends * billed_per_send + chunks * SQS_RECEIVES_PER_MESSAGE + 3 * SQS_RECEIVES_PER_MESSAGE
    return Outcome(
        kind,
        rows,
        check_s,
        reading_s,
        reading_wall_s,
        timeouts,
        stages,
        done,
        rru,
        wru,
        gb_seconds,
        lambda_requests,
        sqs_requests,
        s3_puts,
        s3_gets,
        notes,
    )


PARTITION_WRU_PER_S = 1000


def _check_tables(stages: list[Stage], per: dict[str, Load], notes: list[str]) -> None:
    """Each table's write units a second while every stage runs at its pace, against what a new
    on-demand table takes at first (its partitions × 1,000)."""
    taking = {stage.name: stage.rate for stage in stages}
    pace = {stage.name: min([stage.rate, *(taking[name] for name in stage.after)]) for stage in stages}
    writes: dict[str, float] = {}
    for stage in stages:
        load = per.get(stage.name.replace("-", "_"))
        if load is None:
            continue
        for table, units in load.wru_by_table.items():
            writes[table] = writes.get(table, 0.0) + units * pace[stage.name]
    for table, per_second in sorted(writes.items()):
        if per_second > SHARDS * PARTITION_WRU_PER_S:
            notes.append(
                f"the {table} table would take {per_second:,.0f} write units a second, over the "
                f"{SHARDS * PARTITION_WRU_PER_S:,} a new on-demand table takes ({SHARDS} partitions): throttled "
                "(and retried) until DynamoDB has split its partitions, unless it is given warm throughput first"
            )


def _check_age(stage: Stage, lag_s: float, notes: list[str]) -> None:
    """A consumer whose backlog grows older than its mapping's maximum record age loses records; a
    queue's backlog, older than its retention."""
    if stage.name == "import-rows":
        retention = topology.IMPORT_ROWS.retention_s
        if lag_s > 3600:
            notes.append(
                f"chunks wait up to {lag_s / 3600:.1f} h on the import-rows queue (its hour-old-message alarm "
                "fires during the import)"
                + (f"; past its {retention / 86400:.0f}-day retention they are lost" if lag_s > retention else "")
            )
        return
    sources = topology.function(stage.name).streams if stage.name in STREAM_FUNCTIONS else ()
    if not sources:
        return
    age = min(source.max_record_age_s for source in sources)
    if lag_s <= age:
        return
    lost = ", and past the stream's 24 h retention they are gone" if lag_s > STREAM_RETENTION_S else ""
    notes.append(
        f"{stage.name} falls {lag_s / 3600:.1f} h behind: records older than its mapping's maximum record age "
        f"({age / 3600:.0f} h) go to its on-failure queue unapplied{lost}"
    )


def _reading(
    rows: int, check_s: float, check_row: float, send_row: float, files: topology.Function, notes: list[str]
) -> tuple[float, float, int]:
    """The import-jobs worker's billed time, its wall time and its timeouts: the check, then the
    sending, each invocation stopped at the timeout and resumed after the visibility timeout,
    reading again (without sending) what earlier invocations sent."""
    timeout = files.timeout_s
    visibility = topology.IMPORT_JOBS.visibility_timeout_s
    if check_s >= timeout:
        notes.append(
            f"checking the file takes {check_s:.0f} s, over import_files' {timeout} s timeout: the check does not "
            "resume, so the import never starts (its message ends on the dead-letter queue)"
        )
        return check_s, math.inf, topology.IMPORT_JOBS.max_receive_count
    sent, billed, wall, timeouts = 0.0, check_s, check_s, 0
    budget = timeout - check_s
    while True:
        skip = sent * check_row  # what earlier invocations sent, read again to reach the rest
        if skip >= budget:
            notes.append("the reading cannot get past what it sent before within one invocation")
            return billed, math.inf, timeouts
        more = min(rows - sent, (budget - skip) / send_row)
        spent = skip + more * send_row
        billed += spent
        sent += more
        if sent >= rows - 1e-6:
            return billed, wall + spent, timeouts
        timeouts += 1
        wall += visibility  # the message comes back once its visibility timeout has run out
        budget = timeout
        if timeouts >= topology.IMPORT_JOBS.max_receive_count:
            notes.append("the reading times out on every receive: its message ends on the dead-letter queue")
            return billed, math.inf, timeouts


# --- what would meet the target ---------------------------------------------------------------------------


SETTLING = ("import-jobs (sending)", "import-rows", "reclassify")  # what "applied and reclassified" waits for


def remedies(outcome: Outcome, deadline_s: float) -> tuple[Changes, list[str]]:
    """For each stage too slow for the rows to be applied (and reclassified) by the deadline: the
    topology change that makes it fast enough at its memory size now, and the same at a whole vCPU."""
    needed = outcome.rows / max(1.0, deadline_s - outcome.check_s)
    factors: dict[str, int] = {}
    concurrency: int | None = None
    found = []
    for stage in outcome.stages:
        if stage.rate >= needed or stage.name not in SETTLING:
            continue
        factor, at_vcpu = needed / stage.rate, needed / stage.rate_at_vcpu
        words = f"{stage.name}: {stage.rate:,.0f} rows/s where {needed:,.0f} are needed"
        if stage.name == "import-rows":
            (source,) = topology.function("import_rows").queues
            concurrency = math.ceil(source.max_concurrency * factor)
            found.append(
                f"{words} — `QueueSource(IMPORT_ROWS, max_concurrency={concurrency})` (now {source.max_concurrency}),"
                f" or {math.ceil(source.max_concurrency * at_vcpu)} with {VCPU_MB:,} MB"
            )
        elif stage.name.startswith("import-jobs"):
            found.append(f"{words} — one reader a file: split the file")
        elif stage.note:
            found.append(f"{words} — {stage.note}: no topology change helps")
        else:
            function = topology.function(stage.name)
            current = max(source.parallelization_factor for source in function.streams)
            wanted = min(MAX_PARALLELIZATION, math.ceil(current * factor))
            factors[stage.name] = wanted
            text = (
                f"{words} — `parallelization_factor={wanted}` on its `StreamSource` (now {current}), or "
                f"{math.ceil(current * at_vcpu)} with {VCPU_MB:,} MB (now {function.memory_mb} MB)"
            )
            if math.ceil(current * factor) > MAX_PARALLELIZATION:
                text += f"; over Lambda's {MAX_PARALLELIZATION} at its memory now: the memory too, or more shards"
            found.append(text)
    return Changes(tuple(sorted(factors.items())), concurrency), found


# --- output -------------------------------------------------------------------------------------------------


def hours(seconds: float) -> str:
    if math.isinf(seconds):
        return "never"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def money(value: float) -> str:
    return f"${value:,.2f}"


def millions(value: float) -> str:
    return f"{value / 1e6:,.1f} M" if value >= 1e5 else f"{value:,.0f}"


def table(headers: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def per_row_table(inputs: Inputs) -> list[str]:
    rows = []
    for kind, phase in inputs.phases.items():
        for name, load in sorted(loads(phase).items(), key=lambda pair: pair[0] not in ("import_files", "import_rows")):
            if not load.invocations:
                continue
            rows.append(
                [
                    kind,
                    name,
                    f"{load.records_per_row:.2f}",
                    f"{load.requests:.2f}",
                    f"{load.rru:.2f}",
                    f"{load.wru:.2f} ({load.wru_indexes:.2f})",
                    f"{load.cpu_s * 1000:.2f}",
                    f"{load.function.memory_mb}",
                    f"{load.busy_s() * 1000:.1f}",
                ]
            )
    return table(
        [
            "file",
            "function",
            "records/row",
            "DynamoDB requests/row",
            "RRU/row",
            "WRU/row (of indexes)",
            "CPU ms/row (here)",
            "memory MB",
            "modelled ms/row",
        ],
        rows,
    )


def summary_table(outcomes: list[Outcome]) -> list[str]:
    def row(label: str, value: Any) -> list[str]:
        return [label, *(value(outcome) for outcome in outcomes)]

    headers = ["", *(f"{millions(o.rows)} {o.kind} rows" for o in outcomes)]
    lines = [
        row(
            "DynamoDB write units: import + streams",
            lambda o: f"{millions(o.wru['import'])} + {millions(o.wru['streams'])}",
        ),
        row(
            "DynamoDB read units: import + streams",
            lambda o: f"{millions(o.rru['import'])} + {millions(o.rru['streams'])}",
        ),
        row(
            "Lambda GB-s: import + streams", lambda o: f"{o.gb_seconds['import']:,.0f} + {o.gb_seconds['streams']:,.0f}"
        ),
        row("Lambda requests", lambda o: millions(o.lambda_requests)),
        row("SQS requests (billed)", lambda o: millions(o.sqs_requests)),
        row("S3 PUT / GET", lambda o: f"{millions(o.s3_puts)} / {o.s3_gets:,.0f}"),
        row("file checked", lambda o: hours(o.check_s)),
        row("rows applied", lambda o: hours(o.applied_s) + (f" ({o.timeouts} reading timeouts)" if o.timeouts else "")),
        row("applied and reclassified", lambda o: hours(o.settled_s) if o.kind == "metrics" else "—"),
        row("every stream consumer done", lambda o: hours(o.all_done_s)),
        row("bottleneck", lambda o: f"{o.bottleneck.name} ({o.bottleneck.rate:,.0f} rows/s)"),
        row("cost: DynamoDB", lambda o: money(o.cost()["DynamoDB"])),
        row("cost: Lambda", lambda o: money(o.cost()["Lambda"])),
        row("cost: SQS + S3", lambda o: money(o.cost()["SQS"] + o.cost()["S3"])),
        row("cost: total", lambda o: money(sum(o.cost().values()))),
    ]
    return table(headers, lines)


def stage_table(outcome: Outcome) -> list[str]:
    rows = [
        [
            stage.name,
            stage.how,
            f"{stage.rate:,.0f}",
            ", ".join(f"{name} {stage.rate * records / SHARDS:,.0f}" for name, records in stage.records_per_row.items())
            or "—",
            hours(outcome.rows / stage.rate),
            stage.note or "",
        ]
        for stage in outcome.stages
    ]
    headers = ["stage", "concurrency, time per row", "rows/s", "records/s a shard", f"{millions(outcome.rows)} alone"]
    return table([*headers, "limit"], rows)


def render(inputs: Inputs) -> tuple[list[str], list[Outcome]]:
    outcomes = [
        model(kind, inputs.phases[kind], inputs.logic, rows) for kind in ("metrics", "clients") for rows in SIZES
    ]
    lines = [f"Figures: {inputs.source}.", ""]
    lines += ["### Per row of the file, measured (P8)", ""]
    lines += per_row_table(inputs)
    lines += [
        "",
        "CPU: the thread's time outside moto on this machine; modelled: that CPU at the function's memory plus its",
        "requests' latencies (the assumptions below). Write units include each global secondary index's entry.",
        "",
        "### 1 and 10 million rows",
        "",
    ]
    lines += summary_table(outcomes)
    for outcome in outcomes:
        if outcome.rows != SIZES[0]:
            continue
        lines += ["", f"### Stages, {millions(outcome.rows)} {outcome.kind} rows", ""]
        lines += stage_table(outcome)
    lines += ["", "### Verdict", ""]
    lines += verdict(inputs, outcomes)
    if inputs.memory:
        sizes = inputs.memory.get("sizes", [])
        if len(sizes) == 2:
            lines.append(
                f"- The import-jobs worker's memory does not grow with the file: peak RSS {sizes[0]['peak_mb']} MB at "
                f"{sizes[0]['rows']:,} rows, {sizes[1]['peak_mb']} MB at {sizes[1]['rows']:,} "
                f"({inputs.memory.get('memory_mb')} MB given)."
            )
    lines += ["", "### Assumptions", ""]
    lines += [f"- {line}" for line in assumption_lines()]
    lines += ["", "Prices:", ""]
    lines += [f"- {line}" for line in PRICES.lines()]
    lines.append(
        f"- Chunks of {rules.imports().batch_rows} rows; topology as in `crm/topology.py` (memory sizes, timeouts, "
        "max_concurrency, parallelization factors)."
    )
    return lines, outcomes


def verdict(inputs: Inputs, outcomes: list[Outcome]) -> list[str]:
    """The target, what would meet it, and what limits 10 million rows."""
    metrics = inputs.phases["metrics"]

    def outcome(kind: str, rows: int, changes: Changes = AS_IT_IS) -> Outcome:
        return model(kind, inputs.phases[kind], inputs.logic, rows, changes)

    def timing(found: Outcome) -> str:
        reclassified = f", reclassified in {hours(found.settled_s)}" if found.kind == "metrics" else ""
        return (
            f"applied in {hours(found.applied_s)}{reclassified}, every stream consumer done in "
            f"{hours(found.all_done_s)}; slowest: {found.bottleneck.name} ({found.bottleneck.rate:,.0f} rows/s"
            + (f", {found.bottleneck.note}" if found.bottleneck.note else "")
            + ")"
        )

    first = next(o for o in outcomes if o.kind == "metrics" and o.rows == SIZES[0])
    met = first.settled_s <= TARGET_S
    lines = [
        f"- **Target — 1 million metrics rows applied and reclassified within an hour: {'met' if met else 'not met'}** "
        f"with the topology as it is: {timing(first)}."
    ]
    changes = AS_IT_IS
    if not met:
        changes, proposed = remedies(first, TARGET_S)
        lines.append("  What would meet it (no change made to `crm/topology.py`):")
        lines += [f"  - {remedy}" for remedy in proposed]
        if changes != AS_IT_IS:
            changed = model("metrics", metrics, inputs.logic, SIZES[0], changes)
            held = "met" if changed.settled_s <= TARGET_S else "still not met"
            lines.append(f"  - With {changes.words()}: {held}, {timing(changed)}.")
    for found in outcomes:
        lines += [f"- {millions(found.rows)} {found.kind} rows, as it is: {note}." for note in found.notes]
    for kind in ("metrics", "clients"):
        at_limits = outcome(kind, SIZES[1], AT_ITS_LIMITS)
        lines.append(
            f"- 10 million {kind} rows — as it is: {timing(outcome(kind, SIZES[1]))}. With every stream mapping at "
            f"parallelization {MAX_PARALLELIZATION} and import-rows at {AT_ITS_LIMITS.max_concurrency} at once: "
            f"{timing(at_limits)}."
        )
        lines += [f"  - then: {note}." for note in at_limits.notes if "behind" in note or "write units" in note]
    return lines


def write_doc(lines: list[str]) -> None:
    generated = "\n".join([BEGIN, *lines, END])
    if DOC.is_file():
        text = DOC.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            DOC.write_text(head + generated + tail, encoding="utf-8")
            return
        DOC.write_text(text.rstrip("\n") + "\n\n" + generated + "\n", encoding="utf-8")
        return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("# Capacity on paper\n\n" + generated + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"P8's figures (default {RESULTS})")
    parser.add_argument("--measure", action="store_true", help=f"measure them now ({QUICK_ROWS} rows) instead")
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not update {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    inputs = None if args.measure else from_results(args.results)
    if inputs is None:
        print(
            f"no P8 figures of a full run in {args.results}: measuring them now ({QUICK_ROWS} rows of each kind)",
            flush=True,
        )
        inputs = measured_now()
    lines, _ = render(inputs)
    print("\n".join(lines))
    if not args.no_write:
        write_doc(lines)
        print(f"\nwritten: {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
