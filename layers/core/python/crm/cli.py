"""`crm`: the local system and its helpers (API.md «Command line»).

crm local [--port 3000] [--state DIR] [--demo] [--allow-origin URL]... [--host ADDR --allow-remote]
                                            run everything locally on moto; Ctrl-C stops it;
                                            --demo loads a demo brokerage (once per --state DIR)
crm token --role ROLE --user ID [--branch ID] [--name NAME] [--port 3000]   also puts ID on the staff register
crm trigger JOB [--at ISO-TIME] [--port 3000]   non-zero when the run failed every attempt
crm dead-letters [JOB|QUEUE] [--port 3000]      the job runs and queue messages on their dead-letter queues
crm events [--type DETAIL-TYPE] [--port 3000]   the local bus log
crm clock [ISO-TIME] [--port 3000]              the local API's request time, to try deadlines on any date
crm messages [--port 3000]                      the SMS the local system sent (phone numbers masked)
crm replay [FUNCTION] [--port 3000]             deliver every stream record again (to one consumer, or all)
crm import FILE --kind clients|metrics [--encoding gbk] [--failed-rows PATH] [--user hq-1] [--port 3000]
crm import --follow IMPORT_ID | --abort IMPORT_ID [--port 3000]
                                            a bulk import: create, upload, start, progress, summary;
                                            exit 0 complete, 1 rows failed, 3 failed or aborted, 4 not run
crm openapi [--write | --check]

Every --port defaults to the environment's CRM_PORT, else 3000.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from crm.domain.access import Role
from crm.domain.imports import ImportKind


def _default_port() -> int:
    """Every command's `--port` default: 3000, or the environment's CRM_PORT (a second local system
    beside the first: `CRM_PORT=3001 crm local`, then `CRM_PORT=3001 crm token ...`)."""
    value = os.environ.get("CRM_PORT", "").strip()
    if not value:
        return 3000
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"crm: CRM_PORT must be a port number (1-65535), not {value!r}")
    return int(value)


DEFAULT_PORT = _default_port()


def _call_local(port: int, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_local/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", {})
        raise SystemExit(f"crm: {detail.get('message', exc.reason)}") from None
    except urllib.error.URLError:
        raise SystemExit(
            f"crm: no local system on port {port}; start one with `make run` (or `crm local --port {port}`)"
        ) from None


def _local(args: argparse.Namespace) -> int:
    from crm.errors import InvalidInput
    from crm.local.system import LocalSystem

    try:
        system = LocalSystem(
            host=args.host,
            port=args.port,
            state_dir=Path(args.state) if args.state else None,
            allow_remote=args.allow_remote,
            allow_origins=tuple(args.allow_origin or ()),
        )
    except InvalidInput as refused:
        print(f"crm local: {refused.message}", file=sys.stderr)
        return 2
    system.start()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    print(f"crm local: serving {system.base_url}", flush=True)
    print(f"  Swagger UI   {system.base_url}/swagger", flush=True)
    print(
        f"  a token      crm token --role supervisor --user sup1 --branch B001 --port {system.port}",
        flush=True,
    )
    print(f"  state        {args.state or 'in memory (lost on exit; --state DIR keeps it)'}", flush=True)
    print("  Ctrl-C stops it.", flush=True)
    demo_failed = _load_demo(system.port, stopping) if args.demo else threading.Event()
    stopping.wait()
    print("crm local: stopping…", flush=True)
    system.stop()
    print("crm local: stopped", flush=True)
    return 1 if demo_failed.is_set() else 0


def _load_demo(port: int, stopping: threading.Event) -> threading.Event:
    """`crm local --demo`: the demo brokerage loaded through the running system's own doors, beside
    the main thread (Ctrl-C stops it all); a refusal stops the system, which exits 1."""
    failed = threading.Event()

    def load() -> None:
        from crm.local import demo

        print("crm local: the demo brokerage (crm/local/demo.py): loading it, or finding it in --state…", flush=True)
        try:
            demo.run(port, sys.stdout)
        except Exception as refused:
            if not stopping.is_set():
                print(f"crm local: the demo could not be loaded: {refused}", file=sys.stderr, flush=True)
                failed.set()
                stopping.set()

    threading.Thread(target=load, name="demo", daemon=True).start()
    return failed


def _token(args: argparse.Namespace) -> int:
    body = {"role": args.role, "user": args.user, "branch": args.branch, "name": args.name}
    result = _call_local(args.port, "token", body)
    if not result.get("registered"):
        print(f"crm token: {args.user} is not on the staff register as asked: {result.get('reason')}", file=sys.stderr)
    print(result["token"])
    return 0


def _trigger(args: argparse.Namespace) -> int:
    result = _call_local(args.port, "trigger", {"job": args.job, "at": args.at})
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if result.get("failed"):
        print(
            f"{args.job} failed {result['attempts']} times and is on its dead-letter queue "
            f"(crm dead-letters {args.job}): {result['error']}",
            file=sys.stderr,
        )
        return 1
    return 0


def _dead_letters(args: argparse.Namespace) -> int:
    print(json.dumps(_call_local(args.port, "dead-letters", {"job": args.job})["items"], ensure_ascii=False, indent=2))
    return 0


def _clock(args: argparse.Namespace) -> int:
    print(_call_local(args.port, "clock", {"at": args.at})["now"])
    return 0


def _events(args: argparse.Namespace) -> int:
    result = _call_local(args.port, "events", {"detail_type": args.type})
    print(json.dumps(result["items"], ensure_ascii=False, indent=2))
    return 0


def _messages(args: argparse.Namespace) -> int:
    result = _call_local(args.port, "messages", {})
    print(json.dumps(result["items"], ensure_ascii=False, indent=2))
    return 0


def _replay(args: argparse.Namespace) -> int:
    print(json.dumps(_call_local(args.port, "replay", {"function": args.function}), indent=2))
    return 0


def _import(args: argparse.Namespace) -> int:
    from crm.local import importer

    chosen = [bool(args.file), bool(args.follow), bool(args.abort)]
    if sum(chosen) != 1 or (args.file and not args.kind) or (not args.file and (args.kind or args.encoding)):
        print(
            "crm import: name a FILE with its --kind, or --follow or --abort an import (see crm import --help)",
            file=sys.stderr,
        )
        return 2
    options = importer.Options(
        port=args.port,
        user=args.user,
        file=Path(args.file) if args.file else None,
        kind=args.kind,
        encoding=args.encoding,
        follow=args.follow,
        abort=args.abort,
        failed_rows=Path(args.failed_rows) if args.failed_rows else None,
    )
    return importer.run(options)


def _openapi(args: argparse.Namespace) -> int:
    from crm.api.openapi import COMMITTED, build_document, render

    text = render(build_document())
    if args.write:
        COMMITTED.write_text(text, encoding="utf-8")
        print(f"wrote {COMMITTED}")
        return 0
    if args.check:
        if not COMMITTED.exists() or COMMITTED.read_text(encoding="utf-8") != text:
            print("the committed OpenAPI document differs from the code: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="crm", description="Brokerage CRM: local system and tools")
    commands = root.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="run the whole system locally on moto")
    local.add_argument("--port", type=int, default=DEFAULT_PORT)
    local.add_argument("--host", default="127.0.0.1", help="the address to listen on (loopback unless --allow-remote)")
    local.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on an address other than loopback (its token endpoint mints any role for anyone)",
    )
    local.add_argument("--state", metavar="DIR", help="keep data in DIR between runs")
    local.add_argument(
        "--demo",
        action="store_true",
        help="load a demo brokerage through the API and the jobs (once per --state DIR), set the clock to its "
        "day and print what to try",
    )
    local.add_argument(
        "--allow-origin",
        action="append",
        metavar="URL",
        help="an origin browsers may call from (repeatable; an origin ending :* takes any port); "
        "default: any port of http://localhost and http://127.0.0.1",
    )
    local.set_defaults(run=_local)

    token = commands.add_parser("token", help="print a bearer token for the local system")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--user", required=True)
    token.add_argument("--branch")
    token.add_argument("--name", help="the staff member's name on the register (default: kept, or from --user)")
    token.add_argument("--port", type=int, default=DEFAULT_PORT)
    token.set_defaults(run=_token)

    trigger = commands.add_parser("trigger", help="run a scheduled job now on the local system")
    trigger.add_argument("job")
    trigger.add_argument("--at", help="the business time of the run (ISO 8601; Beijing time if no offset)")
    trigger.add_argument("--port", type=int, default=DEFAULT_PORT)
    trigger.set_defaults(run=_trigger)
    dead = commands.add_parser(
        "dead-letters",
        help="the job runs that failed every attempt and the queue messages received too often, on their "
        "dead-letter queues",
    )
    dead.add_argument("job", nargs="?", help="one job or work queue, e.g. import-rows (default: all)")
    dead.add_argument("--port", type=int, default=DEFAULT_PORT)
    dead.set_defaults(run=_dead_letters)

    clock = commands.add_parser("clock", help="set the local API's request time (no time: back to now)")
    clock.add_argument("at", nargs="?", help="ISO 8601; Beijing time if no offset")
    clock.add_argument("--port", type=int, default=DEFAULT_PORT)
    clock.set_defaults(run=_clock)

    events = commands.add_parser("events", help="print the events published on the local bus")
    events.add_argument("--type", help="only events of this detail-type, e.g. SlaBreached")
    events.add_argument("--port", type=int, default=DEFAULT_PORT)
    events.set_defaults(run=_events)

    messages = commands.add_parser("messages", help="print the SMS the local system sent (through moto's SNS)")
    messages.add_argument("--port", type=int, default=DEFAULT_PORT)
    messages.set_defaults(run=_messages)

    replay = commands.add_parser("replay", help="deliver every stream record again to a consumer (or all)")
    replay.add_argument("function", nargs="?", help="a stream consumer, e.g. sms; none: every one")
    replay.add_argument("--port", type=int, default=DEFAULT_PORT)
    replay.set_defaults(run=_replay)

    bulk = commands.add_parser(
        "import",
        help="import a CSV file of accounts or yearly metrics into the local system (as headquarters)",
        description="Create a bulk import, upload FILE, start it and follow it to its summary. Running the "
        "same command again follows the import it started (after Ctrl-C or a crash) or, once that one has "
        "finished, imports the file again. Exit: 0 complete, 1 complete with failed rows (saved next to FILE), "
        "3 failed as a whole or aborted, 4 not run (no local system, a request refused), 130 interrupted.",
    )
    bulk.add_argument("file", nargs="?", metavar="FILE", help="the CSV file, with a header row (README «Bulk imports»)")
    bulk.add_argument(
        "--kind", choices=[k.value for k in ImportKind], help="clients: a book of accounts; metrics: yearly figures"
    )
    bulk.add_argument("--encoding", help="utf-8 (the default; a byte-order mark allowed) or gbk")
    bulk.add_argument(
        "--failed-rows", metavar="PATH", help="where the failed rows go (default: FILE.failed-rows.csv beside FILE)"
    )
    bulk.add_argument("--follow", metavar="IMPORT_ID", help="follow an import already started, to its summary")
    bulk.add_argument("--abort", metavar="IMPORT_ID", help="abort an import (rows already applied stay applied)")
    bulk.add_argument("--user", default="hq-1", help="the headquarters user it runs as (default hq-1)")
    bulk.add_argument("--port", type=int, default=DEFAULT_PORT)
    bulk.set_defaults(run=_import)

    openapi = commands.add_parser("openapi", help="print, write or check the OpenAPI document")
    mode = openapi.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the committed document")
    mode.add_argument("--check", action="store_true", help="fail when the committed document drifts")
    openapi.set_defaults(run=_openapi)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
