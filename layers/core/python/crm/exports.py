"""The quarterly report's files (第55条; API.md `metrics.csv`): the figures as CSV for data teams,
as a workbook for people (XlsxWriter: Chinese headers, a sheet per section, numbers as numbers,
frozen headers, native charts, set up to print; constant memory, rows written in order) and as
JSON for dashboards. What a metric is called in Chinese and which section it is filed under is
the labels table's (`rules/labels.toml`), for the workbook and the JSON alike.

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

from crm import rules
from crm.domain.csv_cells import safe_row
from crm.domain.labels import ReportLabels
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
    """The figures by scope and member, and each metric's label in Chinese: what the dashboards'
    endpoint answers."""
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
        "labels": rules.labels().labels_of(row.metric for row in figures.rows),
    }


def figures_json(figures: Figures, *, version: int, generated_at: datetime) -> bytes:
    document = figures_document(figures, version=version, generated_at=generated_at)
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


# --- the workbook ------------------------------------------------------------------------------------

DECIMALS = frozenset({"complaints_per_100_clients", "satisfaction_mean_score"})
SHARES = frozenset({"satisfaction_share_satisfied"})
A4 = 9  # XlsxWriter's (and Excel's) code of the paper size
HEADER_HEIGHT = 30  # points: a header row holds two lines of a wrapped label
BRANCH_WIDTH, FIGURE_WIDTH = 14, 12  # characters: a section sheet's columns
CHART_MIN_WIDTH = 480  # pixels: XlsxWriter's default chart


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
    """The report as a person reads and prints it: an overview, the clients by class charted, a
    sheet per section of the labels table with the branches side by side and their charts, and the
    managers. Every label is the table's Chinese; every sheet prints on A4 landscape, one page wide,
    its header on every page, each chart whole. Every sheet is written row after row (constant
    memory)."""
    import xlsxwriter

    labels = rules.labels()
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
    _overview(
        book, formats, labels, scope_rows, title=title, figures=figures, generated_at=generated_at, version=version
    )
    _classes(book, formats, labels, [r for r in scope_rows if r.metric.startswith("clients_class_")], figures)
    branches = [r for r in figures.rows if r.scope is Scope.BRANCH]
    branch_ids = sorted({r.branch_id for r in branches if r.branch_id})
    values = {(r.branch_id, r.metric): r.value for r in branches}
    sections: dict[str, list[str]] = {section.title: [] for section in labels.sections}
    for row in scope_rows:
        sections[labels.section(row.metric)].append(row.metric)
    # The charts go where their figures are, whatever the table calls that section.
    service_section, satisfaction_section = labels.section("complaints"), labels.section("satisfaction_mean_score")
    for name, metrics in sections.items():
        shares = SERVICE_SHARES if name == service_section else ()
        sheet = _by_branch(book, formats, labels, name, metrics, branch_ids, values, shares)
        if not branch_ids:
            continue
        width = _pixels(BRANCH_WIDTH) + (len(metrics) + len(shares)) * _pixels(FIGURE_WIDTH)
        if name == service_section:
            chart = _on_time_chart(book, sheet.name, len(metrics) + 1, len(branch_ids))
            _chart_below(sheet, len(branch_ids), chart, width)
        if name == satisfaction_section and "satisfaction_mean_score" in metrics:
            column = metrics.index("satisfaction_mean_score") + 1
            _chart_below(sheet, len(branch_ids), _satisfaction_chart(book, sheet.name, column, len(branch_ids)), width)
    _managers(book, formats, labels, [r for r in figures.rows if r.scope is Scope.MANAGER])
    book.close()
    return output.getvalue()


class _Formats:
    def __init__(self, book: Any) -> None:
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.integer = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "0.0000"})
        self.percent = book.add_format({"num_format": "0.0%"})

    def of(self, metric: str) -> Any:
        return self.percent if metric in SHARES else self.decimal if metric in DECIMALS else self.integer


def _headed(sheet: Any, header_rows: int, columns: int = 0) -> None:
    """The header stays on screen (frozen) and on every printed page; the sheet prints on A4
    landscape, one page wide and as many long as it takes."""
    sheet.freeze_panes(header_rows, columns)
    sheet.repeat_rows(0, header_rows - 1)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)


def _pixels(characters: int) -> int:
    """A column's width on screen, as XlsxWriter sizes it (Calibri 11: 7 pixels a digit, 5 of padding)."""
    return characters * 7 + 5


