"""Acceptance of the bulk imports (issue 21; DOMAIN §13, §5) through `crm local`, as a new user would
run them: `crm import FILE --kind …` creates the import, uploads the file, starts it, shows its
progress (plain lines here: its output is a pipe) and ends with the summary and the failed rows
saved beside the file.

A book of 1,000 accounts opened years ago (UTF-8 with a byte-order mark) is greeted by no SMS
(`crm messages` empty) and given no `new_account` callback; Ctrl-C while it runs leaves it running,
and the same command again follows the same import to its end. A GBK metrics file of 1,000 rows
with 3 bad rows applies 997 (exit 1) and reports the 3 with their lines and fields; the classes
follow through the stream; the same file again changes nothing.

A system of its own: `crm messages` and `crm trigger callbacks` are the whole system's."""

from __future__ import annotations

import csv
import json
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crm import rules
from crm.domain.classification import YearMetrics, classify
from crm.domain.pii import mask_phone
from crm.domain.time import BEIJING
from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop

BRANCH = "I1"
MANAGER = ("manager", "mgr-i1", BRANCH)
SUPERVISOR = ("supervisor", "sup-i1", BRANCH)
HQ = ("hq", "hq-1", None)
BOOK = 1000
CLIENTS_HEADER = "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"
METRICS_HEADER = "client_id,year,assets,avg_assets,trade_volume"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# the bad rows of the metrics file: (line, field, code)
BAD_ROWS = [(11, "assets", "invalid"), (501, "client_id", "not_found"), (1001, "", "field_count")]
IMPORT_TIMEOUT_S = 300
SUMMARY = re.compile(r"^\s+(rows|succeeded|unchanged|failed)\s+([\d,]+)", re.MULTILINE)


def client_id(n: int) -> str:
    return f"IM{n:04d}"


def person(n: int) -> dict[str, str]:
    """A person of its own for each account: an ID number (valid check digit), a phone, a birthday."""
    born = date(1960, 1, 1) + timedelta(days=7 * n)
    prefix = f"110101{born:%Y%m%d}{n % 1000:03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(prefix, ID_WEIGHTS, strict=True)) % 11]
    return {"id_number": prefix + check, "phone": f"137{n:08d}", "birthday": born.isoformat()}


def client_row(n: int, opened_on: str = "2019-03-01") -> str:
    who = person(n)
    name = "王" + chr(0x4E00 + n)  # letters only, one name per account
    return f"{client_id(n)},{name},{who['id_number']},{who['phone']},,{who['birthday']},{BRANCH},mgr-i1,{opened_on}"


