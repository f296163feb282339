"""The quarterly report's files (第55条; API.md `metrics.csv`): the figures as CSV for data teams,
as a workbook for people (XlsxWriter: Chinese headers, a sheet per section, numbers as numbers,
frozen headers, native charts; constant memory, rows written in order) and as JSON for dashboards.

Pure: figures in, bytes out. Nothing here reads or writes AWS.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm.domain.csv_cells import safe_row
from crm.domain.report import Figures, Row, Scope

CSV_COLUMNS = ("scope", "branch_id", "manager_id", "metric", "value")


def _text(value: int | Decimal | None) -> str:
    return "" if value is None else str(value)


def metrics_csv(figures: Figures) -> bytes:
    """Long format, one figure a row, UTF-8 with BOM (Excel opens the Chinese intact)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in (r for r in figures.rows if r.in_csv):
        writer.writerow(
            safe_row((row.scope.value, row.branch_id or "", row.manager_id or "", row.metric, _text(row.value)))
        )
    return buffer.getvalue().encode("utf-8-sig")


def _number(value: int | Decimal | None) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def figures_document(figures: Figures, *, version: int, generated_at: datetime) -> dict[str, Any]:
    """The figures by scope and member: what the dashboards' endpoint answers."""
    members: dict[tuple[Scope, str | None, str | None], dict[str, int | float | None]] = {}
    for row in figures.rows:
        members.setdefault((row.scope, row.branch_id, row.manager_id), {})[row.metric] = _number(row.value)
    return {
        "period": str(figures.quarter),
        "version": version,
        "generated_at": generated_at.isoformat(),
        "items": [
            {"scope": scope.value, "branch_id": branch, "manager_id": manager, "figures": values}
            for (scope, branch, manager), values in members.items()
        ],
    }


def figures_json(figures: Figures, *, version: int, generated_at: datetime) -> bytes:
    document = figures_document(figures, version=version, generated_at=generated_at)
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


# --- the workbook ------------------------------------------------------------------------------------

LABELS = {
    "clients": "客户数",
    "vip": "VIP 客户",
    "email_replied_same_day": "邮件当日答复",
    "email_replied_within_2wd": "邮件两个工作日内答复",
    "sla_breaches": "超时",
    "complaints": "投诉",
    "complaints_valid": "有效投诉",
    "complaints_invalid": "无效投诉",
    "complaints_regulator": "监管转办投诉",
    "complaints_investigated_on_time": "按时开始调查",
    "complaints_replied_on_time": "按时答复",
    "complaints_per_100_clients": "每百名客户投诉",
    "callbacks_due": "应回访",
    "callbacks_done": "已回访",
    "callbacks_done_on_time": "按时回访",
    "callbacks_unreachable": "无法联系",
    "satisfaction_mean_score": "满意度平均分",
    "satisfaction_share_satisfied": "满意占比",
    "retention_retained": "挽留成功",
    "retention_transferred": "转户",
    "retention_closed": "销户",
    "education_activities": "投资者教育活动",
    "education_attendances": "参加人次",
    "work_logs": "工作日志",
    "visits": "拜访",
    "spot_checks": "抽查",
    "class_changes": "客户类别变动",
    "vip_gained": "新增 VIP",
    "vip_lost": "VIP 退出",
}
PREFIXES = {
    "clients_class_": "客户类别 ",
    "clients_risk_": "风险等级 ",
    "contacts_": "客户联系 ",
    "complaints_": "投诉类别 ",
}
RISK_LABELS = {"very_low": "极低", "low": "低", "medium": "中", "high": "高"}
SECTIONS = (
    ("客户", ("clients", "clients_class_", "clients_risk_", "vip", "class_changes", "vip_gained", "vip_lost")),
    ("服务与投诉", ("contacts_", "email_", "sla_breaches", "complaints")),
    ("回访与满意度", ("callbacks_", "satisfaction_")),
    ("挽留与教育", ("retention_", "education_")),
    ("客户经理工作", ("work_logs", "visits", "spot_checks")),
)
DECIMALS = frozenset({"complaints_per_100_clients", "satisfaction_mean_score"})
SHARES = frozenset({"satisfaction_share_satisfied"})


