"""The staff register and the probe's defects through `crm local`, as a new user meets them (issue 19):
who works where, the planted work log refused, a client's manager checked, the branch's staff listed;
an edited cursor, a body in another media type, an idempotent answer under another role, a token
whose claims break the rules; and the local system itself — private state, loopback only, a backlog
that takes a front-end's burst."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.conftest import LocalSystem, crm, free_port, start, stop
from tests.integration.harness import person_of

HQ = ("hq", "hq-e2e", None)
SUP_B1 = ("supervisor", "sup-e2e-1", "E1")
SUP_B2 = ("supervisor", "sup-e2e-2", "E2")
MGR3 = ("manager", "mgr3", "E2")
DAY = "2026-12-03"


def client(client_id: str, manager: str, **more: str) -> dict[str, str]:
    return {
        "client_id": client_id,
        "name": "冯十",
        "id_number": person_of(client_id)["id_number"],  # a person of its own: five accounts at most each
        "phone": "13711112222",
        "branch_id": "E1",
        "manager_id": manager,
        "opened_on": "2021-06-01",
    } | more


def test_the_register_closes_the_planted_work_log_and_checks_a_clients_manager(local: LocalSystem) -> None:
    port = str(local.port)
    registered = local.request(
        "PUT", "/staff/mgr3", {"name": "王小明", "role": "manager", "branch_id": "E2", "active": True}, as_=HQ
    )
    assert registered.status == 200, registered.body
    crm("clock", f"{DAY}T18:00:00+08:00", "--port", port)
    try:
        log = {"entries": [{"kind": "call", "minutes": 30, "note": "回访"}]}
        assert local.request("PUT", f"/work-logs/mgr3/{DAY}", log, as_=SUP_B1).status == 403  # no record yet
        assert local.request("PUT", f"/work-logs/mgr3/{DAY}", log, as_=MGR3).status == 200
        assert local.request("PUT", f"/work-logs/mgr3/{DAY}", log, as_=SUP_B1).status == 403  # nor after
        query = f"/work-logs?manager_id=mgr3&from={DAY}&to={DAY}"
        own = local.request("GET", query, as_=MGR3)
        assert own.status == 200
        assert own.body["items"][0]["branch_id"] == "E2"
        assert local.request("GET", query, as_=SUP_B1).status == 403
    finally:
        crm("clock", "--port", port)

    local.token("manager", "mgr-e1", "E1")  # crm token puts the manager on the register
    for manager in ("nobody", "mgr3"):  # not on the register; another branch's
        refused = local.request("POST", "/clients", client("ST1", manager), as_=SUP_B1)
        assert refused.status == 422, refused.body
        assert refused.body["error"]["field"] == "manager_id"
    assert local.request("GET", "/clients/ST1", as_=SUP_B1).status == 404
    assert local.request("POST", "/clients", client("ST1", "mgr-e1"), as_=SUP_B1).status == 201

    listed = local.request("GET", "/staff?branch_id=E1", as_=SUP_B1)
    assert listed.status == 200
    assert {"mgr-e1", "sup-e2e-1"} <= {m["staff_id"] for m in listed.body["items"]}
    assert local.request("GET", "/staff?branch_id=E1", as_=SUP_B2).status == 403


def test_the_probes_defects_through_crm_local(local: LocalSystem) -> None:
    local.token("manager", "mgr-e1", "E1")
    for n in range(3):
        local.request("POST", "/clients", client(f"PD{n}", "mgr-e1"), as_=SUP_B1)
    # an edited cursor: 400 naming it, never a 500
    refused = local.request("GET", "/clients?cursor=eyJ4IjoxfQ==", as_=SUP_B1)
    assert (refused.status, refused.body["error"]["field"]) == (400, "cursor")
    genuine = local.request("GET", "/clients?limit=1", as_=SUP_B1).body["next_cursor"]
    assert local.request("GET", f"/clients?limit=1&cursor={genuine}", as_=SUP_B1).status == 200
    # JSON in any case and with parameters; any other media type 415
    for client_id, media_type, status in (
        ("PDA", "application/JSON", 201),
        ("PDB", "Application/Json; charset=UTF-8", 201),
        ("PDC", "text/json", 415),
        ("PDD", "application/vnd.api+json", 415),
    ):
        headers = {"Content-Type": media_type}
        sent = local.request("POST", "/clients", client(client_id, "mgr-e1"), as_=SUP_B1, headers=headers)
        assert sent.status == status, (media_type, sent.body)
    # the same name under another role is another caller: no replay of the supervisor's answer
    key = {"Idempotency-Key": "e2e-scope"}
    first = local.request("POST", "/clients", client("PD9", "mgr-e1"), as_=("supervisor", "dual", "E1"), headers=key)
    assert first.status == 201, first.body
    assert first.body["id_number"] == person_of("PD9")["id_number"]
    other = local.request("POST", "/clients", client("PD9", "mgr-e1"), as_=("counter", "dual", "E1"), headers=key)
    assert other.status == 409
    # crm token mints what it is given; the API refuses what breaks the identifier rules
    for branch in ('=HYPERLINK("http://x","y")', "E1/../E2"):
        minted = crm("token", "--role", "supervisor", "--user", "sup-x", "--branch", branch, "--port", str(local.port))
        assert "not on the staff register" in minted.stderr
        local.tokens[("supervisor", "sup-x", branch)] = minted.stdout.strip()
        assert local.request("GET", "/clients", as_=("supervisor", "sup-x", branch)).status == 401
    # a name is letters and the marks names are written with
    named = local.request("POST", "/clients", client("PD8", "mgr-e1", name='=HYPERLINK("x")'), as_=SUP_B1)
    assert (named.status, named.body["error"]["field"]) == (422, "name")


def test_a_burst_of_parallel_requests_is_taken_by_the_backlog(local: LocalSystem) -> None:
    local.token(*SUP_B1)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: local.request("GET", "/staff", as_=SUP_B1).status, range(20)))
    assert answers == [200] * 20
    ss = shutil.which("ss")
    if ss:  # the listening socket's backlog (ss's Send-Q for a listener)
        command = [ss, "-ltnH", f"sport = :{local.port}"]
        listening = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        assert int(listening.split()[2]) >= 64, listening


def test_crm_local_listens_on_loopback_unless_told_otherwise() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "crm.cli", "local", "--host", "0.0.0.0", "--port", str(free_port())],  # noqa: S104
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "--allow-remote" in refused.stderr


def test_the_state_directory_is_the_users_alone_and_the_register_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    first = start(free_port(), "--state", str(state))
    try:
        first.token("manager", "mgr-keep", "E3")
    finally:
        stop(first)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    files = [path for path in state.iterdir() if path.is_file()]
    assert {"staff.jsonl", "clients.jsonl", "keys.json", "token-key"} <= {path.name for path in files}
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files), [
        (path.name, oct(path.stat().st_mode)) for path in files
    ]
    (state / "clients.jsonl").chmod(0o644)  # loosened by hand: taken back at the next start
    second = start(free_port(), "--state", str(state))
    try:
        member = second.request("GET", "/staff/mgr-keep", as_=("hq", "hq-keep", None))
        assert member.status == 200
        assert member.body["branch_id"] == "E3"
        assert stat.S_IMODE((state / "clients.jsonl").stat().st_mode) == 0o600
    finally:
        stop(second)


def test_crm_token_names_the_staff_member(local: LocalSystem) -> None:
    port = str(local.port)
    minted = crm(
        "token", "--role", "manager", "--user", "mgr-named", "--branch", "E1", "--name", "陈经理", "--port", port
    )
    assert minted.returncode == 0
    member = local.request("GET", "/staff/mgr-named", as_=SUP_B1).body
    assert (member["name"], member["role"], member["branch_id"]) == ("陈经理", "manager", "E1")
