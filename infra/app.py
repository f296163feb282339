"""The CDK app (`make synth`, `cdk deploy`): the one stack, with cdk-nag AwsSolutions on every synth.

Any unacknowledged cdk-nag finding makes synth fail. The cloud assembly goes to `cdk.out/` at
the repository root (or wherever the CDK CLI asks through `CDK_OUTDIR`).

Context is read as the CDK CLI reads it: `cdk.json`'s `context`, then `-c name=value` over it
(`python infra/app.py -c snapstart=false`, which `make synth SNAPSTART=false` runs).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script (`python infra/app.py`): Python put infra/ first on the path, where our
    # `constructs` package would shadow the `constructs` library. Put the repository there instead.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from infra import REPO  # first: points jsii at the venv's Node.js before aws_cdk loads

# isort: split
from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.stack import BrokerageCrmStack

STACK_NAME = "BrokerageCrm"


def build_app(
    outdir: str | os.PathLike[str] | None = None, context: Mapping[str, object] | None = None
) -> tuple[App, BrokerageCrmStack]:
    app = App(outdir=str(outdir or os.environ.get("CDK_OUTDIR") or REPO / "cdk.out"), context=dict(context or {}))
    stack = BrokerageCrmStack(
        app,
        STACK_NAME,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def context_arguments(argv: Sequence[str]) -> dict[str, str]:
    """`-c name=value` (or `--context name=value`), as many as given, as the CDK CLI takes them."""
    context: dict[str, str] = {}
    arguments = iter(argv)
    for argument in arguments:
        if argument not in ("-c", "--context"):
            raise SystemExit(f"usage: infra/app.py [-c name=value]...; not {argument!r}")
        name, equals, value = next(arguments, "").partition("=")
        if not (name and equals):
            raise SystemExit(f"{argument} takes name=value")
        context[name] = value
    return context


def cdk_json_context() -> dict[str, object]:
    return dict(json.loads((REPO / "cdk.json").read_text(encoding="utf-8")).get("context", {}))


def function_summary(template: Mapping[str, Any]) -> list[str]:
    """One line per Lambda function of a synthesised template: its memory, timeout and SnapStart,
    and the alias API Gateway invokes where there is one (what `make synth` prints)."""
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    aliased = {
        alias["Properties"]["FunctionName"].get("Ref"): alias["Properties"]["Name"]
        for alias in resources.values()
        if alias["Type"] == "AWS::Lambda::Alias"
    }
    lines = []
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        snap_start = properties.get("SnapStart", {}).get("ApplyOn", "off")
        alias = f"alias {aliased[logical_id]}" if logical_id in aliased else ""
        lines.append(
            f"{logical_id:<52} {properties.get('MemorySize', 128):>5} MB {properties.get('Timeout', 3):>4} s"
            f"  SnapStart {snap_start:<20} {alias}".rstrip()
        )
    return lines


if __name__ == "__main__":
    assembly = build_app(context={**cdk_json_context(), **context_arguments(sys.argv[1:])})[0].synth()
    print("\n".join(function_summary(assembly.get_stack_by_name(STACK_NAME).template)))
