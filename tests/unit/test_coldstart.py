"""crm.coldstart's lean packages: a name the package's `__init__` imports from a submodule loads
that submodule alone; a submodule loads as usual; only a name no submodule provides runs the
real `__init__`, once. Shown on a package of its own, built in a temporary directory."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm import coldstart

INIT = """
from .light import Light
from .heavy import Heavy as Renamed
from os import sep  # not a submodule's: not an export
RAN_INIT = True
"""


@pytest.fixture
def package(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "leanpkg_probe"
    root.mkdir()
    (root / "__init__.py").write_text(INIT)
    (root / "light.py").write_text("class Light: pass\n")
    (root / "heavy.py").write_text("class Heavy: pass\n")
    (root / "other.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(tmp_path))
    yield "leanpkg_probe"
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("leanpkg_probe")]:
        del sys.modules[name]


def test_exports_are_the_names_the_init_imports_from_its_own_submodules() -> None:
    assert coldstart.exports("pkg", INIT.encode()) == {
        "Light": ("pkg.light", "Light"),
        "Renamed": ("pkg.heavy", "Heavy"),
    }


def test_a_name_from_a_submodule_loads_that_submodule_alone(package: str) -> None:
    coldstart.lean(package)
    from leanpkg_probe import Light  # type: ignore[import-not-found]

    assert Light.__module__ == "leanpkg_probe.light"
    assert "leanpkg_probe.heavy" not in sys.modules
    assert "RAN_INIT" not in vars(sys.modules[package])


def test_a_submodule_imports_as_usual_without_the_init(package: str) -> None:
    coldstart.lean(package)
    from leanpkg_probe import other  # type: ignore[import-not-found]

    assert other.VALUE == 1
    assert "RAN_INIT" not in vars(sys.modules[package])


def test_only_a_name_no_submodule_provides_runs_the_real_init(package: str) -> None:
    module = coldstart.lean(package)
    assert module.RAN_INIT is True
    assert module.Renamed.__module__ == "leanpkg_probe.heavy"
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = module.missing


def test_a_package_already_imported_is_left_as_it_is(package: str) -> None:
    import leanpkg_probe  # type: ignore[import-not-found]

    assert coldstart.lean(package) is leanpkg_probe
    assert leanpkg_probe.RAN_INIT is True


def test_the_powertools_packages_a_handler_uses_are_lean_and_still_give_every_name() -> None:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver as Direct

    assert APIGatewayRestResolver is Direct
    assert Response.__module__ == "aws_lambda_powertools.event_handler.api_gateway"
    assert content_types.APPLICATION_JSON == "application/json"


def test_a_handler_that_fails_to_load_locally_leaves_the_collector_running(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from crm import topology
    from crm.local.invoke import Invoker

    def failing(name: str) -> None:
        gc.disable()  # as crm.coldstart does, first thing in a handler module
        raise ImportError(name)

    monkeypatch.setattr(coldstart, "_paused", True)
    monkeypatch.setattr("importlib.import_module", failing)
    with pytest.raises(ImportError):
        Invoker().load(topology.function("audit"))
    assert gc.isenabled()