def _chart_below(sheet: Any, table_rows: int, chart: Any, table_width: int) -> None:
    """A chart under a table, as wide as the table, starts a page of its own, so that printing
    never cuts it in two: half as tall as wide, printed one page wide (26 cm between the margins)
    it is at most 13 cm tall, and a landscape A4 page holds 16 cm below its repeated header."""
    row = table_rows + 2  # the header, the table, one blank row
    width = max(CHART_MIN_WIDTH, table_width)
    chart.set_size({"width": width, "height": width // 2})
    sheet.set_h_pagebreaks([row])
    sheet.insert_chart(row, 0, chart)


def _on_time_chart(book: Any, sheet_name: str, first_share_column: int, branches: int) -> Any:
    chart = book.add_chart({"type": "column"})
    for offset, (name, _, _) in enumerate(SERVICE_SHARES):
        column = first_share_column + offset
        chart.add_series(
            {
                "name": name,
                "categories": [sheet_name, 1, 0, branches, 0],
                "values": [sheet_name, 1, column, branches, column],
            }
        )
    chart.set_title({"name": "各营业部按时率 (SLA)"})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
    return chart


def _satisfaction_chart(book: Any, sheet_name: str, column: int, branches: int) -> Any:
    chart = book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "满意度平均分",
            "categories": [sheet_name, 1, 0, branches, 0],
            "values": [sheet_name, 1, column, branches, column],
        }
    )
    chart.set_title({"name": "各营业部回访满意度 (1–10)"})
    chart.set_x_axis({"min": 0, "max": 10})
    chart.set_legend({"none": True})
    return chart


def _overview(
    book: Any,
    formats: _Formats,
    labels: ReportLabels,
    rows: list[Row],
    *,
    title: str,
    figures: Figures,
    generated_at: datetime,
    version: int,
) -> None:
    sheet = book.add_worksheet("概览")
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 2, 16)
    sheet.write_string(0, 0, title, formats.title)
    sheet.write_string(
        1, 0, f"季度 {figures.quarter}  版本 {version}  生成于 {generated_at.isoformat(timespec='minutes')}"
    )
    sheet.write_row(2, 0, ["指标", "数值", "分类"], formats.header)
    _headed(sheet, 3)
    for n, row in enumerate(rows, start=3):
        sheet.write_string(n, 0, labels.label(row.metric))
        _write_cell(sheet, n, 1, row.value, formats.of(row.metric))
        sheet.write_string(n, 2, labels.section(row.metric))


def _classes(book: Any, formats: _Formats, labels: ReportLabels, rows: list[Row], figures: Figures) -> None:
    sheet = book.add_worksheet("客户分类")
    sheet.set_column(0, 0, 16)
    sheet.write_row(0, 0, ["客户类别", "客户数"], formats.header)
    _headed(sheet, 1)
    for n, row in enumerate(rows, start=1):
        sheet.write_string(n, 0, labels.code_label(row.metric))
        _write_cell(sheet, n, 1, row.value, formats.integer)
    chart = book.add_chart({"type": "column"})
    chart.add_series(
        {"name": "客户数", "categories": [sheet.name, 1, 0, len(rows), 0], "values": [sheet.name, 1, 1, len(rows), 1]}
    )
    chart.set_title({"name": f"{figures.quarter} 季末客户分类分布"})
    chart.set_legend({"none": True})
    # Beside the table from its first row: on the first page, which holds it whole.
    sheet.insert_chart(1, 3, chart)


def _by_branch(
    book: Any,
    formats: _Formats,
    labels: ReportLabels,
    name: str,
    metrics: Sequence[str],
    branch_ids: Sequence[str],
    values: dict[tuple[str | None, str], Any],
    shares: Sequence[tuple[str, str, str]],
) -> Any:
    """A section with one row a branch: its counts, then the shares computed from them."""
    sheet = book.add_worksheet(name)
    sheet.set_column(0, 0, BRANCH_WIDTH)
    sheet.set_column(1, len(metrics) + len(shares), FIGURE_WIDTH)
    sheet.set_row(0, HEADER_HEIGHT)
    header = ["营业部", *(labels.label(m) for m in metrics), *(s for s, _, _ in shares)]
    sheet.write_row(0, 0, header, formats.header)
    _headed(sheet, 1, 1)
    for n, branch in enumerate(branch_ids, start=1):
        sheet.write_string(n, 0, branch)
        for col, metric in enumerate(metrics, start=1):
            _write_cell(sheet, n, col, values.get((branch, metric)), formats.of(metric))
        for offset, (_, part, whole) in enumerate(shares, start=len(metrics) + 1):
            _write_cell(
                sheet, n, offset, _share(values.get((branch, part)), values.get((branch, whole))), formats.percent
            )
    return sheet


def _managers(book: Any, formats: _Formats, labels: ReportLabels, rows: list[Row]) -> None:
    keys = sorted({(r.branch_id or "", r.manager_id or "") for r in rows})
    values = {(r.branch_id, r.manager_id, r.metric): r.value for r in rows}
    sheet = book.add_worksheet("客户经理")
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, len(MANAGER_COLUMNS) + 1, 12)
    sheet.set_row(0, HEADER_HEIGHT)
    sheet.write_row(0, 0, ["营业部", "客户经理", *(labels.label(m) for m in MANAGER_COLUMNS)], formats.header)
    _headed(sheet, 1, 2)
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
