"""What an identifier of this system looks like: a client's account, a branch, a staff member.

One rule for every id a record or a token names (API.md «Rules»: the identifier rules): ASCII
letters and digits, then also `_`, `.` and `-`, at most 64 characters. It keeps ids safe wherever
they travel — in keys, S3 paths (`branches/<id>/`), CSV cells and spreadsheet formulas — so a
token whose branch is `B1/../B2` or `=HYPERLINK(…)` is refused before anything reads it.
"""

from __future__ import annotations

import re

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
IDENTIFIER_MAX_CHARS = 64
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def identifier_problem(value: object) -> str | None:
    """Why `value` is no identifier, or None."""
    if not isinstance(value, str) or not value:
        return "is missing"
    if len(value) > IDENTIFIER_MAX_CHARS:
        return f"is longer than {IDENTIFIER_MAX_CHARS} characters"
    if not _IDENTIFIER.fullmatch(value):
        return "takes ASCII letters and digits, then also _ . and - only"
    return None
