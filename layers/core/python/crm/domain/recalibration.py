"""The year-end recalibration of the turnover threshold `T` (第6条; DOMAIN §1).

At each year end HQ resets `T` to the mean of the company's client asset turnover over the
previous three years. The company turnover of a year is Σ clients' trading volume ÷ Σ clients'
average assets of that year (DEFAULT). With fewer than three years of figures the mean of those
there are is taken; with none, `T` stays. Only clients whose turnover lies between the old and
the new `T`, in bands where turnover decides the class, can change class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from crm.domain.classification import ClassificationRules, Threshold


@dataclass(frozen=True)
class YearTurnover:
    """The company's figures for one year, summed over every client's metrics of that year."""

    year: int
    trade_volume: Decimal
    avg_assets: Decimal
    clients: int

    @property
    def turnover(self) -> Decimal | None:
        return self.trade_volume / self.avg_assets if self.avg_assets > 0 else None


@dataclass(frozen=True)
class Recalibration:
    year: int  # the year that has just begun
    previous: Threshold
    new: Threshold
    figures: tuple[YearTurnover, ...]  # the years the mean was taken over
    at: datetime

    @property
    def changed(self) -> bool:
        return self.new.value != self.previous.value

    def candidate_range(self) -> tuple[Decimal, Decimal]:
        """Turnovers whose side of `T` differs under the old and the new value: [low, high)."""
        return min(self.previous.value, self.new.value), max(self.previous.value, self.new.value)


def years_to_average(year: int, rules: ClassificationRules) -> list[int]:
    """The complete years before `year` that the new `T` is the mean of."""
    return list(range(year - rules.recalibration_years, year))


def threshold_version(year: int) -> str:
    return f"{year}-recalibration"


def recalibrate(
    year: int, previous: Threshold, figures: Sequence[YearTurnover], rules: ClassificationRules, *, at: datetime
) -> Recalibration:
    """The new `T` for the year that has just begun (unchanged when no year has figures, or
    when nobody traded at all)."""
    usable = tuple(f for f in figures if f.turnover is not None)
    if not usable:
        return Recalibration(year=year, previous=previous, new=previous, figures=(), at=at)
    mean = sum((f.turnover for f in usable if f.turnover is not None), Decimal(0)) / len(usable)
    value = mean.quantize(Decimal(1).scaleb(-rules.threshold_places), rounding=ROUND_HALF_EVEN)
    if value <= 0:  # no trading at all says nothing about where high turnover starts
        return Recalibration(year=year, previous=previous, new=previous, figures=usable, at=at)
    return Recalibration(
        year=year,
        previous=previous,
        new=Threshold(value=value, version=threshold_version(year)),
        figures=usable,
        at=at,
    )
