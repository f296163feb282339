"""Cold start of every Lambda function against a bare `import boto3` (issue 2: within 2×).

A cold start pays for the handler module's imports and its work at import. Each is measured in
a fresh interpreter (`python -X importtime`, the cumulative time of the top module), the minimum
of several runs, beside `import boto3` measured the same way in the same run: the ratio is what
this noisy machine can tell, not the milliseconds. Tracing is off, as where the X-Ray SDK's own
cost is not wanted.

    python -m tests.bench.cold_start [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from crm import topology

TARGET = 2.0


def import_ms(module: str) -> float:
    env = dict(os.environ, POWERTOOLS_TRACE_DISABLED="true")
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    last = run.stderr.strip().splitlines()[-1]  # "import time: self | cumulative | module"
    return int(last.split("|")[1]) / 1000


def fastest(module: str, runs: int) -> float:
    return min(import_ms(module) for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    baseline = fastest("boto3", args.runs)
    print(f"{'import boto3 (baseline)':32} {baseline:8.0f} ms   1.00×")
    worst = 0.0
    for function in topology.FUNCTIONS:
        ms = fastest(function.module, args.runs)
        ratio = ms / baseline
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET else f"   above the {TARGET:.0f}× target"
        print(f"{function.name:32} {ms:8.0f} ms   {ratio:4.2f}×{flag}")
    print(f"worst: {worst:.2f}× a bare import boto3 (target ≤ {TARGET:.0f}×)")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
