"""What a client says of the service when called back (满意 / 一般 / 不满意): every callback's
answer, a complaint's callback as much as a routine one, and the quarterly report's
satisfaction figures. Its own module: a complaint needs the word, not the callback rules."""

from __future__ import annotations

from enum import StrEnum


class Attitude(StrEnum):
    SATISFIED = "satisfied"  # 满意
    NEUTRAL = "neutral"  # 一般
    DISSATISFIED = "dissatisfied"  # 不满意
