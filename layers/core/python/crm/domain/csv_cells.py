"""CSV cells that a spreadsheet opens as text, never as a formula (the OWASP rule on CSV injection).

Every CSV the system writes (the quarterly report's `metrics.csv`, an import's failed-rows file)
passes each cell through `safe_cell`: a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return is read by Excel and LibreOffice as a formula, so it gets a leading apostrophe,
which both show as text. Plain numbers (`-12.5`) are left alone: they are data, not formulas.
This is the second wall: identifiers and names are already refused such characters at the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: str) -> str:
    """`value` as a spreadsheet shows it as text: an apostrophe before a would-be formula."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[str]) -> list[str]:
    return [safe_cell(value) for value in values]
