"""Response bodies of the quarterly-report routes (第55条; API.md «reports»)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from crm import rules
from crm.api.models import Model
from crm.api.query import NextCursor
from crm.domain.report import Scope


class ReportFile(Model):
    name: str = Field(description="metrics.csv, report.xlsx, figures.json (and branches/<id>/… for hq)")
    format: str = Field(description="xlsx, csv or json")
    url: str = Field(description="Downloads the file for 15 minutes")


class QuarterlyReport(Model):
    period: str = Field(description="YYYYQn")
    version: int = Field(description="1, then one more for each re-run whose figures changed")
    generated_at: datetime
    files: list[ReportFile]


class FigureSet(Model):
    scope: Scope
    branch_id: str | None
    manager_id: str | None
    figures: dict[str, int | float | None] = Field(description="metric → value, as in metrics.csv")


class QuarterlyFigures(Model):
    period: str
    version: int
    generated_at: datetime
    scope: Scope
    items: list[FigureSet]
    labels: dict[str, str] = Field(
        description="metric → its label in Chinese, as the workbook heads it, for every metric in items"
    )
    next_cursor: NextCursor

    @classmethod
    def of(cls, document: dict[str, Any], next_cursor: str | None = None) -> QuarterlyFigures:
        """The items the service chose from figures.json, each metric labelled by the labels table,
        as the file's own `labels` are (a version written before the file had them reads alike)."""
        metrics = (metric for item in document["items"] for metric in item["figures"])
        labels = rules.labels().labels_of(metrics)
        return cls.model_validate({**document, "labels": labels, "next_cursor": next_cursor})
