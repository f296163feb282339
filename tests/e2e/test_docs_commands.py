"""The documentation's commands, run as a reader would run them (issue 23).

The convention (docs/local.md says it to readers too): a fenced block whose info string is
`sh runnable` is meant to be run, against a fresh `crm local` started with `make run`; one whose
info string is `sh runnable demo`, against `crm local --demo` (the README's ten-minute walk).
Any other block (`sh`, `text`, `python`, …) is shown, not run: `make deploy`, `make bench`, a
command with a made-up file name.

How they run here: the runnable blocks of one page, in the order they appear, in one bash session
(so a block may use the variables an earlier block of its page set, as a reader's terminal keeps
them), under `set -euo pipefail`, in an empty working directory, against one `crm local` on a free
port that every page shares (each page keeps to identifiers of its own, so a reader may run the
pages one after another on one `make run`): `localhost:3000` in a block becomes that port, the
`crm` command finds it through CRM_PORT (crm.cli: every `--port` defaults to it), and `.venv/bin/`
is this environment's. The demo blocks run in a session of their own against the session's
`crm local --demo` (tests/e2e/conftest.py `demo`, shared with test_demo.py), once it has printed its
guide (as the README tells the reader to wait). A block fails the test when
a command in it fails: the blocks use `curl -sf` where they expect a success, and `grep` (or
`until … grep …`, for what a stream consumer does a moment later; the page's timeout bounds it)
where they say what the answer holds.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Demo, LocalSystem, free_port, start, stop

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

RUNNABLE = "sh runnable"
RUNNABLE_DEMO = "sh runnable demo"
SHELL_INFO = {"sh", RUNNABLE, RUNNABLE_DEMO}  # any other `sh …` is a typo that would never run
PAGE_TIMEOUT_S = 240
BASH = shutil.which("bash") or "/bin/bash"

_FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^`\n]*)$")
_VENV_BIN = re.compile(r"(?<![\w/.-])\.venv/bin/")
_LOCAL_PORT = re.compile(r"\b(localhost|127\.0\.0\.1):3000\b")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    info: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with its info string."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, body, start_line = opening["fence"], [], index + 1
        index += 1
        while index < len(lines) and not lines[index].startswith(fence):
            body.append(lines[index])
            index += 1
        found.append(Block(page, start_line, " ".join(opening["info"].split()), "\n".join(body)))
        index += 1
    return found


def runnable(page: Path, info: str) -> list[Block]:
    return [block for block in blocks(page) if block.info == info]


def script(found: list[Block], bin_dir: Path) -> str:
    """One bash script of the blocks, each announced (so a failure names its block) and confirmed."""
    parts = ["set -euo pipefail", """trap 'echo "failed: $BASH_COMMAND" >&2' ERR"""]
    for block in found:
        text = _VENV_BIN.sub(lambda _: shlex.quote(str(bin_dir)) + "/", block.text)
        text = _LOCAL_PORT.sub(lambda match: f"{match[1]}:$CRM_PORT", text)
        parts += [f"echo '>>> {block.where}' >&2", text, f'echo "<<< {block.where} ok ($SECONDS s)" >&2']
    return "\n".join(parts) + "\n"


def run_blocks(system: LocalSystem, found: list[Block]) -> None:
    """The blocks in one bash session against `system`, as a reader runs them in one terminal."""
    with tempfile.TemporaryDirectory(prefix="crm-docs-") as work:
        environment = {**os.environ, "CRM_PORT": str(system.port)}
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCOUNT_ID_ENDPOINT_MODE"):
            environment.pop(name, None)  # as a reader's shell has it
        done = subprocess.run(
            [BASH, "--noprofile", "--norc", "-c", script(found, Path(sys.executable).parent)],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT_S,
            check=False,
        )
    print(done.stdout, done.stderr)  # each block's time (seconds since the page began), shown with -s
    started = re.findall(r"^>>> (\S+)$", done.stderr, flags=re.MULTILINE)
    assert done.returncode == 0, (
        f"the block at {started[-1] if started else found[0].where} failed (exit {done.returncode})\n"
        f"--- stdout (tail)\n{done.stdout[-4000:]}\n--- stderr (tail)\n{done.stderr[-4000:]}\n"
        f"--- crm local (tail)\n{system.log.read_text(encoding='utf-8')[-2000:]}"
    )
    assert started == [block.where for block in found]


@pytest.fixture(scope="module")
def fresh() -> Iterator[LocalSystem]:
    """One `crm local` for every page's plain runnable blocks: each page keeps to identifiers of its
    own, so a reader may run the pages one after another against one `make run`, as here."""
    system = start(free_port(), log_events=False)
    yield system
    output = stop(system)  # and no ID or phone number in its output unmasked
    assert system.process.returncode == 0, output


def _cases(info: str) -> list[Any]:
    return [pytest.param(page, id=str(page.relative_to(ROOT))) for page in pages() if runnable(page, info)]


@pytest.mark.e2e
@pytest.mark.parametrize("page", _cases(RUNNABLE))
def test_the_runnable_blocks_of_a_page_run_against_a_local_system(fresh: LocalSystem, page: Path) -> None:
    run_blocks(fresh, runnable(page, RUNNABLE))


@pytest.mark.e2e
@pytest.mark.parametrize("page", _cases(RUNNABLE_DEMO))
def test_the_demo_blocks_of_a_page_run_against_the_demo(demo: Demo, page: Path) -> None:
    """Against the session's `crm local --demo` (tests/e2e/conftest.py), once loaded, as a reader waits."""
    run_blocks(demo.system, runnable(page, RUNNABLE_DEMO))


