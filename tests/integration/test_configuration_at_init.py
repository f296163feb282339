"""A handler module loaded as Lambda loads it, in a fresh interpreter with exactly its declared
environment, starts; without any one of its variables it fails at init, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from crm import topology
from infra import REPO

# One of each kind: an API function, a stream consumer with a bus, a scheduled job with a bucket.
KINDS = ("contacts", "sla", "quarterly_report")


def _load(
    spec: topology.Function, environment: dict[str, str], *, program: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = {name: os.environ[name] for name in ("PATH", "AWS_REGION", "AWS_DEFAULT_REGION") if name in os.environ}
    return subprocess.run(
        [sys.executable, "-c", program or f"import {spec.module}"],
        env={
            **base,
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "layers" / "core" / "python")]),
            "AWS_LAMBDA_FUNCTION_NAME": f"BrokerageCrm-{spec.name}",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("name", KINDS)
def test_the_handler_starts_on_its_declared_environment_and_not_without_one_variable(name: str) -> None:
    spec = topology.function(name)
    assert _load(spec, spec.local_environment).returncode == 0
    declared = [variable for variable in spec.variables if variable != topology.FUNCTION_VARIABLE]
    missing = declared[-1]
    result = _load(spec, {k: v for k, v in spec.local_environment.items() if k != missing})
    assert result.returncode != 0
    assert "ConfigurationError" in result.stderr, result.stderr[-2000:]
    assert missing in result.stderr.splitlines()[-1]  # the last line names it


def test_an_api_handler_loads_without_the_resolvers_it_does_not_use_and_collects_again_once_loaded() -> None:
    spec = topology.function("complaints")
    probe = (
        f"import gc, sys; import {spec.module}; "
        "print(gc.isenabled(), gc.get_freeze_count() > 0, "
        "sorted(m for m in ('asyncio', 'aws_lambda_powertools.event_handler.appsync',"
        " 'aws_lambda_powertools.utilities.data_classes.s3_event') if m in sys.modules))"
    )
    loaded = _load(spec, spec.local_environment, program=probe)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split("\n")[0] == "True True []"


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda spec: spec.name)
def test_every_handler_module_imports_crm_coldstart_before_anything_else(spec: topology.Function) -> None:
    source = (REPO / "functions" / spec.name / "handler.py").read_text(encoding="utf-8")
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports[:2] == [
        "from __future__ import annotations",
        "import crm.coldstart  # noqa: F401  (first: see its doc)",
    ]
