"""Memory (issue 13): each function's peak RSS after init and after its sample requests, against
the memory size the topology gives it (`crm.topology.memory_size`: the recorded peak × HEADROOM,
above a floor for CPU).

    python -m tests.bench --only memory [--smoke]

moto's server runs in this process with the topology's tables, buckets and bus. The sample events
under events/ are replayed in the order of tests/integration/test_sample_events.py (`STEPS`), each
step's state relying on the ones before. The function measured takes its steps in a process of its
own, started at its first step and ended after its last, as a Lambda container would: the child
imports `handler` from functions/<name>/ (Lambda's /var/task) — the init, after which it records
its peak RSS — then gets each of its events in turn, with a `crm.local.invoke.LambdaContext` of the
function's declared memory and timeout, and records its peak RSS after each. Every other step runs
in this process (`crm.local.invoke.Invoker`, on moto's in-process backends, which the server
answers from too). The child's environment is its function's declared variables with the local
names (`Function.local_environment`), every AWS service at the server (`AWS_ENDPOINT_URL`), dummy
credentials, tracing off.

Peak RSS is the child's `VmHWM` (/proc/self/status). `ru_maxrss` would be wrong here: Python
starts the child by vfork and exec, and Linux carries the parent's peak over the exec into the
child's `ru_maxrss` (this process, with moto, is several hundred MB).

What the child can import is what Lambda has, not the dev venv: it runs without site-packages
(`python -S`) on a path of its own that links only the distributions of the Lambda runtime (boto3
and its dependencies), the public Powertools layer (Powertools with every extra, which is how
that layer is built) and our layer (`crm`, and `SHIPPED_DISTRIBUTIONS` of
infra/constructs/shared_layer.py), each with its dependencies as installed here. So the optional
imports the dev venv would satisfy fail as they do on Lambda (PynamoDB's `blinker`, for one); the
figure's detail names the ones kept out that way (`kept_out`). What stays different: Lambda runs
Python 3.14 on arm64 and its own runtime client beside the handler (this is 3.11 on this machine,
without it), and `crm` here includes `crm.local` (imported after init, for the context only). The
headroom is there for that, and for bigger batches and pages than the samples'.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import IO, Any

from tests.bench.lambda_path import FUNCTIONS, LAYER_SOURCE, link_lambda_path
from tests.bench.report import serving
from tests.bench.results import Figure
from tests.integration.test_sample_events import (
    API_SCENARIO,
    CALLBACK_SCENARIO,
    IMPORT_SCENARIO,
    MESSAGES,
    REPORT_SCENARIO,
    UPLOAD,
)

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SECTION = "memory"

# The smoke run: one API function and one stream consumer, both done within the scenario's
# first third.
SMOKE_FUNCTIONS = ("questionnaires", "reclassify")


@dataclass(frozen=True)
class Step:
    """One invocation of the scenario: a sample event (path under events/) and what it must give."""

    event: str
    status: int | None = None  # an API response's status; None: a stream batch or a job
    override: dict[str, Any] = field(default_factory=dict)  # keys replaced in the event
    upload: bool = False  # the sample import's file put where the trading system's client puts it first

    @property
    def function(self) -> str:
        return Path(self.event).parent.name

    def load(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads((EVENTS / self.event).read_text(encoding="utf-8"))
        return event | self.override


def _api(pairs: list[tuple[str, int]]) -> list[Step]:
    return [Step(event, status) for event, status in pairs]


# The invocations of tests/integration/test_sample_events.py, in its order.
STEPS: tuple[Step, ...] = (
    *_api(API_SCENARIO),
    Step("api/questionnaires/history.json", 200),
    Step("streams/reclassify/metrics_insert.json"),
    Step("api/clients/get_client.json", 200),
    Step("streams/sla/provisional_clock_insert.json"),
    Step("streams/deadlines/calendar_loaded.json"),
    Step("schedules/sla_sweep/every_15_minutes.json"),
    Step("streams/audit/profile_phone_changed.json"),
    Step("api/audit_trail/client_trail.json", 200),
    Step("schedules/recalibration/year_end.json"),
    Step("schedules/rules_reclassification/every_30_minutes.json"),
    Step("api/clients/at_risk.json", 200),
    Step("api/clients/get_client.json", 200),
    Step("streams/callback_schedule/case_closed.json"),
    Step("schedules/callback_generation/daily_0600.json"),
    *_api(CALLBACK_SCENARIO),
    Step("api/callbacks/read.json", 200),
    Step("streams/sms/client_registered.json"),
    Step("streams/sms/client_registered.json"),
    Step("api/clients/get_client.json", 200, MESSAGES),
    Step("streams/aggregates/work_log_written.json"),
    Step("streams/aggregates/work_log_written.json"),
    Step("schedules/quarterly_report/after_q2.json"),
    Step("schedules/quarterly_report/after_q2.json"),
    *_api(REPORT_SCENARIO),
    # the trading system's file, as in test_sample_events: created, uploaded, started, read, applied, finished
    Step(IMPORT_SCENARIO[0][0], IMPORT_SCENARIO[0][1]),
    Step(IMPORT_SCENARIO[1][0], IMPORT_SCENARIO[1][1], upload=True),
    Step("queues/import_files/read_file.json"),
    Step("queues/import_rows/apply_chunk.json"),
    Step("queues/import_files/finish_import.json"),
    *_api(IMPORT_SCENARIO[2:]),
)


def upload_sample_file(step: Step) -> None:
    """The sample import's file, at the key its start event names (what the presigned PUT does)."""
    import boto3

    from crm.domain.imports import upload_key
    from crm.topology import IMPORT_FILES

    import_id = step.load()["pathParameters"]["import_id"]
    boto3.client("s3").put_object(Bucket=IMPORT_FILES.local_name, Key=upload_key(import_id), Body=UPLOAD.encode("gbk"))


