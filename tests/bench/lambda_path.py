"""What a deployed function can import, as a path of links: the distributions of Lambda's Python
runtime (boto3 and its dependencies), of the public Powertools layer (Powertools with every extra,
which is how that layer is built) and of our layer (`crm`, and `SHIPPED_DISTRIBUTIONS` of
infra/constructs/shared_layer.py), each with its dependencies as installed here. A process run
with `python -S` on that path and the layer's source imports what Lambda would, and fails to
import what only the dev venv has (PynamoDB's optional `blinker`, for one). Used by the memory and
the cold-start benchmarks."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"  # each function's folder is its /var/task
LAYER_SOURCE = ROOT / "layers" / "core" / "python"  # our layer's /opt/python

# What Lambda's Python runtime provides (with its dependencies), and how the public Powertools
# layer is built (`[all]`: every extra).
RUNTIME_DISTRIBUTIONS = ("boto3",)
POWERTOOLS_LAYER = "aws-lambda-powertools[all]"


def shipped_distributions() -> tuple[str, ...]:
    """`SHIPPED_DISTRIBUTIONS` of infra/constructs/shared_layer.py, read from its source (importing
    it would load the CDK)."""
    source = (ROOT / "infra" / "constructs" / "shared_layer.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "SHIPPED_DISTRIBUTIONS" for target in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise LookupError("SHIPPED_DISTRIBUTIONS not found in infra/constructs/shared_layer.py")


def lambda_distributions() -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions a deployed function has: the runtime's, the Powertools layer's
    and ours, each with what it requires (markers evaluated with its extras), by name."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, importlib.metadata.Distribution] = {}
    extras: dict[str, set[str]] = {}
    pending = [Requirement(text) for text in (*RUNTIME_DISTRIBUTIONS, POWERTOOLS_LAYER, *shipped_distributions())]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        wanted = set(requirement.extras)
        if name in found and wanted <= extras[name]:
            continue
        try:
            distribution = found.get(name) or importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # required only where this machine is not (a marker this venv did not meet)
        found[name] = distribution
        extras[name] = extras.get(name, set()) | wanted
        for text in distribution.requires or []:
            dependency = Requirement(text)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras[name] | {""}):
                pending.append(dependency)
    return found


def link_lambda_path(directory: Path) -> list[str]:
    """Links in `directory` to the top-level packages, modules and metadata of the distributions
    Lambda has (what /opt/python and the runtime hold); returns their names."""
    linked: set[str] = set()
    for distribution in lambda_distributions().values():
        site = Path(str(distribution.locate_file("")))
        for file in distribution.files or ():
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth") or top in linked:
                continue
            (directory / top).symlink_to(site / top)
            linked.add(top)
    return sorted(linked)
