"""P1 cold init: every function's init against a fresh interpreter doing `import boto3` alone.

A cold start pays for the handler module's imports and its work at import (`crm.coldstart`, the
resolver and its routes, the logger, the function's settings read from its environment). Each is
measured in a fresh interpreter started as Lambda starts it: `import handler` from the function's
folder, on a path of only what Lambda has (`tests.bench.lambda_path`: the runtime's boto3, the
Powertools layer, our layer; `python -S`, no dev venv) and with the function's own declared
environment (`crm.topology.Function.local_environment`), beside `import boto3` in the same kind
of interpreter, each less the same interpreter's start-up alone (`pass`), and each ending without the
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

Bytecode is compiled first (as a deployed package ships it), and tracing is off
(`POWERTOOLS_TRACE_DISABLED`, as in `crm local`: in AWS the X-Ray SDK's import adds to every
function alike, and SnapStart takes all of it into the API functions' snapshot).

    python -m tests.bench.cold_start [--only clients,reclassify]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from crm import topology
from tests.bench.lambda_path import FUNCTIONS, LAYER_SOURCE, link_lambda_path
from tests.bench.results import Figure

SECTION = "P1 cold init"
TARGET = 2.0
API_STRETCH = 1.6
BASELINE = "import boto3"
START_UP = "pass"  # the interpreter's start-up alone, taken from every count
HANDLER = "import handler"  # Lambda's: the module handler.py of the function's folder

# Ends without the interpreter's shutdown (its last collection over every object), which no
# Lambda container runs: the count is start-up and init, and start-up is counted apart.
_PROGRAM = "import os; {statement}; os._exit(0)"
_COUNTED = re.compile(r"I\s+refs:\s+([\d,]+)")


@dataclass(frozen=True)
class Run:
    """One fresh interpreter: what it runs, and the function whose folder and variables it has."""

    statement: str
    function: topology.Function | None = None

    def command(self, prefix: list[str]) -> list[str]:
        return [*prefix, sys.executable, "-S", "-c", _PROGRAM.format(statement=self.statement)]

    def environment(self, links: Path) -> dict[str, str]:
        """As Lambda starts it: the function's folder, then what Lambda has (no dev venv), its
        declared variables; tracing off, hash randomisation fixed, bytecode read as shipped."""
        path = ([FUNCTIONS / self.function.name] if self.function else []) + [links, LAYER_SOURCE]
        return (
            {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
            | {
                "PYTHONPATH": os.pathsep.join(map(str, path)),
                "PYTHONHASHSEED": "0",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
            | (self.function.local_environment if self.function else {})
        )

    def run(self, links: Path, prefix: list[str]) -> subprocess.CompletedProcess[str]:
        folder = FUNCTIONS / self.function.name if self.function else links  # -c puts it first on the path
        done = subprocess.run(
            self.command(prefix), capture_output=True, text=True, env=self.environment(links), cwd=folder, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.statement} failed:\n{done.stderr[-3000:]}")
        return done


def _valgrind() -> str:
    found = shutil.which("valgrind")
    if found is None:
        raise SystemExit("P1 counts instructions with Valgrind: install it (apt-get install valgrind)")
    return found


def instructions(run: Run, links: Path) -> int:
    """Instructions the interpreter executes, start-up included."""
    counter = [_valgrind(), "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    counted = _COUNTED.search(run.run(links, counter).stderr)
    if counted is None:
        raise RuntimeError(f"Valgrind counted nothing for {run.statement}")
    return int(counted.group(1).replace(",", ""))


def figures(*, smoke: bool = False, only: list[str] | None = None) -> list[Figure]:
    names = ["audit"] if smoke else only  # the lightest: the smoke shows the counting works
    functions = tuple(map(topology.function, names)) if names else topology.FUNCTIONS
    runs = [Run(START_UP), Run(BASELINE), *(Run(HANDLER, function) for function in functions)]
    with tempfile.TemporaryDirectory(prefix="lambda-path-") as directory:
        links = Path(directory)
        link_lambda_path(links)
        for run in runs:  # compile every module once, as a deployed package ships .pyc
            run.run(links, [])
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            start_up, baseline, *counts = pool.map(lambda run: instructions(run, links), runs)
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
