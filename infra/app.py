"""The CDK app (`make synth`, `cdk deploy`): the one stack, with cdk-nag AwsSolutions on every synth.

Any unacknowledged cdk-nag finding makes synth fail. The cloud assembly goes to `cdk.out/` at
the repository root (or wherever the CDK CLI asks through `CDK_OUTDIR`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def build_app(outdir: str | os.PathLike[str] | None = None) -> tuple[App, BrokerageCrmStack]:
    app = App(outdir=str(outdir or os.environ.get("CDK_OUTDIR") or REPO / "cdk.out"))
    stack = BrokerageCrmStack(
        app,
        STACK_NAME,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
