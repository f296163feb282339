"""Company settings HQ reads: the turnover threshold T in force and its history (第6条)."""

from __future__ import annotations

from datetime import datetime

from crm.data import settings as settings_data
from crm.domain.classification import Threshold
from crm.domain.recalibration import Recalibration
from crm.services.reclassification import current_threshold


def turnover_threshold() -> tuple[Threshold, datetime | None, list[tuple[Recalibration, str, int | None]]]:
    """`T` in force, since when, and every recalibration newest first (with its figures,
    status and how many clients it moved)."""
    return current_threshold(), settings_data.threshold_set_at(), settings_data.recalibrations()
