"""`crm import`: one CSV file through the bulk-import routes of a running `crm local` (API.md
"imports"; DOMAIN §13), as headquarters would drive them: create the import, PUT the file to its
presigned upload URL (streamed, never read into memory whole), start it, follow it with a progress
bar on a terminal (plain lines otherwise), then the summary and, when rows failed, their file saved
next to the input.

Running the same command twice never runs two imports of one file at once. The import is created
with an `Idempotency-Key` derived from the file (its SHA-256, its name, kind and encoding): a
command interrupted anywhere (Ctrl-C, a crash, a closed terminal) and run again finds the import it
created and carries on — uploads and starts it if it was still open, follows it if it runs. Once
that import has finished, the same command imports the file again on purpose (a file whose rows
failed, run again after their accounts were registered): the key is then derived from the finished
import's id as well, which makes a new import that the next run finds in turn. The API keeps a key
for a day (rules/requests.toml), so after a day a file's chain starts afresh — equally safe, since
re-importing rows already applied changes nothing.

Exit codes: 0 complete with no failed row; 1 complete with failed rows (their file saved); 2 the
command line is wrong (argparse, as for every `crm` command); 3 the import failed as a whole (its
problem printed) or was aborted; 4 it could not be run (no local system, a request refused, the
file unreadable); 130 interrupted while waiting (the import goes on).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

EXIT_COMPLETE = 0
EXIT_ROWS_FAILED = 1
EXIT_IMPORT_FAILED = 3  # failed as a whole, or aborted
EXIT_NOT_RUN = 4  # no local system, a request refused, the file unreadable
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C

FINISHED = frozenset({"complete", "failed", "aborted"})
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
KEY_PREFIX = "crm-import-"
MAX_CHAIN = 100  # imports of one file within the key's day; more is surely a loop
READ_BYTES = 1024 * 1024
POLL_S = 1.0  # between two GET /imports/{id}
BAR_POLL_S = 0.5
PLAIN_EVERY_S = 5.0  # between two plain progress lines
RATE_WINDOW_S = 30.0  # rows/s over the last half minute
FAILED_ROWS_WAIT_S = 10.0  # an aborted import's failed-rows file is written just after it stops
REQUEST_TIMEOUT_S = 60


class ImportCommandError(Exception):
    """Why the command could not go on (exit 4), said in a sentence."""


class Unreachable(ImportCommandError):
    pass


@dataclass
class ApiError(ImportCommandError):
    """A request the API refused: its status and error (code, message, field, details)."""

    method: str
    path: str
    status: int
    error: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return describe_refusal(self.method, self.path, self.status, self.error)


def describe_refusal(method: str, path: str, status: int, error: Mapping[str, Any]) -> str:
    """`POST /imports: 422 invalid_input — encoding: is one of utf-8, gbk (field: encoding)`, and
    one more line for each further field the API listed."""
    code = error.get("code") or "error"
    message = error.get("message") or "refused"
    named = error.get("field")
    text = f"{method} {path}: {status} {code} — {message}" + (f" (field: {named})" if named else "")
    details = [d for d in error.get("details") or () if isinstance(d, Mapping)]
    if len(details) > 1 or (details and details[0].get("field") != named):
        text += "".join(f"\n  {d.get('field', '?')}: {d.get('message', d.get('code', ''))}" for d in details)
    return text


# --- the pure parts -------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """The file's SHA-256 (hex), read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def import_key(kind: str, encoding: str | None, file_name: str, digest: str, after: str | None = None) -> str:
    """The `Idempotency-Key` of the import of a file: the same for the same file, name, kind and
    encoding; `after` (the import of the same file that finished before) makes the next one."""
    parts = [kind, encoding or "", file_name, digest, after or ""]
    return KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def settled(job: Mapping[str, Any]) -> int:
    return int(job.get("succeeded", 0)) + int(job.get("failed", 0))


