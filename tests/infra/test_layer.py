"""The shared layer as synthesised: our package without the local system, plus the pure-Python
dependencies that neither the Lambda runtime nor the Powertools layer provides."""

from __future__ import annotations

import importlib.metadata
import json

import pytest

from infra import REPO
from infra.constructs.shared_layer import SHIPPED_DISTRIBUTIONS


@pytest.fixture(scope="session")
def layer(synthesised):
    """The directory CDK zips into the core layer, found through the template and asset manifest."""
    (layer,) = synthesised.properties("AWS::Lambda::LayerVersion").values()
    asset_hash = layer["Content"]["S3Key"].removesuffix(".zip")
    manifest = json.loads((synthesised.assembly_dir / f"{synthesised.stack.artifact_id}.assets.json").read_text())
    return synthesised.assembly_dir / manifest["files"][asset_hash]["source"]["path"]


def test_layer_ships_the_crm_package_under_python(layer):
    source = REPO / "layers" / "core" / "python" / "crm"
    expected = {
        path.relative_to(source)
        for path in source.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.relative_to(source).parts[0] not in ("local", "cli.py")
    }
    package = layer / "python" / "crm"
    shipped = {path.relative_to(package) for path in package.rglob("*") if path.is_file()}
    assert shipped == expected
    assert (package / "domain" / "classification.py").is_file()
    assert (package / "topology.py").is_file()


def test_layer_leaves_out_the_local_system_and_bytecode(layer):
    assert not (layer / "python" / "crm" / "local").exists()
    assert not (layer / "python" / "crm" / "cli.py").exists()
    assert not [path for path in layer.rglob("*") if path.name == "__pycache__" or path.suffix == ".pyc"]


def test_layer_ships_the_installed_dependencies(layer):
    assert (layer / "python" / "pynamodb" / "models.py").is_file()
    assert (layer / "python" / "chinese_calendar" / "__init__.py").is_file()
    for name in SHIPPED_DISTRIBUTIONS:
        installed = importlib.metadata.distribution(name).files or []
        for file in installed:
            if ".." not in file.parts and "__pycache__" not in file.parts:
                assert (layer / "python" / file).is_file(), f"{name}: {file} (the version the tests ran with)"
