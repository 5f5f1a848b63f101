"""The domain's error vocabulary. Each error names a contract code; problems.py maps it to HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str  # a message key from chalicelib.messages
    params: dict[str, object] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    """Base of every error a user can be told about."""

    code = "conflict"

    def __init__(self, message: str | None = None, **params: object) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        self.params = params


class ValidationFailed(DomainError):
    code = "validation_error"

    def __init__(self, *errors: FieldError, message: str | None = None) -> None:
        super().__init__(message or "validation_error")
        self.errors = list(errors)


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class FeatureNotEnabled(DomainError):
    code = "feature_not_enabled"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class OtpRequired(DomainError):
    code = "otp_required"


class AlreadySigned(DomainError):
    code = "already_signed"


class NotOpen(DomainError):
    code = "not_open"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"


class PhoneRequired(DomainError):
    code = "phone_required"


class InvalidCode(DomainError):
    code = "invalid_code"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class DocumentNotReady(DomainError):
    code = "document_not_ready"


class InvalidSignatureImage(DomainError):
    code = "invalid_signature_image"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str | None = None, *, retry_after: int, **params: object) -> None:
        super().__init__(message, **params)
        self.retry_after = max(1, retry_after)


class OtpLocked(RateLimited):
    code = "otp_locked"


class DependencyFailed(DomainError):
    """An AWS service we depend on failed or timed out; the caller may retry."""

    code = "service_unavailable"
