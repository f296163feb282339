"""P1 cold init: every function's init against a fresh interpreter doing `import boto3` alone.

A cold start pays for the handler module's imports and its work at import (`crm.coldstart`, the
resolver and its routes, the logger, the function's settings read from its environment). Each is
measured in a fresh interpreter: `import <handler module>` with the function's own declared
environment (`crm.topology.Function.local_environment`), beside `import boto3` measured the same
way, each less the same interpreter's start-up alone (`pass`), and each ending without the
interpreter's shutdown (`os._exit`): its last collection over every object is no part of a cold
start (a Lambda container never runs it), and would count the baseline's objects but not those
`crm.coldstart` froze.

**Instructions, counted by Valgrind** (cachegrind without its cache simulation), rather than
time. On this shared machine the CPU time of one import varied 1.5–2× from one run to the next
(its wall time up to 8×), so a minimum of timed runs moved by 0.3–0.7× between two runs of the
benchmark; the number of instructions an import executes is the same on a busy machine as on an
idle one (hash randomisation is fixed, `PYTHONHASHSEED=0`), so two runs agree to the instruction
and the counts run side by side on every core. An import is CPU work on files in the page cache:
its instructions are its cost, up to how fast the machine runs them, which the baseline measured
the same way cancels out.

Bytecode is compiled first (as a deployed package ships it), tracing is off
(`POWERTOOLS_TRACE_DISABLED`, as in `crm local`: in AWS the X-Ray SDK's import adds to every
function alike, and SnapStart takes all of it into the API functions' snapshot), and what the dev
venv has and Lambda lacks is hidden (`blinker`, which PynamoDB's signals load when present).

    python -m tests.bench.cold_start [--only clients,reclassify]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from crm import topology
from tests.bench.results import Figure

SECTION = "P1 cold init"
TARGET = 2.0
API_STRETCH = 1.6
BASELINE = "boto3"
START_UP = "pass"  # the interpreter's start-up alone, taken from every count

# What the dev venv holds and Lambda does not, yet a handler's imports would load when present:
# PynamoDB's signals import blinker if they find it. Hidden, so the import is the one Lambda runs.
NOT_ON_LAMBDA = ("blinker",)
# Ends without the interpreter's shutdown (its last collection over every object), which no
# Lambda container runs: the count is start-up and init, and start-up is counted apart.
_PROGRAM = "import os, sys; sys.modules.update(dict.fromkeys({hidden!r})); {statement}; os._exit(0)"
_COUNTED = re.compile(r"I\s+refs:\s+([\d,]+)")


def _environment(function: topology.Function | None) -> dict[str, str]:
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="true", AWS_DEFAULT_REGION="us-east-1", PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda loads compiled modules: so do we
    if function is not None:
        env |= function.local_environment
    return env


def _valgrind() -> str:
    found = shutil.which("valgrind")
    if found is None:
        raise SystemExit("P1 counts instructions with Valgrind: install it (apt-get install valgrind)")
    return found


def _run(statement: str, function: topology.Function | None, prefix: list[str]) -> subprocess.CompletedProcess[str]:
    program = _PROGRAM.format(hidden=NOT_ON_LAMBDA, statement=statement)
    run = subprocess.run(
        [*prefix, sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=_environment(function),
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{statement} failed:\n{run.stderr[-3000:]}")
    return run


def instructions(statement: str, function: topology.Function | None = None) -> int:
    """Instructions a fresh interpreter executes to run `statement`, start-up included."""
    counter = [_valgrind(), "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    counted = _COUNTED.search(_run(statement, function, counter).stderr)
    if counted is None:
        raise RuntimeError(f"Valgrind counted nothing for {statement}")
    return int(counted.group(1).replace(",", ""))


def figures(*, smoke: bool = False, only: list[str] | None = None) -> list[Figure]:
    names = ["audit"] if smoke else only  # the lightest: the smoke shows the counting works
    functions = tuple(map(topology.function, names)) if names else topology.FUNCTIONS
    for function in functions:  # compile every module once, as a deployed package ships .pyc
        _run(f"import {function.module}", function, [])
    jobs: list[tuple[str, topology.Function | None]] = [(START_UP, None), (f"import {BASELINE}", None)]
    jobs += [(f"import {function.module}", function) for function in functions]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        start_up, baseline, *counts = pool.map(lambda job: instructions(*job), jobs)
    base = (baseline - start_up) / 1e6
    result = []
    for function, count in zip(functions, counts, strict=True):
        init = (count - start_up) / 1e6
        api = bool(function.routes)
        result.append(
            Figure(
                section=SECTION,
                name=function.name + (" (API)" if api else ""),
                value=init,
                baseline=base,
                unit="M instructions",
                limit=TARGET,
                spread="counted, the same in every run",
                detail={"api": api, "stretch_met": init / base <= API_STRETCH if api else None},
            )
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated function names (default: every function)")
    args = parser.parse_args(argv)
    measured = figures(only=args.only.split(",") if args.only else None)
    for figure in measured:
        print(figure.line())
    worst = max(measured, key=lambda figure: figure.ratio)
    print(f"worst: {worst.name} {worst.ratio:.2f}× a bare import boto3 (target ≤ {TARGET:g}×)")
    return 0 if all(figure.holds for figure in measured) else 1


if __name__ == "__main__":
    raise SystemExit(main())