def check(step: Step, result: Any) -> None:
    """What the step must give for the scenario's later steps to find what they rely on."""
    if step.status is not None:
        status = result.get("statusCode") if isinstance(result, dict) else None
        if status != step.status:
            raise AssertionError(f"{step.event}: status {status}, not {step.status}: {result}")
    elif isinstance(result, dict) and result.get("batchItemFailures"):
        raise AssertionError(f"{step.event}: failures {result['batchItemFailures']}")


# --- the function's process --------------------------------------------------------------------

# Outside the `tests` package (whose import keeps a process away from any AWS endpoint) and outside
# the dev venv's site-packages (`python -S`, PYTHONPATH: the links and our layer). It answers one
# JSON line per event on its own copy of stdout; what the handler prints goes to stderr.
CHILD = r"""
import json, os, sys, traceback


def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


answers = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
missing = []


class Missing:
    # last of the finders: the top-level modules nothing on the path has
    @staticmethod
    def find_spec(name, path=None, target=None):
        if "." not in name and name not in missing:
            missing.append(name)
        return None


sys.meta_path.append(Missing)
started = peak_kb()
sys.path.insert(0, sys.argv[1])
import handler

initialised = peak_kb()
from crm.local.invoke import LambdaContext

answers.write(json.dumps({"started_kb": started, "init_kb": initialised, "missing": missing}) + "\n")
for line in sys.stdin:
    request = json.loads(line)
    context = LambdaContext(request["function"], request["memory_mb"], request["timeout_s"])
    try:
        result = handler.lambda_handler(request["event"], context)
    except Exception:
        answers.write(json.dumps({"error": traceback.format_exc()}) + "\n")
        continue
    if isinstance(result, dict) and "statusCode" in result:
        result = {"statusCode": result["statusCode"], "body": str(result.get("body"))[:500]}
    answers.write(json.dumps({"result": result, "peak_kb": peak_kb(), "missing": missing}, default=str) + "\n")
"""


