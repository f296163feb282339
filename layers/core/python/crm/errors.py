"""One error hierarchy for the whole system.

Domain code raises these; the API edge maps each class to its HTTP status and the error body
of API.md (`{"error": {"code", "message", "field", "details"?}}`). Nothing here knows about HTTP.
`ErrorCode` is every `error.code` a caller may meet, stable: front-ends branch on it (the OpenAPI
document lists it as an enum).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"  # API Gateway refused the request itself
    MALFORMED_REQUEST = "malformed_request"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PRECONDITION_FAILED = "precondition_failed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_INPUT = "invalid_input"
    THROTTLED = "throttled"
    INTERNAL = "internal"
    INTERNAL_ERROR = "internal_error"  # API Gateway's own 5XX
    UNAVAILABLE = "unavailable"
    # an import's file as a whole (crm.domain.imports: FileProblem)
    EMPTY = "empty"
    NOT_CSV = "not_csv"
    UNKNOWN_HEADER = "unknown_header"
    BAD_ENCODING = "bad_encoding"
    TOO_LARGE = "too_large"
    TOO_MANY_ROWS = "too_many_rows"


class DetailCode(StrEnum):
    """What is wrong with one field of a 422 (`error.details[].code`)."""

    REQUIRED = "required"
    UNKNOWN_FIELD = "unknown_field"
    INVALID = "invalid"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: DetailCode
    message: str


class CrmError(Exception):
    """Base of every error the system reports to a caller."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: tuple[FieldProblem, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details
        if code is not None:
            self.code = ErrorCode(code).value  # only a code of the enum reaches a caller


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


class PreconditionFailed(CrmError):
    """An `If-Match` that names a version the resource has moved on from: nothing was changed."""

    code = "precondition_failed"


class NotFound(CrmError):
    code = "not_found"


class Conflict(CrmError):
    """The request contradicts the current state (illegal transition, concurrent change)."""

    code = "conflict"


class ClientChanged(Conflict):
    """The client's record changed between the read a write was decided on and the write, which
    stored nothing (crm.services.client_lookup.decided_on_fresh reads and decides again)."""


class RuleTableError(Exception):
    """A rule table failed validation at load: a deployment defect, never a caller's fault."""