def label(metric: str) -> str:
    if metric in LABELS:
        return LABELS[metric]
    for prefix, text in PREFIXES.items():
        if metric.startswith(prefix):
            rest = metric.removeprefix(prefix)
            return text + RISK_LABELS.get(rest, rest)
    return metric


def _section(metric: str) -> str:
    for title, starts in SECTIONS:
        if any(metric == s or (s.endswith("_") and metric.startswith(s)) for s in starts):
            return title
    return SECTIONS[-1][0]


def _share(part: int | Decimal | None, whole: int | Decimal | None) -> float | None:
    """part ÷ whole for a chart (None: nothing to divide)."""
    if not whole or part is None:
        return None
    return float(part) / float(whole)


SERVICE_SHARES = (
    ("按时调查率", "complaints_investigated_on_time", "complaints"),
    ("按时答复率", "complaints_replied_on_time", "complaints"),
    ("邮件两日内答复率", "email_replied_within_2wd", "contacts_email"),
)
MANAGER_COLUMNS = (
    "clients",
    "vip",
    "work_logs",
    "visits",
    "spot_checks",
    "callbacks_done",
    "satisfaction_mean_score",
    "complaints",
)


def workbook(
    figures: Figures, *, title: str, generated_at: datetime, version: int, temp_dir: str | None = None
) -> bytes:
    """The report as a person reads it: an overview, the clients by class charted, a sheet per
    section with the branches side by side and their charts, and the managers. Every sheet is
    written row after row (constant memory)."""
    import xlsxwriter

    output = io.BytesIO()
    options = {"constant_memory": True, "tmpdir": temp_dir, "default_date_format": "yyyy-mm-dd"}
    book = xlsxwriter.Workbook(output, options)
    book.set_properties(
        {"title": title, "created": generated_at.replace(tzinfo=None), "comments": f"version {version}"}
    )
    formats = _Formats(book)
    scope_rows = [r for r in figures.rows if r.scope is Scope.COMPANY] or [
        r for r in figures.rows if r.scope is Scope.BRANCH
    ]
    _overview(book, formats, scope_rows, title=title, figures=figures, generated_at=generated_at, version=version)
    _classes(book, formats, [r for r in scope_rows if r.metric.startswith("clients_class_")], figures)
    branches = [r for r in figures.rows if r.scope is Scope.BRANCH]
    branch_ids = sorted({r.branch_id for r in branches if r.branch_id})
    values = {(r.branch_id, r.metric): r.value for r in branches}
    sections: dict[str, list[str]] = {}
    for row in scope_rows:
        sections.setdefault(_section(row.metric), []).append(row.metric)
    service = _by_branch(
        book, formats, "服务与投诉", sections.get("服务与投诉", []), branch_ids, values, SERVICE_SHARES
    )
    if branch_ids:
        chart = book.add_chart({"type": "column"})
        first = len(sections.get("服务与投诉", [])) + 1
        for offset, (name, _, _) in enumerate(SERVICE_SHARES):
            chart.add_series(
                {
                    "name": name,
                    "categories": [service.name, 1, 0, len(branch_ids), 0],
                    "values": [service.name, 1, first + offset, len(branch_ids), first + offset],
                }
            )
        chart.set_title({"name": "各营业部按时率 (SLA)"})
        chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        service.insert_chart(len(branch_ids) + 3, 0, chart)
    callbacks = sections.get("回访与满意度", [])
    satisfaction = _by_branch(book, formats, "回访与满意度", callbacks, branch_ids, values, ())
    if branch_ids and "satisfaction_mean_score" in callbacks:
        col = callbacks.index("satisfaction_mean_score") + 1
        chart = book.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "满意度平均分",
                "categories": [satisfaction.name, 1, 0, len(branch_ids), 0],
                "values": [satisfaction.name, 1, col, len(branch_ids), col],
            }
        )
        chart.set_title({"name": "各营业部回访满意度 (1–10)"})
        chart.set_x_axis({"min": 0, "max": 10})
        chart.set_legend({"none": True})
        satisfaction.insert_chart(len(branch_ids) + 3, 0, chart)
    _by_branch(book, formats, "挽留与教育", sections.get("挽留与教育", []), branch_ids, values, ())
    _managers(book, formats, [r for r in figures.rows if r.scope is Scope.MANAGER])
    book.close()
    return output.getvalue()


