"""Error types that cross service boundaries.

The ones in REMOTE_ERRORS cross RPC as themselves: shared.rpc registers them with
nameko, so a remote error arrives at the caller as the same type (not a generic
RemoteError). The gateway maps them to HTTP once, through `status` and `code`.
Plain Python (no nameko here), so contract packages and domain code can raise them.
"""

from __future__ import annotations


class BellyfedError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str = "", details: dict | None = None):
        super().__init__(message, details or {})
        self.message = message or self.code.replace("_", " ")
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class InvalidInput(BellyfedError):
    """The request is well formed but its content breaks a rule (field errors in details)."""

    status = 422
    code = "invalid_input"


class BadRequest(BellyfedError):
    """The request itself is malformed: unparsable JSON, bad query parameters."""

    status = 400
    code = "bad_request"


class NotFound(BellyfedError):
    status = 404
    code = "not_found"


class Conflict(BellyfedError):
    status = 409
    code = "conflict"


class Unauthorized(BellyfedError):
    status = 401
    code = "unauthorized"


class Forbidden(BellyfedError):
    status = 403
    code = "forbidden"


class TooManyRequests(BellyfedError):
    """Too many attempts: `details["retry_after"]` says in how many seconds to try again
    (the gateway sends it as the Retry-After header too)."""

    status = 429
    code = "too_many_requests"


class PayloadTooLarge(BellyfedError):
    status = 413
    code = "payload_too_large"


class ServiceUnavailable(BellyfedError):
    """No instance of a downstream service is running, or a service's own store is down
    (it says so itself, and the caller gets the same type)."""

    status = 503
    code = "service_unavailable"


class ServiceTimeout(BellyfedError):
    """A downstream service did not answer within the RPC timeout."""

    status = 504
    code = "service_timeout"


# Errors that arrive at an RPC caller as themselves (shared.rpc registers them with nameko).
REMOTE_ERRORS = (InvalidInput, BadRequest, NotFound, Conflict, Unauthorized, Forbidden,
                 TooManyRequests, ServiceUnavailable)

# Errors a service raises on purpose: logged as warnings, not tracebacks.
EXPECTED_ERRORS = (InvalidInput, BadRequest, NotFound, Conflict, Unauthorized, Forbidden,
                   TooManyRequests)
