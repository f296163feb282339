"""A client's risk tolerance level (第8条): what its questionnaire's score maps to, what a product's
risk is matched against (第8条 5), and what its record carries. Its own module: reading a client
needs the level, not the questionnaire it came from."""

from __future__ import annotations

from enum import StrEnum


class RiskLevel(StrEnum):
    VERY_LOW = "very_low"  # 极低
    LOW = "low"  # 低
    MEDIUM = "medium"  # 中
    HIGH = "high"  # 高
