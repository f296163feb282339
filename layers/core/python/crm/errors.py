"""One error hierarchy for the whole system.

Domain code raises these; the API edge maps each class to its HTTP status and the error body
of API.md (`{"error": {"code", "message", "field"}}`). Nothing here knows about HTTP.
"""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error the system reports to a caller."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(CrmError):
    """The request is well-formed but a value breaks a rule (unknown option, negative money)."""

    code = "invalid_input"


class MalformedRequest(CrmError):
    """The request cannot be read at all (body is not JSON, wrong content)."""

    code = "malformed_request"


class Unauthenticated(CrmError):
    """No identity, or one that cannot be trusted."""

    code = "unauthenticated"


class Forbidden(CrmError):
    """The caller's role or scope does not cover this request."""

    code = "forbidden"


class PayloadTooLarge(CrmError):
    """The body exceeds what any request of this API needs."""

    code = "payload_too_large"


class UnsupportedMediaType(CrmError):
    """A body that is not `application/json` (API.md «Rules»: 415)."""

    code = "unsupported_media_type"


class Unavailable(CrmError):
    """A service the request depends on (the identity provider) did not answer; nothing changed."""

    code = "unavailable"


class NotFound(CrmError):
    code = "not_found"


class Conflict(CrmError):
    """The request contradicts the current state (illegal transition, concurrent change)."""

    code = "conflict"


class RuleTableError(Exception):
    """A rule table failed validation at load: a deployment defect, never a caller's fault."""