def figures(n: int) -> YearMetrics:
    """Every band at both turnovers over the book, every seventh account dormant (T is 3 until a
    recalibration: none here)."""
    assets = (6_000_000, 2_000_000, 600_000, 200_000, 50_000, 5_000)[n % 6]
    avg_assets = assets // 2
    trade_volume = 0 if n % 7 == 0 else avg_assets * (5 if (n // 6) % 2 == 0 else 1)
    return YearMetrics(2025, Decimal(assets), Decimal(avg_assets), Decimal(trade_volume))


def metrics_row(n: int) -> str:
    m = figures(n)
    return f"{client_id(n)},{m.year},{m.assets},{m.avg_assets},{m.trade_volume}"


def expected_class(n: int) -> str:
    classification = rules.classification()
    return classify(figures(n), classification.initial_turnover_threshold, classification)


def write_csv(path: Path, header: str, rows: list[str], encoding: str) -> Path:
    path.write_bytes(("\r\n".join((header, *rows)) + "\r\n").encode(encoding))
    return path


@pytest.fixture(scope="module")
def system() -> Iterator[LocalSystem]:
    started = start(free_port())
    yield started
    stop(started)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("imports")
    metrics = [metrics_row(n) for n in range(1, BOOK + 1)]
    metrics[9] = "IM0010,2025,-5,1000000,100"  # line 11: negative assets
    metrics[499] = "IM9999,2025,1,1,1"  # line 501: no such client (IM0500 gets no row)
    metrics[999] = "IM1000,2025,1,2"  # line 1001: a field short
    return {
        "book": write_csv(
            folder / "book.csv", CLIENTS_HEADER, [client_row(n) for n in range(1, BOOK + 1)], "utf-8-sig"
        ),
        "metrics": write_csv(folder / "metrics.csv", METRICS_HEADER, metrics, "gbk"),
    }


def crm_import(system: LocalSystem, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm.cli", "import", *args, "--port", str(system.port)],
        capture_output=True,
        text=True,
        timeout=IMPORT_TIMEOUT_S,
        check=False,
    )


def summary(output: str) -> dict[str, int]:
    return {name: int(number.replace(",", "")) for name, number in SUMMARY.findall(output)}


def import_id_of(output: str) -> str:
    found = re.search(r"^import (IMP-\S+): ", output, re.MULTILINE)
    assert found, output
    return found[1]


def today() -> str:
    return datetime.now(BEIJING).date().isoformat()


def callbacks_job(system: LocalSystem) -> None:
    """The 06:00 callbacks job of today, once the streams have caught up (`crm trigger` waits)."""
    crm("trigger", "callbacks", "--at", f"{today()}T06:00:00+08:00", "--port", str(system.port))


def new_account_tasks(system: LocalSystem) -> list[str]:
    reply = system.request("GET", "/callbacks?kind=new_account", as_=SUPERVISOR)
    assert reply.status == 200, reply.body
    return sorted(task["client_id"] for task in reply.body["items"])


def sent_sms(system: LocalSystem) -> list[dict[str, Any]]:
    return list(json.loads(crm("messages", "--port", str(system.port)).stdout))


def test_a_book_opened_years_ago_is_neither_greeted_nor_called_and_ctrl_c_leaves_it_running(
    system: LocalSystem, files: dict[str, Path]
) -> None:
    system.token(*MANAGER)  # the book's manager, on the staff register (crm token)
    command = [sys.executable, "-m", "crm.cli", "import", str(files["book"]), "--kind", "clients"]
    command += ["--port", str(system.port)]
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert running.stderr is not None
    seen = []
    for line in running.stderr:  # until it follows the import: then Ctrl-C
        seen.append(line)
        if "rows settled" in line:
            running.send_signal(signal.SIGINT)
            break
    out, err = running.communicate(timeout=60)
    assert running.returncode == 130, (seen, out, err)
    import_id = import_id_of("".join(seen))
    assert f"crm import --follow {import_id} --port {system.port}" in err
    assert f"crm import --abort {import_id} --port {system.port}" in err

    again = crm_import(system, str(files["book"]), "--kind", "clients")  # the same command: the same import
    assert again.returncode == 0, again.stderr
    assert import_id_of(again.stdout) == import_id
    assert f"{import_id}: this file's import is in_progress" in again.stderr
    assert re.search(r"of 1,000 rows settled \(\d[\d,]* succeeded, 0 failed\)", again.stderr), again.stderr
    assert f"import {import_id}: complete" in again.stdout
    assert summary(again.stdout) == {"rows": BOOK, "succeeded": BOOK, "unchanged": 0, "failed": 0}
    assert "failed rows" not in again.stdout
    assert not files["book"].with_name("book.csv.failed-rows.csv").exists()
    assert system.request("GET", "/clients/IM0001", as_=SUPERVISOR).body["name"] == "王丁"

    callbacks_job(system)  # the streams caught up first
    assert crm("messages", "--port", str(system.port)).stdout.strip() == "[]"
    assert new_account_tasks(system) == []

    # the control: an account opened two days ago is a new account, greeted and called
    opened = (datetime.now(BEIJING).date() - timedelta(days=2)).isoformat()
    fresh = write_csv(files["book"].with_name("fresh.csv"), CLIENTS_HEADER, [client_row(2001, opened)], "utf-8")
    assert crm_import(system, str(fresh), "--kind", "clients").returncode == 0
    greeted = system.wait_for(lambda: sent_sms(system), timeout_s=60)
    assert [message["to"] for message in greeted] == [mask_phone(person(2001)["phone"])]
    callbacks_job(system)
    assert new_account_tasks(system) == [client_id(2001)]


def test_a_gbk_metrics_file_applies_997_rows_reports_3_and_the_classes_follow(
    system: LocalSystem, files: dict[str, Path]
) -> None:
    run = crm_import(system, str(files["metrics"]), "--kind", "metrics", "--encoding", "gbk")
    assert run.returncode == 1, run.stderr  # rows failed
    assert re.search(r"import IMP-\S+: [\d,]+ of 1,000 rows settled \(", run.stderr), run.stderr
    assert summary(run.stdout) == {"rows": BOOK, "succeeded": BOOK - 3, "unchanged": 0, "failed": 3}

    saved = files["metrics"].with_name("metrics.csv.failed-rows.csv")
    assert f"failed rows  {saved}" in run.stdout
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # names, ID numbers, phones
    with saved.open(encoding="utf-8-sig", newline="") as source:
        reported = list(csv.DictReader(source))
    assert [(int(r["row"]), r["field"], r["code"]) for r in reported] == BAD_ROWS
    assert reported[1]["client_id"] == "IM9999"  # the row as sent

    def settled_class(n: int) -> str | None:
        return system.request("GET", f"/clients/{client_id(n)}", as_=SUPERVISOR).body["client_class"]

    classes = {n: expected_class(n) for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 35)}
    assert sorted(classes.values()) == sorted(rules.classification().class_order)  # every class
    for n in classes:
        assert system.wait_for(lambda n=n: settled_class(n), timeout_s=120) == classes[n], n
    assert system.request("GET", "/clients/IM0010/metrics", as_=SUPERVISOR).body["items"] == []  # its row failed
    assert settled_class(10) is None


def test_the_same_metrics_file_again_changes_nothing(system: LocalSystem, files: dict[str, Path]) -> None:
    watched = (1, 2, 7)  # classes settled by the test before

    def state() -> list[tuple[int, list[Any]]]:
        found = []
        for n in watched:
            history = system.request("GET", f"/clients/{client_id(n)}/class-history", as_=SUPERVISOR).body["items"]
            metrics = system.request("GET", f"/clients/{client_id(n)}/metrics", as_=SUPERVISOR).body["items"]
            found.append((len(history), [(m["year"], m["updated_at"]) for m in metrics]))
        return found

    before = state()
    assert [count for count, _ in before] == [1, 1, 1]
    run = crm_import(system, str(files["metrics"]), "--kind", "metrics", "--encoding", "gbk")
    assert run.returncode == 1, run.stderr
    assert "imported this file before (complete" in run.stderr  # a new import of the same file, on purpose
    assert summary(run.stdout) == {"rows": BOOK, "succeeded": BOOK - 3, "unchanged": BOOK - 3, "failed": 3}
    # no metrics item written again (its updated_at kept), so no stream record, no reclassification
    assert state() == before


def test_a_refused_request_and_a_file_that_is_no_import(system: LocalSystem, files: dict[str, Path]) -> None:
    refused = crm_import(system, str(files["metrics"]), "--kind", "metrics", "--encoding", "big5")
    assert refused.returncode == 4
    assert "POST /imports: 422" in refused.stderr
    assert "(field: encoding)" in refused.stderr

    wrong = write_csv(files["metrics"].with_name("wrong.csv"), "client_id,year,assets", ["IM0001,2025,1"], "utf-8")
    failed = crm_import(system, str(wrong), "--kind", "metrics")
    assert failed.returncode == 3, failed.stderr
    assert re.search(r"problem\s+unknown_header: .* \(line 1\)", failed.stdout), failed.stdout
    assert "nothing was applied" in failed.stdout