@dataclass
class Measured:
    function: str
    started_mb: float
    init_mb: float
    peak_mb: float = 0.0
    requests: int = 0
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Container:
    """One function's process, from its first step to its last."""

    def __init__(self, name: str, environment: dict[str, str]) -> None:
        from crm import topology

        self.function = topology.function(name)
        # What the handler logs, shown if it fails; closed by close() or kill().
        self.errors: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.started = perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-c", CHILD, str(FUNCTIONS / name)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=environment,
            cwd=Path(environment["PYTHONPATH"].split(os.pathsep)[0]),  # not the repository (-c puts it first)
            text=True,
        )
        first = self._answer()
        self.measured = Measured(name, first["started_kb"] / 1024, first["init_kb"] / 1024, first["init_kb"] / 1024)

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise self._failed("ended")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{self.function.name} failed:\n{answer['error']}")
        return answer

    def _failed(self, how: str) -> RuntimeError:
        self.process.wait()
        self.errors.seek(0)
        return RuntimeError(f"{self.function.name}'s process {how} ({self.process.returncode}):\n{self.errors.read()}")

    def invoke(self, event: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        request = {
            "function": self.function.name,
            "memory_mb": self.function.memory_mb,
            "timeout_s": self.function.timeout_s,
            "event": event,
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self._answer()
        self.measured.peak_mb = answer["peak_kb"] / 1024
        self.measured.missing = answer["missing"]
        self.measured.requests += 1
        return answer["result"]

    def close(self) -> Measured:
        assert self.process.stdin is not None
        self.process.stdin.close()
        if self.process.wait(timeout=30) != 0:
            raise self._failed("exited")
        self.measured.seconds = perf_counter() - self.started
        self.errors.close()
        return self.measured

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.errors.close()


def environment(name: str, endpoint: str, path: list[Path]) -> dict[str, str]:
    """The function's process as Lambda starts it: its declared variables (local names), every
    service at the server, and a path of only what Lambda has."""
    from crm import topology
    from crm.local.system import handler_environment

    return (
        {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        | handler_environment(endpoint)
        | topology.function(name).local_environment
        | {
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONPATH": os.pathsep.join(str(part) for part in path),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )


def replay(chosen: tuple[str, ...], endpoint: str, path: list[Path]) -> list[Measured]:
    """The scenario, the chosen functions' steps in their own processes, the rest in this one; stops
    after the last chosen function's last step."""
    import boto3

    from crm import topology
    from crm.local import provision, state
    from crm.local.invoke import Invoker

    provision.create_tables(boto3.client("dynamodb"))
    provision.create_buckets(boto3.client("s3"))
    provision.create_bus(boto3.client("events"), boto3.client("sqs"))
    provision.create_user_pool(boto3.client("cognito-idp"))
    provision.create_secrets(boto3.client("secretsmanager"), state.keys(None))
    provision.create_work_queues(boto3.client("sqs"))
    last = {step.function: index for index, step in enumerate(STEPS)}
    end = max(last[name] for name in chosen)
    invoker = Invoker()
    running: dict[str, Container] = {}
    measured: list[Measured] = []
    try:
        for index, step in enumerate(STEPS[: end + 1]):
            name = step.function
            if step.upload:
                upload_sample_file(step)
            if name in chosen:
                if name not in running:
                    running[name] = Container(name, environment(name, endpoint, path))
                check(step, running[name].invoke(step.load()))
                if index == last[name]:
                    measured.append(running.pop(name).close())
            else:
                check(step, invoker.invoke(topology.function(name), step.load()))
    finally:
        for container in running.values():
            container.kill()
    return measured


def kept_out(missing: list[str]) -> list[str]:
    """The modules the function's process did not find that the dev venv has."""
    return [name for name in missing if importlib.util.find_spec(name) is not None]


def figures(*, smoke: bool) -> list[Figure]:
    from moto import mock_aws

    from crm import topology
    from tests.bench import moto_speedups

    chosen = SMOKE_FUNCTIONS if smoke else tuple(function.name for function in topology.FUNCTIONS)
    unsampled = set(chosen) - {step.function for step in STEPS}
    if unsampled:
        raise LookupError(f"no step of the scenario invokes {sorted(unsampled)}")
    with tempfile.TemporaryDirectory(prefix="lambda-path-") as links:
        link_lambda_path(Path(links))
        path = [Path(links), LAYER_SOURCE]
        with serving() as endpoint, moto_speedups.installed(), mock_aws():
            measured = replay(chosen, endpoint, path)
    out = []
    for outcome in sorted(measured, key=lambda m: chosen.index(m.function)):
        function = topology.function(outcome.function)
        out.append(
            Figure(
                section=SECTION,
                name=f"{function.name}, init {outcome.init_mb:.0f} MB",
                value=outcome.peak_mb,
                unit="MB",
                baseline=function.memory_mb,
                limit=round(1 / topology.HEADROOM, 4),
                detail={
                    "after_init_mb": round(outcome.init_mb, 1),
                    "after_requests_mb": round(outcome.peak_mb, 1),
                    "interpreter_mb": round(outcome.started_mb, 1),
                    "requests": outcome.requests,
                    "recorded_peak_rss_mb": function.peak_rss_mb,
                    "memory_mb": function.memory_mb,
                    "kept_out": kept_out(outcome.missing),
                    "seconds": round(outcome.seconds, 1),
                },
            )
        )
    return out
