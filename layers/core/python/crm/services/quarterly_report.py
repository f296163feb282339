"""The quarterly report to headquarters (第55条; DOMAIN §9): the `quarterly-report` job, and what
its readers get.

The job reports on the quarter that ended before its run. It reads the counters (three queries for
the quarter's events, three for the clients' state up to its end: O(branches × managers), never the
records), writes `metrics.csv`, a workbook and `figures.json` for the company and for each branch,
then `manifest.json` (each file's SHA-256), then the version's record: until then nothing is
published. A re-run with the same figures writes nothing; with other figures (an outcome known
since) it writes the next version and keeps the earlier ones. The files are a function of the
figures and the run's (scheduled) time, so a schedule delivered twice writes the same bytes twice,
and a run cut short is finished by the next.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm import rules
from crm.data import counters
from crm.data import reports as report_data
from crm.data.pages import offset_of, page_of
from crm.domain.access import Grant
from crm.domain.complaints import Category
from crm.domain.contacts import ContactChannel
from crm.domain.report import (
    COMPANY_MEMBER,
    Figures,
    MetricNames,
    Quarter,
    Scope,
    assemble,
    event_counter,
    reported_quarter,
    state_counter,
)
from crm.domain.risk_level import RiskLevel
from crm.domain.time import iso
from crm.errors import Forbidden, InvalidInput, NotFound
from crm.exports import figures_json, metrics_csv, workbook

TITLE = "客户服务季度考核报告"
BRANCHES = "branches/"  # each branch's files, under branches/<branch_id>/
FIGURES_FILE = "figures.json"
MANIFEST = "manifest.json"  # written last: the version's files and their SHA-256
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def metric_names() -> MetricNames:
    return MetricNames.build(
        rules.classification().class_order,
        [level.value for level in RiskLevel],
        [channel.value for channel in ContactChannel],
        [category.value for category in Category],
    )


def figures_of(quarter: Quarter) -> Figures:
    """The quarter's figures from its counters."""
    events = {scope: {c.period: c.figures for c in counters.between(event_counter(quarter, scope))} for scope in Scope}
    state: dict[Scope, dict[str, dict[str, int]]] = {}
    for scope in Scope:
        summed: dict[str, dict[str, int]] = {}
        for counter in counters.between(state_counter(scope), last=f"{quarter}#~"):
            name = counter.period.split("#", 1)[1] if "#" in counter.period else COMPANY_MEMBER
            into = summed.setdefault(name, {})
            for metric, value in counter.figures.items():
                into[metric] = into.get(metric, 0) + value
        state[scope] = summed
    return assemble(quarter, events=events, state=state, names=metric_names())


def _digest(figures: Figures) -> str:
    text = json.dumps([[r.scope.value, r.branch_id, r.manager_id, r.metric, str(r.value)] for r in figures.rows])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ReportRun:
    period: str
    status: str  # published | unchanged
    version: int
    files: int


