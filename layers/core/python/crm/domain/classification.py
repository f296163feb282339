"""Client classification by asset amount and asset turnover (第4–6条).

Eleven classes from six asset bands (第5条) split by the turnover threshold `T` (第4条,
第6条: A+/B+ one band above A/B, C-/D- one band below C/D). The band table is DOMAIN.md §1's
DEFAULT reconstruction, held as data in `rules/classification.toml`.

Turnover = trading volume ÷ average assets (0 when average assets are 0). It is compared with
`T` as `trade_volume >= T × avg_assets`, which is exact in Decimal and needs no rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crm.errors import InvalidInput, RuleTableError


class ClassCause(StrEnum):
    """Why a client's class changed (DOMAIN.md §1: every change is kept with its cause)."""

    METRICS = "metrics"
    RECALIBRATION = "recalibration"
    RULES = "rules"


class ClientClass(StrEnum):
    """The eleven classes of 第5–6条, highest value first: their names are the regulation's, fixed;
    which figures give which class is the rule table's."""

    A_PLUS = "A+"
    B_PLUS = "B+"
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    C_MINUS = "C-"
    D_MINUS = "D-"
    E = "E"
    F = "F"
    G = "G"


@dataclass(frozen=True)
class AssetBand:
    min_assets: Decimal
    high_turnover: str
    low_turnover: str


@dataclass(frozen=True)
class ClassificationRules:
    version: str
    initial_turnover_threshold: Decimal
    class_order: tuple[str, ...]
    bands: tuple[AssetBand, ...]  # highest lower bound first
    traded_below_bands: str
    dormant_below_bands: str
    recalibration_years: int = 3
    threshold_places: int = 4

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ClassificationRules:
        try:
            bands = tuple(
                AssetBand(
                    min_assets=Decimal(row["min_assets"]),
                    high_turnover=str(row["high_turnover"]),
                    low_turnover=str(row["low_turnover"]),
                )
                for row in table["bands"]
            )
            rules = cls(
                version=str(table["version"]),
                initial_turnover_threshold=Decimal(table["initial_turnover_threshold"]),
                class_order=tuple(str(c) for c in table["class_order"]),
                bands=bands,
                traded_below_bands=str(table["below_bands"]["traded"]),
                dormant_below_bands=str(table["below_bands"]["dormant"]),
                recalibration_years=int(table["recalibration"]["years"]),
                threshold_places=int(table["recalibration"]["threshold_places"]),
            )
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise RuleTableError(f"classification table: {exc!r}") from exc
        rules._validate()
        return rules

    def _validate(self) -> None:
        numbers = [self.initial_turnover_threshold, *(band.min_assets for band in self.bands)]
        if not all(number.is_finite() for number in numbers):
            raise RuleTableError("classification table: thresholds and bounds must be finite numbers")
        minima = [band.min_assets for band in self.bands]
        if not minima or minima != sorted(minima, reverse=True) or len(set(minima)) != len(minima):
            raise RuleTableError("classification table: bands must have strictly descending min_assets")
        if minima[-1] <= 0:
            raise RuleTableError("classification table: the lowest band needs a positive lower bound")
        if self.recalibration_years < 1 or not 0 <= self.threshold_places <= 10:
            raise RuleTableError("classification table: recalibration needs at least one year and 0–10 places")
        if self.initial_turnover_threshold <= 0:
            raise RuleTableError("classification table: the turnover threshold must be positive")
        used = {c for band in self.bands for c in (band.high_turnover, band.low_turnover)}
        used |= {self.traded_below_bands, self.dormant_below_bands}
        if used != set(self.class_order) or len(set(self.class_order)) != len(self.class_order):
            raise RuleTableError("classification table: class_order must list exactly the classes used")
        if self.class_order != tuple(ClientClass):
            raise RuleTableError(f"classification table: class_order must be {', '.join(ClientClass)} (第5–6条)")

    def turnover_matters(self, assets: Decimal) -> bool:
        """True in the bands whose class depends on which side of `T` the turnover lies."""
        band = self.band_for(assets)
        return band is not None and band.high_turnover != band.low_turnover

    def band_for(self, assets: Decimal) -> AssetBand | None:
        for band in self.bands:
            if assets >= band.min_assets:
                return band
        return None

    def rank(self, client_class: str) -> int:
        """0 for the most valuable class; larger is lower."""
        return self.class_order.index(client_class)


@dataclass(frozen=True)
class YearMetrics:
    """A client's figures for one calendar year (assets at year end, or now for the current year)."""

    year: int
    assets: Decimal
    avg_assets: Decimal
    trade_volume: Decimal

    def __post_init__(self) -> None:
        for name in ("assets", "avg_assets", "trade_volume"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise InvalidInput(f"{name} must be a finite number", field=name)
            if value < 0:
                raise InvalidInput(f"{name} must not be negative", field=name)

    @property
    def turnover(self) -> Decimal:
        """资产周转率 = trading volume ÷ average assets; 0 when average assets are 0 (DOMAIN.md §1)."""
        return self.trade_volume / self.avg_assets if self.avg_assets else Decimal(0)

    def is_high_turnover(self, threshold: Decimal) -> bool:
        return self.avg_assets > 0 and self.trade_volume >= threshold * self.avg_assets


def classify(metrics: YearMetrics, threshold: Decimal, rules: ClassificationRules) -> str:
    """The class of one year's figures under turnover threshold `threshold` (第4–6条)."""
    band = rules.band_for(metrics.assets)
    if band is None:
        return rules.traded_below_bands if metrics.trade_volume > 0 else rules.dormant_below_bands
    return band.high_turnover if metrics.is_high_turnover(threshold) else band.low_turnover


def latest(metrics: Sequence[YearMetrics]) -> YearMetrics | None:
    """The class is computed from the latest year on record (DOMAIN.md §1)."""
    return max(metrics, key=lambda m: m.year, default=None)


@dataclass(frozen=True)
class Threshold:
    """The turnover threshold `T` in force and the version of the decision that set it (第6条)."""

    value: Decimal
    version: str