def test_every_shell_block_is_marked_one_of_the_known_ways() -> None:
    """`sh runable` or `sh run` would be a block the test silently never runs."""
    odd = [
        f"{block.where}: {block.info!r}"
        for page in pages()
        for block in blocks(page)
        if block.info.split(" ", 1)[0] in ("sh", "bash", "shell", "console") and block.info not in SHELL_INFO
    ]
    assert odd == [], f"shell blocks are `sh`, `{RUNNABLE}` or `{RUNNABLE_DEMO}`: {odd}"


def test_the_readme_walks_the_demo_and_the_docs_run_something() -> None:
    assert runnable(README, RUNNABLE_DEMO), "the README's ten-minute walk is marked `sh runnable demo`"
    assert any(runnable(page, RUNNABLE) for page in pages())


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces → hyphens."""
    headings = [line for line in _outside_blocks(page) if line.startswith("#")]
    return {re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower()).replace(" ", "-") for heading in headings}


def _outside_blocks(page: Path) -> list[str]:
    """The lines of a page outside its fenced blocks (a `# comment` in a block is no heading)."""
    inside, kept = False, []
    for line in page.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            inside = not inside
        elif not inside:
            kept.append(line)
    return kept


def test_the_readme_links_every_docs_page_and_every_link_resolves() -> None:
    readme = README.read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((docs/[^)#\s]+\.md)(?:#[^)\s]*)?\)", readme))
    every = {str(page.relative_to(ROOT)) for page in DOCS.glob("*.md")}
    assert every - linked == set(), "docs pages the README does not link"
    broken = []
    for page in pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", "\n".join(_outside_blocks(page))):
            path, _, anchor = target.partition("#")
            if re.match(r"^[a-z]+:", path):
                continue  # a URL
            linked_page = (page.parent / path).resolve() if path else page
            if not linked_page.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and linked_page.suffix == ".md" and anchor not in anchors(linked_page):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == [], f"links to nothing: {broken}"


def test_the_architecture_page_names_every_function_job_and_queue_of_the_topology() -> None:
    """Its diagram and table are written by hand: a function, job or queue added to crm/topology.py
    must be added there too."""
    from crm import topology

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    names = [f.name for f in topology.FUNCTIONS]
    names += [schedule.job for schedule, _ in topology.schedules()]
    names += [queue.name for queue in topology.QUEUES]
    assert [name for name in names if f"`{name}`" not in text and f" {name} " not in text] == []