def run(now: datetime) -> ReportRun:
    quarter = reported_quarter(now)
    figures = figures_of(quarter)
    digest = _digest(figures)
    published = report_data.latest(quarter)
    if published is not None and published.figures_digest == digest:
        return ReportRun(str(quarter), "unchanged", published.version, len(published.manifest["files"]))
    version = (published.version + 1) if published else 1
    files = _files(figures, version, now)
    for name, (body, _) in files.items():
        report_data.put_file(report_data.key_of(quarter, version, name), body, FORMATS[name.rsplit(".", 1)[1]])
    manifest = {
        "period": str(quarter),
        "version": version,
        "generated_at": iso(now),
        "rule_versions": {
            "classification": rules.classification().version,
            "callbacks": rules.callbacks().version,
            "sla": rules.sla().version,
            "complaints": rules.complaints().version,
        },
        "files": [
            {"name": name, "format": kind, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
            for name, (body, kind) in files.items()
        ],
    }
    manifest_body = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    report_data.put_file(report_data.key_of(quarter, version, MANIFEST), manifest_body, FORMATS["json"])
    report_data.publish(report_data.ReportVersion(quarter, version, iso(now), digest, manifest))
    return ReportRun(str(quarter), "published", version, len(files) + 1)


def _files(figures: Figures, version: int, now: datetime) -> dict[str, tuple[bytes, str]]:
    """Every file of a version, the company's and each branch's (under branches/<id>/)."""
    files: dict[str, tuple[bytes, str]] = {}
    with tempfile.TemporaryDirectory() as temp:
        for prefix, part, title in [("", figures, f"{TITLE} {figures.quarter}")] + [
            (f"{BRANCHES}{b}/", figures.for_branch(b), f"{TITLE} {figures.quarter} {b}") for b in figures.branches()
        ]:
            files[f"{prefix}metrics.csv"] = (metrics_csv(part), "csv")
            book = workbook(part, title=title, generated_at=now, version=version, temp_dir=temp)
            files[f"{prefix}report.xlsx"] = (book, "xlsx")
            files[f"{prefix}{FIGURES_FILE}"] = (figures_json(part, version=version, generated_at=now), "json")
    return files


# --- readers ---------------------------------------------------------------------------------------


def _branch(grant: Grant, branch_id: str | None) -> str | None:
    """The one branch the caller reads (a supervisor: its own), or None: every branch."""
    confined = grant.branch_filter()
    if confined is not None and branch_id not in (None, confined):
        raise Forbidden("a supervisor reads its own branch's report", field="branch_id")
    return confined or branch_id


def _latest(period: str) -> report_data.ReportVersion:
    quarter = Quarter.parse(period)
    version = report_data.latest(quarter)
    if version is None:
        raise NotFound(f"no report for {quarter} yet: it is written after the quarter ends", field="period")
    return version


def _in_branch_folder(name: str, branch: str) -> str | None:
    """`name` inside the branch's folder (`branches/<branch>/…`), compared segment by segment — never
    as a text prefix, which `B1` shares with `B10` — or None for any other file."""
    segments = name.split("/")
    folder = [*BRANCHES.strip("/").split("/"), branch]
    inside = segments[len(folder) :]
    if segments[: len(folder)] != folder or not inside or any(part in ("", ".", "..") for part in inside):
        return None
    return "/".join(inside)


def published(
    grant: Grant, period: str, *, branch_id: str | None = None
) -> tuple[report_data.ReportVersion, list[dict[str, Any]]]:
    """The latest version of a quarter's report and the files the caller may download: every file,
    or one branch's (a supervisor's own), named as in the branch's folder."""
    version = _latest(period)
    branch = _branch(grant, branch_id)
    entries = version.manifest["files"]
    if not branch:  # the manifest names every branch's files: for those who may read them all
        entries = [*entries, {"name": MANIFEST, "format": "json"}]
    files = []
    for entry in entries:
        name = entry["name"]
        shown = _in_branch_folder(name, branch) if branch else name
        if shown is None:
            continue
        key = report_data.key_of(version.quarter, version.version, name)
        files.append(
            {"name": shown, "format": entry["format"], "url": report_data.download_url(key, shown.replace("/", "-"))}
        )
    return version, files


def figures(
    grant: Grant, period: str, *, scope: Scope | None, branch_id: str | None, limit: int, cursor: str | None
) -> tuple[dict[str, Any], str | None]:
    """One page of the figures of the latest version as JSON, for dashboards: the company's, or a
    branch's (or every branch's, for hq and compliance) at branch or manager scope; with the cursor
    of the next page."""
    branch = _branch(grant, branch_id)
    scope = scope or (Scope.BRANCH if branch else Scope.COMPANY)
    if scope is Scope.COMPANY and grant.branch_filter() is not None:
        raise Forbidden("a supervisor reads its own branch's figures", field="scope")
    if scope is Scope.COMPANY and branch_id is not None:
        raise InvalidInput("the company's figures are for no one branch: leave branch_id out", field="branch_id")
    listing = f"figures:{period}:{scope.value}:{branch or ''}"
    offset = offset_of(cursor, listing)  # a cursor the listing never handed out is refused first
    version = _latest(period)
    key = report_data.key_of(version.quarter, version.version, FIGURES_FILE)
    document = json.loads(report_data.read_file(key))
    chosen = [
        item
        for item in document["items"]
        if item["scope"] == scope.value and (branch is None or item["branch_id"] == branch)
    ]
    items, next_cursor = page_of(chosen, listing=listing, limit=limit, offset=offset)
    page = {
        "period": str(version.quarter),
        "version": version.version,
        "generated_at": version.generated_at,
        "scope": scope.value,
        "items": items,
    }
    return page, next_cursor
