"""The figures a benchmark reports: each a ratio against a baseline measured in the same run.

Every section of `python -m tests.bench` returns `Figure`s; the runner prints one line per figure
and writes them all to `bench/results.json`. A figure whose target does not hold makes the run
exit non-zero (except in the smoke run of `make test`, where sizes are too small to mean much).
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"


@dataclass(frozen=True)
class Figure:
    """One measured figure: `value` against `baseline` (same unit, same run) gives `ratio`.

    `limit` is the target for the ratio: at most (`at_most=True`) or at least. Counts that are
    their own figure (DynamoDB requests per record) have no baseline: the ratio is the value."""

    section: str  # "P1 cold init", "P2 warm request", ...
    name: str  # what was measured: a function, a request, a job
    value: float
    unit: str
    limit: float
    baseline: float | None = None
    at_most: bool = True
    spread: str = ""  # how far repeated measurements lay apart, in words
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.baseline is None:
            return self.value
        return self.value / self.baseline if self.baseline else math.inf

    @property
    def holds(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit

    @property
    def target(self) -> str:
        unit = "×" if self.baseline is not None else f" {self.unit}"
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}{unit}"

    def line(self) -> str:
        measured = f"{self.value:,.1f} {self.unit}"
        if self.baseline is not None:
            measured += f" / {self.baseline:,.1f}"
            shown = f"{self.ratio:5.2f}×"
        else:
            shown = f"{self.ratio:5.2f}"
        verdict = "ok  " if self.holds else "MISS"
        spread = f"  ({self.spread})" if self.spread else ""
        return f"{verdict} {self.section:<16} {self.name:<34} {shown:>8}  target {self.target:<10} {measured}{spread}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": round(self.ratio, 4), "holds": self.holds, "target": self.target}


def write(figures: Iterable[Figure], path: Path, *, smoke: bool, sections: dict[str, int]) -> None:
    """The figures as JSON, with how many each section of the run measured."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {_cpus()} CPUs",
        "smoke": smoke,
        "sections": sections,
        "figures": [figure.as_dict() for figure in figures],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
