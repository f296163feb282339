"""The benchmarks run: `python -m tests.bench --smoke` (small sizes, targets not enforced) measures
every section of issue 13 and writes its figures, so `make bench` cannot rot between runs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from tests.bench.__main__ import SECTIONS


def test_the_smoke_run_measures_every_section_and_writes_its_figures(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--smoke", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["smoke"] is True
    assert list(document["sections"]) == list(SECTIONS)
    assert all(count > 0 for count in document["sections"].values()), document["sections"]
    figures = document["figures"]
    assert len(figures) == sum(document["sections"].values())
    for figure in figures:
        assert math.isfinite(figure["ratio"]), figure
        assert figure["value"] >= 0, figure
        assert figure["target"].startswith(("≤", "≥")), figure
    printed = [line for line in run.stdout.splitlines() if line.startswith(("ok  ", "MISS"))]
    assert len(printed) == len(figures)
