"""Response bodies of the settings routes: the turnover threshold T and its history (第6条)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.models import Model, Number
from crm.domain.classification import Threshold
from crm.domain.recalibration import Recalibration


class YearFiguresOut(Model):
    year: int
    trade_volume: Number = Field(description="Σ clients' trading volume of the year")
    avg_assets: Number = Field(description="Σ clients' average assets of the year")
    clients: int
    turnover: Number | None = Field(description="trade_volume ÷ avg_assets: the company's turnover of the year")


class RecalibrationOut(Model):
    year: int = Field(description="The year it set T for")
    previous: Number
    value: Number
    threshold_version: str
    figures: list[YearFiguresOut] = Field(description="The years T is the mean of")
    at: datetime
    status: str = Field(description="started, or done once every client it moves is reclassified")
    moved: int | None

    @classmethod
    def of(cls, change: Recalibration, status: str, moved: int | None) -> RecalibrationOut:
        return cls(
            year=change.year,
            previous=change.previous.value,
            value=change.new.value,
            threshold_version=change.new.version,
            figures=[
                YearFiguresOut(
                    year=f.year,
                    trade_volume=f.trade_volume,
                    avg_assets=f.avg_assets,
                    clients=f.clients,
                    turnover=f.turnover,
                )
                for f in change.figures
            ],
            at=change.at,
            status=status,
            moved=moved,
        )


class TurnoverThresholdOut(Model):
    value: Number
    version: str
    set_at: datetime | None
    history: list[RecalibrationOut] = Field(description="Every year-end recalibration, newest first")

    @classmethod
    def of(
        cls, current: Threshold, set_at: datetime | None, history: list[tuple[Recalibration, str, int | None]]
    ) -> TurnoverThresholdOut:
        return cls(
            value=current.value,
            version=current.version,
            set_at=set_at,
            history=[RecalibrationOut.of(*entry) for entry in history],
        )
