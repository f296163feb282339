"""P1 cold init: every function's init against a fresh interpreter doing `import boto3` alone.

A cold start pays for the handler module's imports and its work at import (the resolver and its
routes, the logger, the function's settings read from its environment). Each is measured in a
fresh interpreter: the CPU time (user + system, `time.process_time`) of `import <handler module>`
with the function's own declared environment (`crm.topology.Function.local_environment`),
beside `import boto3` timed the same way. Interpreter start-up itself is outside both.

CPU time rather than wall time: an import is CPU-bound work on files in the page cache, and the
CPU a process used does not grow when other processes queue for the cores, where its wall time
does (measured here: the same import read 1.6× and 8× in two rounds on a busy machine by wall
time). The machine is shared and noisy all the same, so the runs are **interleaved**: each round times the baseline,
then every function, in a shuffled order; a function's figure is the minimum of its rounds over the
minimum of the baseline's (the least disturbed run of each). The spread printed is the range of the
per-round ratios, and the two halves of the rounds (odd, even) are compared: two runs of the
benchmark on an idle machine agree within 0.2× when the halves do.

Tracing is off (`POWERTOOLS_TRACE_DISABLED`), as in `crm local`: in AWS the X-Ray SDK's own import
adds to every function alike, and SnapStart takes all of it into the API functions' snapshot.

    python -m tests.bench.cold_start [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from dataclasses import dataclass

from crm import topology
from tests.bench.results import Figure

SECTION = "P1 cold init"
TARGET = 2.0
API_STRETCH = 1.6
AGREEMENT = 0.2  # two halves of the rounds must give ratios this close
BASELINE = "boto3"

# What the dev venv holds and Lambda does not, yet a handler's imports would load when present:
# PynamoDB's signals import blinker if they find it. Hidden, so the import is the one Lambda runs.
NOT_ON_LAMBDA = ("blinker",)
_PROGRAM = (
    "import sys, time; sys.modules.update(dict.fromkeys({hidden!r})); "
    "t = time.process_time(); import {module}; print(time.process_time() - t)"
)


def _environment(function: topology.Function | None) -> dict[str, str]:
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="true", AWS_DEFAULT_REGION="us-east-1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda loads compiled modules: so do we
    if function is not None:
        env |= function.local_environment
    return env


def init_ms(module: str, function: topology.Function | None = None) -> float:
    """One fresh interpreter's `import module`, in milliseconds."""
    run = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(module=module, hidden=NOT_ON_LAMBDA)],
        capture_output=True,
        text=True,
        env=_environment(function),
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{run.stderr[-3000:]}")
    return float(run.stdout.strip().splitlines()[-1]) * 1000


@dataclass
class Timings:
    baseline: list[float]
    functions: dict[str, list[float]]  # per function, one per round


def measure(rounds: int, functions: tuple[topology.Function, ...] = topology.FUNCTIONS) -> Timings:
    for function in functions:  # compile every module once, as a deployed package ships .pyc
        init_ms(function.module, function)
    timings = Timings(baseline=[], functions={f.name: [] for f in functions})
    order = list(functions)
    shuffle = random.Random(13)
    for _ in range(rounds):
        timings.baseline.append(init_ms(BASELINE))
        shuffle.shuffle(order)
        for function in order:
            timings.functions[function.name].append(init_ms(function.module, function))
    return timings


def _ratio(runs: list[float], baseline: list[float]) -> float:
    return min(runs) / min(baseline)


def figures(*, smoke: bool = False, rounds: int | None = None) -> list[Figure]:
    rounds = rounds or (2 if smoke else 7)
    functions = (topology.function("clients"), topology.function("reclassify")) if smoke else topology.FUNCTIONS
    timings = measure(rounds, functions)
    base = timings.baseline
    result = []
    for function in functions:
        runs = timings.functions[function.name]
        per_round = [run / b for run, b in zip(runs, base, strict=True)]
        halves = [_ratio(runs[i::2], base[i::2]) for i in (0, 1)] if rounds >= 2 else [0.0, 0.0]
        api = bool(function.routes)
        result.append(
            Figure(
                section=SECTION,
                name=function.name + (" (API)" if api else ""),
                value=min(runs),
                baseline=min(base),
                unit="ms",
                limit=TARGET,
                spread=f"rounds {min(per_round):.2f}–{max(per_round):.2f}×, halves {halves[0]:.2f}/{halves[1]:.2f}×",
                detail={
                    "runs_ms": [round(r, 1) for r in runs],
                    "baseline_ms": [round(b, 1) for b in base],
                    "api": api,
                    "stretch_met": _ratio(runs, base) <= API_STRETCH if api else None,
                    "halves_agree": abs(halves[0] - halves[1]) <= AGREEMENT,
                },
            )
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    measured = figures(rounds=args.rounds)
    for figure in measured:
        print(figure.line())
    worst = max(measured, key=lambda figure: figure.ratio)
    print(f"worst: {worst.name} {worst.ratio:.2f}× a bare import boto3 (target ≤ {TARGET:g}×)")
    return 0 if all(figure.holds for figure in measured) else 1


if __name__ == "__main__":
    raise SystemExit(main())
