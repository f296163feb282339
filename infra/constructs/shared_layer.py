"""The layers every function runs with: our `crm` package, and the public Powertools layer.

Our layer is bundled locally (no Docker, no pip, no network): `layers/core/python/crm` without
the local system (`crm/local/`, `crm/cli.py`), plus the pure-Python distributions the code needs
that neither the Lambda runtime (boto3) nor the Powertools layer (pydantic) provides, copied from
the ones installed in the venv so the layer ships exactly the versions the tests ran against.
The Powertools layer is the public one of the installed Powertools version, found through its
public SSM parameter at deploy time.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from constructs import Construct

from infra import REPO
from infra.constructs.function import ARCHITECTURE, RUNTIME

LAYER_SOURCE = REPO / "layers" / "core"
PACKAGE = "crm"
# Parts of the package that only the local system uses (moto, the HTTP front, the CLI).
LOCAL_ONLY = frozenset({"local", "cli.py"})
# Installed distributions shipped in the layer, with their metadata.
SHIPPED_DISTRIBUTIONS = ("pynamodb", "chinese_calendar", "xlsxwriter")

POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/{ARCHITECTURE.name}/{RUNTIME.name}/{POWERTOOLS_VERSION}"


def _is_bytecode(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def _leave_out(directory: str, names: list[str]) -> set[str]:
    """`shutil.copytree` filter: bytecode everywhere, the local-only parts at the package root."""
    package_root = Path(directory) == LAYER_SOURCE / "python" / PACKAGE
    return {name for name in names if _is_bytecode(Path(directory, name)) or (package_root and name in LOCAL_ONLY)}


def _copy_distribution(name: str, site_packages: Path) -> None:
    distribution = importlib.metadata.distribution(name)
    if distribution.files is None:
        raise RuntimeError(f"{name} is installed without a file list; the layer cannot ship it")
    for file in distribution.files:
        if ".." in file.parts or _is_bytecode(Path(file)):  # console scripts, bytecode
            continue
        target = site_packages / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(str(distribution.locate_file(file))), target)


def bundle_core_layer(output_dir: Path) -> None:
    """Write the layer's content (`python/...`, as Lambda expects) into `output_dir`."""
    site_packages = output_dir / "python"
    shutil.copytree(LAYER_SOURCE / "python" / PACKAGE, site_packages / PACKAGE, ignore=_leave_out, dirs_exist_ok=True)
    for name in SHIPPED_DISTRIBUTIONS:
        _copy_distribution(name, site_packages)


@jsii.implements(ILocalBundling)
class _LocalLayerBundler:
    # jsii passes the BundlingOptions positionally; this bundler needs none of them.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        bundle_core_layer(Path(output_dir))
        return True


class SharedLayers(Construct):
    """`core` (ours) and `powertools` (public); `all` in the order functions load them."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.core = lambda_.LayerVersion(
            self,
            "Core",
            description="The crm package (domain, rules, data access, API) and its pure-Python dependencies",
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                exclude=["**/__pycache__", "**/*.egg-info"],
                bundling=BundlingOptions(image=RUNTIME.bundling_image, local=_LocalLayerBundler()),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER),
        )
        self.all: tuple[lambda_.ILayerVersion, ...] = (self.powertools, self.core)
