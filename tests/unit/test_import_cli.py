"""`crm import` (crm.local.importer): the key that makes the same command one import, the progress it
shows, its summary and exit codes, and the whole round against a stand-in for the API (no network)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from crm import cli
from crm.local import importer
from crm.local.importer import (
    EXIT_COMPLETE,
    EXIT_IMPORT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUN,
    EXIT_ROWS_FAILED,
    ApiError,
    Command,
    Options,
    Progress,
    RateMeter,
    default_failed_rows_path,
    describe_refusal,
    exit_code,
    file_digest,
    import_key,
    is_loopback,
    progress_bar,
    progress_line,
    summary_lines,
)

IMPORT_ID = "IMP-20261207-abc"


def job(status: str = "in_progress", **counts: Any) -> dict[str, Any]:
    found = {"import_id": IMPORT_ID, "status": status, "rows": 0, "succeeded": 0, "failed": 0, "unchanged": 0}
    return found | counts


# --- the key --------------------------------------------------------------------------------------


def test_the_same_file_gives_the_same_key_and_anything_else_another() -> None:
    digest = hashlib.sha256(b"a file").hexdigest()
    key = import_key("metrics", "gbk", "m.csv", digest)
    assert key == import_key("metrics", "gbk", "m.csv", digest)
    assert key.startswith("crm-import-")
    assert len(key) <= 200
    others = {
        import_key("clients", "gbk", "m.csv", digest),
        import_key("metrics", None, "m.csv", digest),
        import_key("metrics", "gbk", "n.csv", digest),
        import_key("metrics", "gbk", "m.csv", hashlib.sha256(b"another").hexdigest()),
        import_key("metrics", "gbk", "m.csv", digest, after=IMPORT_ID),
    }
    assert key not in others
    assert len(others) == 5


def test_the_digest_is_the_files_sha256_read_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "READ_BYTES", 1000)
    content = bytes(range(256)) * 37
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert file_digest(path) == hashlib.sha256(content).hexdigest()


# --- progress -------------------------------------------------------------------------------------


def test_a_plain_progress_line() -> None:
    assert progress_line(job("open")) == f"import {IMPORT_ID}: open, waiting for its file"
    assert progress_line(job()) == f"import {IMPORT_ID}: reading the file"
    running = job(rows=1000, succeeded=598, failed=2)
    assert progress_line(running, 41.2) == (
        f"import {IMPORT_ID}: 600 of 1,000 rows settled (598 succeeded, 2 failed), 41 rows/s"
    )
    assert progress_line(running, 2.25).endswith(", 2.2 rows/s")
    assert progress_line(running).endswith("2 failed)")
    finished = job("complete", rows=12345, succeeded=12340, failed=5)
    assert progress_line(finished, 9.0).endswith("12,345 of 12,345 rows settled (12,340 succeeded, 5 failed), complete")


def test_a_progress_bar_fills_in_proportion_and_fits_the_width() -> None:
    bar = progress_bar(job(rows=1000, succeeded=498, failed=2), 41.0, 80)
    assert len(bar) <= 80
    assert " 500/1,000  50%  2 failed  41 rows/s" in bar
    inside = bar[bar.index("[") + 1 : bar.index("]")]
    assert abs(inside.count("#") - inside.count("-")) <= 1
    full = progress_bar(job(rows=1000, succeeded=1000, failed=0), None, 60)
    assert "-" not in full[full.index("[") : full.index("]")]
    assert progress_bar(job(), None, 60).endswith("reading the file…")
    narrow = progress_bar(job(rows=1000, succeeded=500), 41.0, 30)
    assert len(narrow) <= 30
    assert "[" not in narrow


def test_rows_per_second_over_a_window() -> None:
    meter = RateMeter(window_s=10)
    assert meter.observe(0.0, 0) is None  # nothing to say yet
    assert meter.observe(2.0, 100) == 50
    assert meter.observe(4.0, 100) == 25
    for at in range(5, 30):
        rate = meter.observe(float(at), 100 + 10 * (at - 4))
    assert rate == pytest.approx(10, rel=0.15)  # the early burst has left the window


def test_plain_progress_prints_at_changes_and_every_few_seconds() -> None:
    out = io.StringIO()
    progress = Progress(out, terminal=False, every_s=5)
    progress.update(job(), 0.0)  # reading
    progress.update(job(), 1.0)  # the same: nothing
    progress.update(job(rows=1000), 2.0)  # rows known: a line
    progress.update(job(rows=1000, succeeded=100), 3.0)  # too soon
    progress.update(job(rows=1000, succeeded=200), 7.5)  # five seconds on
    progress.update(job(rows=1000, succeeded=200), 13.0)  # nothing moved: nothing
    progress.update(job(rows=1000, succeeded=299, failed=1), 13.5)  # the first failure: at once
    progress.update(job("complete", rows=1000, succeeded=999, failed=1), 14.0)
    progress.end()
    lines = out.getvalue().splitlines()
    assert [line.split(": ", 1)[1].split(" (")[0] for line in lines] == [
        "reading the file",
        "0 of 1,000 rows settled",
        "200 of 1,000 rows settled",
        "300 of 1,000 rows settled",
        "1,000 of 1,000 rows settled",
    ]
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_one_bar_drawn_over_itself() -> None:
    out = io.StringIO()
    progress = Progress(out, terminal=True)
    progress.update(job(rows=10, succeeded=5), 0.0)
    progress.update(job(rows=10, succeeded=10), 1.0)
    progress.end()
    text = out.getvalue()
    assert text.count("\r") == 2
    assert text.endswith("\n")
    assert text.count("\n") == 1


# --- the end --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "failed", "code"),
    [
        ("complete", 0, EXIT_COMPLETE),
        ("complete", 3, EXIT_ROWS_FAILED),
        ("failed", 0, EXIT_IMPORT_FAILED),
        ("aborted", 2, EXIT_IMPORT_FAILED),
    ],
)
def test_exit_codes(status: str, failed: int, code: int) -> None:
    assert exit_code(job(status, rows=10, succeeded=10 - failed, failed=failed)) == code


def test_no_exit_code_while_it_runs() -> None:
    with pytest.raises(ValueError, match="not finished"):
        exit_code(job("in_progress"))


def test_the_summary() -> None:
    done = job("complete", rows=1000, succeeded=997, unchanged=997, failed=3)
    lines = summary_lines(done, Path("/data/m.csv.failed-rows.csv"))
    assert lines[0] == f"import {IMPORT_ID}: complete"
    assert [line.split()[:2] for line in lines[1:5]] == [
        ["rows", "1,000"],
        ["succeeded", "997"],
        ["unchanged", "997"],
        ["failed", "3"],
    ]
    assert lines[-1] == "  failed rows  /data/m.csv.failed-rows.csv"
    problem = {"code": "unknown_header", "message": "the header is not metrics'", "line": 1}
    failed = summary_lines(job("failed", problem=problem), None)
    assert "  problem      unknown_header: the header is not metrics' (line 1)" in failed
    assert any("nothing was applied" in line for line in failed)
    assert any("already applied stay applied" in line for line in summary_lines(job("aborted"), None))


def test_where_the_failed_rows_go() -> None:
    assert default_failed_rows_path(Path("/data/metrics.csv"), IMPORT_ID) == Path("/data/metrics.csv.failed-rows.csv")
    assert default_failed_rows_path(None, IMPORT_ID) == Path(f"{IMPORT_ID}.failed-rows.csv")


def test_a_refusal_names_its_field() -> None:
    error = {"code": "invalid_input", "message": "encoding: is one of utf-8, gbk", "field": "encoding"}
    assert describe_refusal("POST", "/imports", 422, error) == (
        "POST /imports: 422 invalid_input — encoding: is one of utf-8, gbk (field: encoding)"
    )
    several = error | {
        "details": [
            {"field": "encoding", "code": "invalid", "message": "encoding: is one of utf-8, gbk"},
            {"field": "file_name", "code": "required", "message": "file_name is required"},
        ]
    }
    assert describe_refusal("POST", "/imports", 422, several).splitlines()[1:] == [
        "  encoding: encoding: is one of utf-8, gbk",
        "  file_name: file_name is required",
    ]
    assert describe_refusal("POST", "/imports/X/start", 409, {}) == "POST /imports/X/start: 409 error — refused"


def test_files_go_to_this_machine_only() -> None:
    assert is_loopback("http://127.0.0.1:5000/bucket/key?X-Amz-Signature=1")
    assert is_loopback("http://localhost:5000/b")
    assert not is_loopback("https://bucket.s3.amazonaws.com/key")
    with pytest.raises(importer.ImportCommandError, match="not on this machine"):
        importer.upload("https://bucket.s3.amazonaws.com/key", Path("/dev/null"))


# --- the round, against a stand-in for the API ----------------------------------------------------


class FakeApi:
    """The import routes as the API answers them: Idempotency-Key replays answer what they answered
    first; a started import settles `step` rows a GET."""

    def __init__(self, rows: int, *, failed: int = 0, step: int = 400) -> None:
        self.rows, self.failed_rows, self.step = rows, failed, step
        self.imports: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}  # by Idempotency-Key: the first answer
        self.calls: list[tuple[str, str]] = []
        self.token: str | None = None

    def token_for(self, user: str) -> str:
        return f"token-of-{user}"

    def call(self, method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None) -> Any:
        self.calls.append((method, path))
        parts = path.strip("/").split("/")
        if (method, path) == ("POST", "/imports"):
            key = (headers or {})["Idempotency-Key"]
            if key not in self.answers:
                import_id = f"IMP-20261207-{len(self.imports) + 1}"
                self.imports[import_id] = job("open") | {"import_id": import_id, "upload_url": "http://127.0.0.1:1/u"}
                self.answers[key] = dict(self.imports[import_id])
            return dict(self.answers[key])
        found = self.imports[parts[1]]
        if method == "POST" and parts[2] == "start":
            if found["status"] != "open":
                raise ApiError(method, path, 409, {"code": "conflict", "message": "not open"})
            found.update(status="in_progress", upload_url=None)
        elif method == "POST" and parts[2] == "abort":
            found.update(status="aborted")
        elif found["status"] == "in_progress":
            self._advance(found)
        return dict(found)

    def _advance(self, found: dict[str, Any]) -> None:
        if not found["rows"]:
            found["rows"] = self.rows
            return
        done = min(self.rows, found["succeeded"] + found["failed"] + self.step)
        found["failed"] = min(self.failed_rows, done)
        found["succeeded"] = done - found["failed"]
        if done == self.rows:
            found["status"] = "complete"
            found["failed_rows_url"] = "http://127.0.0.1:1/f" if found["failed"] else None


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path]]:
    """Uploads and downloads recorded, not made."""
    moved: list[tuple[str, Path]] = []
    monkeypatch.setattr(importer, "upload", lambda url, path, seen=None: moved.append(("PUT", path)))

    def download(url: str, path: Path) -> None:
        path.write_text("row,field,code,message\n", encoding="utf-8")
        moved.append(("GET", path))

    monkeypatch.setattr(importer, "download", download)
    return moved


def command(api: FakeApi, options: Options, out: io.StringIO, err: io.StringIO) -> Command:
    return Command(options, api, out=out, err=err, sleep=lambda _: None)  # type: ignore[arg-type]


def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.csv"
    path.write_text("client_id,year,assets,avg_assets,trade_volume\r\n", encoding="utf-8")
    return path


def test_a_file_is_uploaded_started_followed_and_its_failed_rows_saved(
    tmp_path: Path, offline: list[tuple[str, Path]]
) -> None:
    api, out, err = FakeApi(1000, failed=3), io.StringIO(), io.StringIO()
    path = csv_file(tmp_path)
    options = Options(port=1, user="hq-1", file=path, kind="metrics", encoding="gbk")
    assert command(api, options, out, err).run() == EXIT_ROWS_FAILED
    saved = tmp_path / "metrics.csv.failed-rows.csv"
    assert offline == [("PUT", path), ("GET", saved)]
    assert ("POST", "/imports/IMP-20261207-1/start") in api.calls
    assert out.getvalue().splitlines()[-1] == f"  failed rows  {saved}"
    assert "1,000 of 1,000 rows settled (997 succeeded, 3 failed)" in err.getvalue()


def test_the_same_command_again_follows_the_import_it_started(tmp_path: Path, offline: list[tuple[str, Path]]) -> None:
    api = FakeApi(1000)
    path = csv_file(tmp_path)
    options = Options(port=1, user="hq-1", file=path, kind="metrics")
    first = command(api, options, io.StringIO(), io.StringIO())
    started = first.find_or_create("metrics", None, path.name, file_digest(path))
    api.call("POST", f"/imports/{started['import_id']}/start")  # then the first run was killed

    out, err = io.StringIO(), io.StringIO()
    assert command(api, options, out, err).run() == EXIT_COMPLETE
    assert len(api.imports) == 1
    assert offline == []  # not uploaded again: it was running
    assert "this file's import is in_progress" in err.getvalue()


def test_an_open_import_of_the_file_is_uploaded_and_started(tmp_path: Path, offline: list[tuple[str, Path]]) -> None:
    api = FakeApi(10)
    path = csv_file(tmp_path)
    options = Options(port=1, user="hq-1", file=path, kind="metrics")
    command(api, options, io.StringIO(), io.StringIO()).find_or_create("metrics", None, path.name, file_digest(path))
    assert command(api, options, io.StringIO(), io.StringIO()).run() == EXIT_COMPLETE  # killed before its upload
    assert len(api.imports) == 1
    assert offline == [("PUT", path)]


def test_once_finished_the_same_file_is_imported_again(tmp_path: Path, offline: list[tuple[str, Path]]) -> None:
    api = FakeApi(10)
    path = csv_file(tmp_path)
    options = Options(port=1, user="hq-1", file=path, kind="metrics")
    for _ in range(3):
        assert command(api, options, io.StringIO(), io.StringIO()).run() == EXIT_COMPLETE
    assert sorted(api.imports) == ["IMP-20261207-1", "IMP-20261207-2", "IMP-20261207-3"]
    assert all(found["status"] == "complete" for found in api.imports.values())
    err = io.StringIO()
    assert command(api, options, io.StringIO(), err).run() == EXIT_COMPLETE
    assert err.getvalue().count("imported this file before") == 3  # the chain walked to its end
    assert len(api.imports) == 4


def test_follow_and_abort_by_id(offline: list[tuple[str, Path]]) -> None:
    api = FakeApi(10)
    api.imports[IMPORT_ID] = job("in_progress")
    out = io.StringIO()
    assert command(api, Options(port=1, user="hq-1", follow=IMPORT_ID), out, io.StringIO()).run() == EXIT_COMPLETE
    assert f"import {IMPORT_ID}: complete" in out.getvalue()
    api.imports[IMPORT_ID] = job("in_progress")
    out = io.StringIO()
    assert command(api, Options(port=1, user="hq-1", abort=IMPORT_ID), out, io.StringIO()).run() == EXIT_COMPLETE
    assert f"import {IMPORT_ID}: aborted" in out.getvalue()


class _Interrupting(FakeApi):
    def __init__(self) -> None:
        super().__init__(1000, step=100)
        self.gets = 0

    def call(self, method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None) -> Any:
        if method == "GET":
            self.gets += 1
            if self.gets == 3:
                raise KeyboardInterrupt
        return super().call(method, path, body, headers=headers)


def test_ctrl_c_stops_waiting_and_says_how_to_follow_or_abort(
    tmp_path: Path, offline: list[tuple[str, Path]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api = _Interrupting()
    monkeypatch.setattr(importer, "LocalApi", lambda port: api)
    monkeypatch.setattr(importer, "POLL_S", 0.0)
    options = Options(port=3000, user="hq-1", file=csv_file(tmp_path), kind="metrics")
    assert importer.run(options, terminal=False) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert "IMP-20261207-1 goes on in the local system" in err
    assert "crm import --follow IMP-20261207-1 --port 3000" in err
    assert "crm import --abort IMP-20261207-1 --port 3000" in err
    assert api.imports["IMP-20261207-1"]["status"] == "in_progress"


def test_no_local_system_is_said_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = Options(port=1, user="hq-1", file=csv_file(tmp_path), kind="metrics")  # nothing listens on port 1
    assert importer.run(options, terminal=False) == EXIT_NOT_RUN
    assert "no local system answers on port 1" in capsys.readouterr().err


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeApi(10)
    options = Options(port=1, user="hq-1", file=tmp_path / "nowhere.csv", kind="metrics")
    with pytest.raises(importer.ImportCommandError, match="no such file"):
        command(api, options, io.StringIO(), io.StringIO()).run()
    assert api.calls == []


@pytest.mark.parametrize(
    "argv",
    [
        ["import"],
        ["import", "m.csv"],
        ["import", "m.csv", "--kind", "metrics", "--follow", IMPORT_ID],
        ["import", "--follow", IMPORT_ID, "--kind", "metrics"],
        ["import", "--follow", IMPORT_ID, "--abort", IMPORT_ID],
    ],
)
def test_a_wrong_command_line_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert "crm import: name a FILE with its --kind" in capsys.readouterr().err


def test_failed_rows_that_cannot_be_saved_leave_the_summary_and_the_exit_code(
    tmp_path: Path, offline: list[tuple[str, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(url: str, path: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(importer, "download", refused)
    api, out, err = FakeApi(10, failed=1), io.StringIO(), io.StringIO()
    options = Options(port=1, user="hq-1", file=csv_file(tmp_path), kind="metrics", failed_rows=tmp_path / "x.csv")
    assert command(api, options, out, err).run() == EXIT_ROWS_FAILED
    assert f"could not be saved to {tmp_path / 'x.csv'}" in err.getvalue()
    assert "crm import --follow IMP-20261207-1 fetches them" in out.getvalue()