def exit_code(job: Mapping[str, Any]) -> int:
    status = job.get("status")
    if status == "complete":
        return EXIT_ROWS_FAILED if int(job.get("failed", 0)) else EXIT_COMPLETE
    if status in ("failed", "aborted"):
        return EXIT_IMPORT_FAILED
    raise ValueError(f"import {job.get('import_id')} is {status}, not finished")


def default_failed_rows_path(source: Path | None, import_id: str) -> Path:
    """Next to the input (`<file>.failed-rows.csv`), else `<import id>.failed-rows.csv` here."""
    if source is not None:
        return source.with_name(source.name + ".failed-rows.csv")
    return Path(f"{import_id}.failed-rows.csv")


def is_loopback(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in LOOPBACK


class RateMeter:
    """Rows settled per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self.window_s = window_s
        self._seen: list[tuple[float, int]] = []

    def observe(self, at: float, count: int) -> float | None:
        self._seen.append((at, count))
        while len(self._seen) > 2 and at - self._seen[1][0] >= self.window_s:
            self._seen.pop(0)
        first_at, first = self._seen[0]
        if at - first_at < 0.5:
            return None
        return max(0.0, (count - first) / (at - first_at))


def _rate(rate: float | None) -> str:
    if rate is None:
        return ""
    return f"{rate:,.0f} rows/s" if rate >= 10 else f"{rate:,.1f} rows/s"


def progress_line(job: Mapping[str, Any], rate: float | None = None) -> str:
    """One plain line: `import IMP-…: 600 of 1,000 rows settled (598 succeeded, 2 failed), 41 rows/s`."""
    name = f"import {job['import_id']}"
    status = job["status"]
    if status == "open":
        return f"{name}: open, waiting for its file"
    if status == "in_progress" and not job.get("rows"):
        return f"{name}: reading the file"
    line = (
        f"{name}: {settled(job):,} of {int(job.get('rows', 0)):,} rows settled "
        f"({int(job.get('succeeded', 0)):,} succeeded, {int(job.get('failed', 0)):,} failed)"
    )
    if status != "in_progress":
        return f"{line}, {status}"
    return f"{line}, {_rate(rate)}" if rate is not None else line


def progress_bar(job: Mapping[str, Any], rate: float | None, width: int) -> str:
    """One terminal line, to be drawn over with `\\r`: `IMP-… [#####-----] 600/1,000  60%  2 failed  41 rows/s`,
    at most `width` characters."""
    rows, done = int(job.get("rows", 0)), settled(job)
    if job["status"] == "in_progress" and not rows:
        return f"{job['import_id']} reading the file…"[:width]
    tail = f" {done:,}/{rows:,} {100 * done // rows if rows else 100:3d}%"
    if int(job.get("failed", 0)):
        tail += f"  {int(job['failed']):,} failed"
    if rate is not None:
        tail += f"  {_rate(rate)}"
    head = f"{job['import_id']} "
    room = width - len(head) - len(tail) - 2
    if room < 10:
        return (head + tail.strip())[:width]
    filled = room * done // rows if rows else room
    return f"{head}[{'#' * filled}{'-' * (room - filled)}]{tail}"


def summary_lines(job: Mapping[str, Any], failed_rows: Path | None) -> list[str]:
    """What the command ends with: the state and the counts, the problem of a failed import and
    where the failed rows went."""
    lines = [
        f"import {job['import_id']}: {job['status']}",
        f"  rows         {int(job.get('rows', 0)):>10,}",
        f"  succeeded    {int(job.get('succeeded', 0)):>10,}",
        f"  unchanged    {int(job.get('unchanged', 0)):>10,}  (of those succeeded: already so, nothing written)",
        f"  failed       {int(job.get('failed', 0)):>10,}",
    ]
    problem = job.get("problem")
    if job["status"] == "failed" and problem:
        where = f" (line {problem['line']})" if problem.get("line") is not None else ""
        lines.append(f"  problem      {problem.get('code')}: {problem.get('message')}{where}")
        lines.append("  nothing was applied: correct the file and import it again")
    if job["status"] == "aborted":
        lines.append("  aborted: the rows already applied stay applied, the rest were not")
    if failed_rows is not None:
        lines.append(f"  failed rows  {failed_rows}")
    elif int(job.get("failed", 0)):
        lines.append(f"  failed rows  not ready yet: crm import --follow {job['import_id']} fetches them")
    return lines


def interrupted_lines(job: Mapping[str, Any], port: int) -> list[str]:
    """What Ctrl-C prints: the import goes on; how to follow it again or abort it."""
    import_id, status = job["import_id"], job["status"]
    follow = f"crm import --follow {import_id} --port {port}"
    abort = f"crm import --abort {import_id} --port {port}"
    if status == "open":
        return [
            f"crm import: stopped; {import_id} is open and not started.",
            "  run the same command again to upload and start it, or abort it:",
            f"  {abort}",
        ]
    return [
        f"crm import: stopped waiting; {import_id} goes on in the local system.",
        f"  follow it:  {follow}   (or run the same command again)",
        f"  abort it:   {abort}",
    ]


class Progress:
    """Shows a job's progress on `stream`: a bar drawn over itself on a terminal, else a plain line
    at the start, whenever the state changes and every `every_s` seconds while rows settle."""

    def __init__(self, stream: IO[str], *, terminal: bool, every_s: float = PLAIN_EVERY_S) -> None:
        self.stream, self.terminal, self.every_s = stream, terminal, every_s
        self.meter = RateMeter()
        self._drawn = False
        self._last_line_at: float | None = None
        self._last_state: tuple[str, int, int] | None = None
        self._last_settled: int | None = None

    def update(self, job: Mapping[str, Any], at: float) -> None:
        rate = self.meter.observe(at, settled(job)) if job.get("rows") else None
        if self.terminal:
            width = max(20, shutil.get_terminal_size().columns - 1)
            self.stream.write("\r" + progress_bar(job, rate, width).ljust(width))
            self.stream.flush()
            self._drawn = True
            return
        state = (str(job["status"]), int(job.get("rows", 0)), int(job.get("failed", 0)) > 0)
        moved = settled(job) != self._last_settled
        due = self._last_line_at is None or (moved and at - self._last_line_at >= self.every_s)
        if state != self._last_state or due:
            print(progress_line(job, rate), file=self.stream, flush=True)
            self._last_line_at, self._last_state, self._last_settled = at, state, settled(job)

    def end(self) -> None:
        """Leave the bar's line (before anything else is printed)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


# --- the local API --------------------------------------------------------------------------------


class LocalApi:
    """The API of a `crm local` on this machine's loopback, called as one identity."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.base_url = f"http://127.0.0.1:{port}"

    def call(
        self, method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as answer:  # noqa: S310 - loopback only
                return dict(json.loads(answer.read() or b"{}"))
        except urllib.error.HTTPError as refused:
            raise ApiError(method, path, refused.code, _error_of(refused.read())) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            raise Unreachable(
                f"no local system answers on port {self.port}; start one with `make run` "
                f"(or `crm local --port {self.port}`)"
            ) from None

    def token_for(self, user: str) -> str:
        """A headquarters token for `user` (put on the staff register, as `crm token` does)."""
        minted = self.call("POST", "/_local/token", {"role": "hq", "user": user, "branch": None, "name": None})
        if not minted.get("registered"):
            print(f"crm import: {user} is not on the staff register as hq: {minted.get('reason')}", file=sys.stderr)
        return str(minted["token"])


def _segment(import_id: str) -> str:
    """An import id as one segment of a path (the API checks what it is)."""
    return urllib.parse.quote(import_id, safe="")


def _error_of(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body or b"{}")
    except ValueError:
        return {"message": body.decode("utf-8", errors="replace")[:200]}
    error = found.get("error") if isinstance(found, dict) else None
    return dict(error) if isinstance(error, dict) else {}


class _CountingReader:
    """A file read by http.client a block at a time, telling `seen` how far it got."""

    def __init__(self, source: IO[bytes], seen: Callable[[int], None]) -> None:
        self.source, self.seen, self.sent = source, seen, 0

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.sent += len(block)
        self.seen(self.sent)
        return block


def upload(url: str, path: Path, *, seen: Callable[[int], None] = lambda _: None) -> None:
    """PUT the file to the presigned URL, streamed (memory: one block at a time)."""
    if not is_loopback(url):
        raise ImportCommandError(f"the upload URL is not on this machine ({urllib.parse.urlsplit(url).hostname})")
    size = path.stat().st_size
    with path.open("rb") as source:
        request = urllib.request.Request(  # noqa: S310 - a loopback URL, checked above
            url,
            data=_CountingReader(source, seen),  # read() is all http.client uses of it
            headers={"Content-Length": str(size), "Content-Type": "text/csv"},
            method="PUT",
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S):  # noqa: S310 - loopback, checked
                pass
        except urllib.error.HTTPError as refused:
            raise ImportCommandError(f"the upload was refused: {refused.code} {refused.reason}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as failed:
            raise ImportCommandError(f"the upload failed: {failed}") from None


def download(url: str, path: Path) -> None:
    """GET the failed-rows file into `path`, streamed; readable by its owner alone (it holds names,
    ID numbers and phones), and whole or not at all (written aside, then renamed)."""
    if not is_loopback(url):
        raise ImportCommandError(f"the failed-rows URL is not on this machine ({urllib.parse.urlsplit(url).hostname})")
    directory = path.resolve().parent
    handle, aside = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)  # mode 0600
    try:
        with os.fdopen(handle, "wb") as sink, urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as answer:  # noqa: S310
            shutil.copyfileobj(answer, sink, READ_BYTES)
        os.replace(aside, path)
    except BaseException:
        Path(aside).unlink(missing_ok=True)
        raise


# --- the command ----------------------------------------------------------------------------------


@dataclass
class Options:
    port: int
    user: str
    file: Path | None = None
    kind: str | None = None
    encoding: str | None = None
    follow: str | None = None
    abort: str | None = None
    failed_rows: Path | None = None


@dataclass
class Command:
    """One run of `crm import` against `api`; output to `out` (summary) and `err` (progress, notes)."""

    options: Options
    api: LocalApi
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    err: IO[str] = field(default_factory=lambda: sys.stderr)
    terminal: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    job: dict[str, Any] | None = None  # the import, as last seen

    def note(self, text: str) -> None:
        print(f"crm import: {text}", file=self.err, flush=True)

    def run(self) -> int:
        options = self.options
        if options.abort:
            return self.abort(options.abort)
        if options.follow:
            return self.finish(self.follow(options.follow), source=None)
        if options.file is None or options.kind is None:
            raise ImportCommandError("name a FILE and its --kind (or --follow / --abort an import)")
        return self.import_file(options.file, options.kind, options.encoding)

    def import_file(self, path: Path, kind: str, encoding: str | None) -> int:
        if not path.is_file():
            raise ImportCommandError(f"{path}: no such file")
        size = path.stat().st_size
        try:
            digest = file_digest(path)
        except OSError as unreadable:
            raise ImportCommandError(f"{path}: {unreadable.strerror or unreadable}") from None
        job = self.job = self.find_or_create(kind, encoding, path.name, digest)
        import_id = job["import_id"]
        if job["status"] == "open":
            self.note(f"{import_id}: uploading {path.name} ({size:,} bytes, sha256 {digest[:12]}…)")
            self.upload(job, path, size)
            try:
                job = self.job = self.api.call("POST", f"/imports/{import_id}/start")
            except ApiError as refused:
                if refused.status != 409:
                    raise
                job = self.job = self.api.call("GET", f"/imports/{import_id}")
            self.note(f"{import_id}: started")
        else:
            self.note(f"{import_id}: this file's import is {job['status']} since {job.get('started_at')}: following it")
        return self.finish(self.follow(import_id), source=path)

    def find_or_create(self, kind: str, encoding: str | None, file_name: str, digest: str) -> dict[str, Any]:
        """The import of this file that is open or running, else a new one (see the module's doc)."""
        body: dict[str, Any] = {"kind": kind, "file_name": file_name} | ({"encoding": encoding} if encoding else {})
        after: str | None = None
        for _ in range(MAX_CHAIN):
            key = import_key(kind, encoding, file_name, digest, after)
            created = self.api.call("POST", "/imports", body, headers={"Idempotency-Key": key})
            job = self.api.call("GET", f"/imports/{created['import_id']}")  # a replayed answer is as it was then
            if job["status"] not in FINISHED:
                return job
            self.note(
                f"{job['import_id']} imported this file before ({job['status']}, finished {job.get('finished_at')}); "
                "importing it again"
            )
            after = job["import_id"]
        raise ImportCommandError(f"this file was imported {MAX_CHAIN} times within a day; wait, or rename it")

    def upload(self, job: Mapping[str, Any], path: Path, size: int) -> None:
        url = job.get("upload_url")
        if not url:
            raise ImportCommandError(f"{job['import_id']} offers no upload URL")
        shown = {"at": 0.0, "sent": -1}

        def seen(sent: int) -> None:
            now = self.clock()
            if self.terminal and sent != shown["sent"] and (now - shown["at"] >= 0.2 or sent == size):
                percent = 100 * sent // size if size else 100
                self.err.write(f"\r{job['import_id']} uploading {sent:,} of {size:,} bytes ({percent}%)")
                self.err.flush()
                shown.update(at=now, sent=sent)

        try:
            upload(str(url), path, seen=seen)
        finally:
            if shown["sent"] >= 0:
                self.err.write("\n")

    def follow(self, import_id: str) -> dict[str, Any]:
        """GET the import until it is finished, showing its progress."""
        progress = Progress(self.err, terminal=self.terminal)
        try:
            while True:
                job = self.job = self.api.call("GET", f"/imports/{_segment(import_id)}")
                progress.update(job, self.clock())
                if job["status"] in FINISHED:
                    return job
                self.sleep(BAR_POLL_S if self.terminal else POLL_S)
        finally:
            progress.end()

    def finish(self, job: dict[str, Any], *, source: Path | None) -> int:
        """The summary, the failed rows saved, and the exit code."""
        saved: Path | None = None
        if int(job.get("failed", 0)):
            job = self.failed_rows_ready(job)
            if job.get("failed_rows_url"):
                path = self.options.failed_rows or default_failed_rows_path(source, job["import_id"])
                try:
                    download(str(job["failed_rows_url"]), path)
                    saved = path
                except (ImportCommandError, OSError) as failed:  # the import is done all the same
                    self.note(f"the failed rows could not be saved to {path}: {failed}")
        for line in summary_lines(job, saved):
            print(line, file=self.out, flush=True)
        return exit_code(job)

    def failed_rows_ready(self, job: dict[str, Any]) -> dict[str, Any]:
        """An aborted import's failed-rows file comes a moment after it stopped: wait for it a little."""
        deadline = self.clock() + FAILED_ROWS_WAIT_S
        while not job.get("failed_rows_url") and self.clock() < deadline:
            self.sleep(POLL_S)
            job = self.job = self.api.call("GET", f"/imports/{job['import_id']}")
        return job

    def abort(self, import_id: str) -> int:
        """Abort the import, then its summary; 0 once it is aborted as asked."""
        self.job = self.api.call("POST", f"/imports/{_segment(import_id)}/abort")
        self.finish(self.job, source=None)
        return EXIT_COMPLETE


def run(options: Options, *, terminal: bool | None = None) -> int:
    """`crm import`: the exit code (the module's doc lists them)."""
    api = LocalApi(options.port)
    command = Command(options, api, terminal=sys.stderr.isatty() if terminal is None else terminal)
    try:
        api.token = api.token_for(options.user)
        return command.run()
    except KeyboardInterrupt:
        if command.job is None:
            command.note("stopped; run the same command again to carry on")
        else:
            for line in interrupted_lines(command.job, options.port):
                print(line, file=command.err, flush=True)
        return EXIT_INTERRUPTED
    except ImportCommandError as failed:
        command.note(str(failed))
        return EXIT_NOT_RUN
