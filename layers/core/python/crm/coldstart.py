"""What a function's cold start runs before anything else: every handler module imports it first.

Two costs of a cold start are not the function's own work (P1 in tests/bench/cold_start.py):

- **The cyclic garbage collector.** Init allocates a few hundred thousand objects and keeps
  nearly all of them for the life of the process; the collector's passes over them while the
  imports run find nothing to free (measured: a tenth of an API function's init). It is paused
  here, and `settled()`, which `crm.observability.observed()` calls when the handler module has
  loaded, freezes what init built out of its generations (requests do not rescan it either) and
  resumes it.
- **Package `__init__` files that import what we never use.** Powertools' `event_handler`
  package imports every resolver (AppSync's brings asyncio, Bedrock's, VPC Lattice's…) and
  `utilities.data_classes` every event class, even for code that imports one submodule. Each is
  installed here as a *lean* package: its submodules load as usual, a name the `__init__` imports
  from a submodule (`from aws_lambda_powertools.event_handler import Response`) loads that
  submodule only, and only a name no submodule provides runs the real `__init__`.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

LEAN_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")

_paused = gc.isenabled()
gc.disable()


def settled() -> None:
    """Init is over: keep what it built out of the collector's way, and let the collector run."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def exports(package: str, init_source: bytes) -> dict[str, tuple[str, str]]:
    """What a package's `__init__` imports from its own submodules: name → (submodule, attribute)."""
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(init_source).body:
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        module = f"{package}.{node.module}" if node.level == 1 else node.module
        if module.startswith(package + "."):
            found |= {alias.asname or alias.name: (module, alias.name) for alias in node.names}
    return found


def lean(package: str) -> ModuleType:
    """Install `package` in `sys.modules` without running its `__init__` (see the module's doc)."""
    if package in sys.modules:
        return sys.modules[package]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.origin is None:
        raise ImportError(f"no package {package}")
    module = importlib.util.module_from_spec(spec)
    with open(spec.origin, "rb") as init:
        provided = exports(package, init.read())
    whole = False

    def __getattr__(name: str) -> Any:  # a module's __getattr__ (PEP 562)
        nonlocal whole
        if name in provided:
            submodule, attribute = provided[name]
            value = getattr(importlib.import_module(submodule), attribute)
        elif importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")
        elif not whole:
            whole = True
            spec.loader.exec_module(module)  # type: ignore[union-attr]  # checked above
            return getattr(module, name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system would have
    return module


for _package in LEAN_PACKAGES:
    lean(_package)