class _Formats:
    def __init__(self, book: Any) -> None:
        self.header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.integer = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "0.0000"})
        self.percent = book.add_format({"num_format": "0.0%"})

    def of(self, metric: str) -> Any:
        return self.percent if metric in SHARES else self.decimal if metric in DECIMALS else self.integer


def _overview(
    book: Any, formats: _Formats, rows: list[Row], *, title: str, figures: Figures, generated_at: datetime, version: int
) -> None:
    sheet = book.add_worksheet("概览")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 2, 16)
    sheet.write_string(0, 0, title, formats.title)
    sheet.write_string(
        1, 0, f"季度 {figures.quarter}  版本 {version}  生成于 {generated_at.isoformat(timespec='minutes')}"
    )
    sheet.write_row(2, 0, ["指标", "数值", "分类"], formats.header)
    sheet.freeze_panes(3, 0)
    for n, row in enumerate(rows, start=3):
        sheet.write_string(n, 0, label(row.metric))
        _write_cell(sheet, n, 1, row.value, formats.of(row.metric))
        sheet.write_string(n, 2, _section(row.metric))


def _classes(book: Any, formats: _Formats, rows: list[Row], figures: Figures) -> None:
    sheet = book.add_worksheet("客户分类")
    sheet.set_column(0, 0, 16)
    sheet.write_row(0, 0, ["客户类别", "客户数"], formats.header)
    sheet.freeze_panes(1, 0)
    for n, row in enumerate(rows, start=1):
        sheet.write_string(n, 0, row.metric.removeprefix("clients_class_"))
        _write_cell(sheet, n, 1, row.value, formats.integer)
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {"name": "客户数", "categories": [sheet.name, 1, 0, len(rows), 0], "values": [sheet.name, 1, 1, len(rows), 1]}
    )
    chart.set_title({"name": f"{figures.quarter} 季末客户分类分布"})
    chart.set_legend({"none": True})
    sheet.insert_chart(1, 3, chart)


def _by_branch(
    book: Any,
    formats: _Formats,
    name: str,
    metrics: Sequence[str],
    branch_ids: Sequence[str],
    values: dict[tuple[str | None, str], Any],
    shares: Sequence[tuple[str, str, str]],
) -> Any:
    """A section with one row a branch: its counts, then the shares computed from them."""
    sheet = book.add_worksheet(name)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, len(metrics) + len(shares), 12)
    sheet.write_row(0, 0, ["营业部", *(label(m) for m in metrics), *(s for s, _, _ in shares)], formats.header)
    sheet.freeze_panes(1, 1)
    for n, branch in enumerate(branch_ids, start=1):
        sheet.write_string(n, 0, branch)
        for col, metric in enumerate(metrics, start=1):
            _write_cell(sheet, n, col, values.get((branch, metric)), formats.of(metric))
        for offset, (_, part, whole) in enumerate(shares, start=len(metrics) + 1):
            _write_cell(
                sheet, n, offset, _share(values.get((branch, part)), values.get((branch, whole))), formats.percent
            )
    return sheet


def _managers(book: Any, formats: _Formats, rows: list[Row]) -> None:
    keys = sorted({(r.branch_id or "", r.manager_id or "") for r in rows})
    values = {(r.branch_id, r.manager_id, r.metric): r.value for r in rows}
    sheet = book.add_worksheet("客户经理")
    sheet.set_column(0, 1, 14)
    sheet.write_row(0, 0, ["营业部", "客户经理", *(label(m) for m in MANAGER_COLUMNS)], formats.header)
    sheet.freeze_panes(1, 2)
    for n, (branch, manager) in enumerate(keys, start=1):
        sheet.write_string(n, 0, branch)
        sheet.write_string(n, 1, manager)
        for col, metric in enumerate(MANAGER_COLUMNS, start=2):
            _write_cell(sheet, n, col, values.get((branch, manager, metric)), formats.of(metric))


def _write_cell(sheet: Any, row: int, col: int, value: int | float | Decimal | None, fmt: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)
