"""`python -m tests.bench`: every figure of issues 13 and 20, one line each, and `bench/results.json`.

    python -m tests.bench                  # the full run; exits 1 when a target is missed
    python -m tests.bench --smoke          # small sizes, targets printed but not enforced
    python -m tests.bench --only P1,memory # some sections

Each section measures its figures as ratios against a baseline taken in the same run (this
machine is shared and noisy: milliseconds from another run mean nothing here). How each is
measured: tests/bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from tests.bench.results import RESULTS, Figure, write

# section → the module whose `figures(smoke=...)` measures it, in the order they run
SECTIONS: dict[str, str] = {
    "P1": "tests.bench.cold_start",
    "P2": "tests.bench.warm",
    "P5": "tests.bench.scaling",
    "P6": "tests.bench.streams",
    "P7": "tests.bench.lookup",
    "P8": "tests.bench.imports",
    "memory": "tests.bench.memory",
}


def section(name: str) -> Callable[..., list[Figure]]:
    measure: Callable[..., list[Figure]] = importlib.import_module(SECTIONS[name]).figures
    return measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes; targets not enforced")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, default=None, help=f"default {RESULTS} (the smoke run: none)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    figures: list[Figure] = []
    counts: dict[str, int] = {}
    for name in chosen:
        measured = section(name)(smoke=args.smoke)
        for figure in measured:
            print(figure.line(), flush=True)
        figures += measured
        counts[name] = len(measured)
    output = args.output if args.output is not None else (None if args.smoke else RESULTS)
    if output is not None:
        write(figures, output, smoke=args.smoke, sections=counts)
        print(f"written: {output}")
    missed = [figure for figure in figures if not figure.holds]
    print(f"{len(figures) - len(missed)} of {len(figures)} figures within target" + (" (smoke)" if args.smoke else ""))
    return 0 if args.smoke or not missed else 1


if __name__ == "__main__":
    sys.exit(main())
