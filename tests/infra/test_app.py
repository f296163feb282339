"""`make synth` as a user runs it: the script alone, offline, on the venv's Node.js only."""

from __future__ import annotations

import json
import subprocess
import sys

from crm import topology
from infra import REPO
from infra.app import STACK_NAME, function_summary


def test_the_app_script_synthesises_without_a_system_node(tmp_path):
    outdir = tmp_path / "cdk.out"
    result = subprocess.run(
        [sys.executable, str(REPO / "infra" / "app.py")],
        # No PATH: no system Node.js (or anything else) can be picked up; CDK_OUTDIR as the CDK CLI sets it.
        env={"PATH": "", "HOME": str(tmp_path), "CDK_OUTDIR": str(outdir)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text())
    assert template["Resources"]
    # It says what each function was given: its memory size, and SnapStart behind an alias for the API.
    summary = result.stdout.splitlines()
    assert summary == function_summary(template)
    assert len(summary) == len(topology.FUNCTIONS)
    api = [line for line in summary if "SnapStart PublishedVersions" in line]
    assert len(api) == sum(1 for function in topology.FUNCTIONS if function.routes)
    assert all(line.endswith("alias live") for line in api)
    assert len({line.split(" MB")[0].split()[-1] for line in summary}) > 1  # not one size for all
    # Quiet apart from CDK's bundling notice: no jsii warning about the Node.js version.
    assert [line for line in result.stderr.splitlines() if not line.startswith("Bundling asset")] == []
