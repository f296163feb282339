"""Optimistic concurrency as a caller sees it (API.md «Rules every route follows»: Concurrency).

A record's version — its `VersionAttribute`, or for a calendar a digest of its content — is what
the API's `ETag` names. A change may say which version it was made from (`If-Match`); when the
record has moved on since, the change is refused before anything is written (412). The write
itself stays conditioned on the version read, so a change racing in between is still refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.errors import PreconditionFailed

IF_MATCH = "If-Match"  # the field a refusal names


def version_tag(version: int | str | None) -> str:
    """The opaque part of a record's entity tag: its version (a record written without one is at 0,
    as PynamoDB's condition on its first versioned write reads it)."""
    return str(0 if version is None else version)


@dataclass(frozen=True)
class ExpectedVersion:
    """What a change's `If-Match` asks of the record: to be at one of `tags`, or (`*`) to exist."""

    tags: frozenset[str] = frozenset()
    any_version: bool = False

    @classmethod
    def of(cls, *versions: int | str) -> ExpectedVersion:
        return cls(frozenset(version_tag(version) for version in versions))


def require_version(
    expected: ExpectedVersion | None, current: int | str | None, *, what: str, exists: bool = True
) -> None:
    """Refuse a change made from a version the record (`exists`: is there one yet) is no longer at.

    The one comparison of the system: every service that takes `expected_version` calls it right
    after reading the record, before it writes anything. Without an expectation, nothing is asked."""
    if expected is None:
        return
    if not exists:
        raise PreconditionFailed(f"{what} does not exist yet: If-Match names none of its versions", field=IF_MATCH)
    if expected.any_version or version_tag(current) in expected.tags:
        return
    raise PreconditionFailed(
        f'{what} has changed since it was read (its ETag is now "{version_tag(current)}"); read it again',
        field=IF_MATCH,
    )
