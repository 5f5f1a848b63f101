"""The domain's error vocabulary: the contract's error codes, and the errors that name them.

`CODES` is the one table of the codes that ../shared/API.md lists ("Error codes"): each with its
HTTP status and its title per language. problems.py takes the statuses from it, the text
catalogue (chalicelib/texts.py) the titles; tests/unit/test_vocabulary.py checks that
docs/openapi.yaml, API.md and the pages agree with it. A new code is a row here (after API.md),
its error class below when the domain raises it, and the code in docs/openapi.yaml's Problem enum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import cast


@dataclass(frozen=True)
class Code:
    """A contract error code: its HTTP status and its title in each language (Dutch first).

    The title is the problem's `title`, and its `detail` when the error says nothing more
    specific (a message key of the catalogue).
    """

    status: int
    nl: str
    en: str


CODES: dict[str, Code] = {
    "validation_error": Code(400, nl="De invoer is niet geldig.",
                             en="The input is not valid."),
    "invalid_credentials": Code(401, nl="E-mailadres of wachtwoord is onjuist.",
                                en="Email address or password is incorrect."),
    "unauthenticated": Code(401, nl="U bent niet ingelogd of uw sessie is verlopen.",
                            en="You are not logged in or your session has expired."),
    "forbidden": Code(403, nl="U heeft geen toegang tot dit onderdeel.",
                      en="You do not have access to this part."),
    "feature_not_enabled": Code(403, nl="Digitaal ondertekenen is niet ingeschakeld voor uw kantoor.",
                                en="Digital signing is not enabled for your firm."),
    "not_found": Code(404, nl="Niet gevonden.",
                      en="Not found."),
    "conflict": Code(409, nl="Dit kan niet in de huidige toestand.",
                     en="This is not possible in the current state."),
    "otp_required": Code(409, nl="Bevestig eerst met de sms-code voordat u ondertekent.",
                         en="Confirm with the SMS code before signing."),
    "already_signed": Code(409, nl="Dit document is al ondertekend.",
                           en="This document has already been signed."),
    "not_open": Code(409, nl="Dit verzoek staat niet (meer) open.",
                     en="This request is not open (any more)."),
    "not_your_turn": Code(409, nl="U bent nog niet aan de beurt om te ondertekenen.",
                          en="It is not your turn to sign yet."),
    "payload_too_large": Code(413, nl="Het bestand is te groot.",
                              en="The file is too large."),
    "unsupported_media_type": Code(415, nl="Dit bestandstype wordt niet ondersteund.",
                                   en="This file type is not supported."),
    "phone_required": Code(422, nl="Voor ondertekenen is een mobiel nummer van de klant nodig (voor de sms-code).",
                           en="Signing needs the client's mobile number (for the SMS code)."),
    "invalid_code": Code(422, nl="De code is onjuist of verlopen.",
                         en="The code is incorrect or has expired."),
    "idempotency_key_reused": Code(422, nl="Deze Idempotency-Key is al gebruikt voor een ander verzoek.",
                                   en="This Idempotency-Key was already used for a different request."),
    "document_not_ready": Code(422, nl="Het document is nog niet (correct) geüpload.",
                               en="The document has not been uploaded (correctly) yet."),
    "invalid_signature_image": Code(422, nl="De handtekening kon niet worden gelezen.",
                                    en="The signature could not be read."),
    "rate_limited": Code(429, nl="Te veel verzoeken. Probeer het later opnieuw.",
                         en="Too many requests. Please try again later."),
    "otp_locked": Code(429, nl="Te veel onjuiste codes. Vraag een nieuwe code aan.",
                       en="Too many wrong codes. Request a new code."),
    "internal_error": Code(500, nl="Er ging iets mis aan onze kant.",
                           en="Something went wrong on our side."),
    "service_unavailable": Code(503, nl="Een onderliggende dienst reageert niet. Probeer het zo opnieuw.",
                                en="A service we depend on is not responding. Please try again shortly."),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str  # a message key of the text catalogue (chalicelib/texts.py)
    params: dict[str, object] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    """Base of every error a user can be told about; `code` is a key of `CODES`."""

    code = "conflict"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code not in CODES:  # a typo fails on import, not in an answer
            raise TypeError(f"{cls.__name__}.code {cls.code!r} is not a code of errors.CODES")

    def __init__(self, message: str | None = None, **params: object) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code
        # `errors`: which fields (and, for a list, which of its items) the error is about.
        self.errors: list[FieldError] = list(cast(Sequence[FieldError], params.pop("errors", ())))
        self.params = params


class ValidationFailed(DomainError):
    code = "validation_error"

    def __init__(self, *errors: FieldError, message: str | None = None) -> None:
        super().__init__(message or "validation_error", errors=errors)


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


class NotYourTurn(DomainError):
    """Sequential signing: a signer before this one has not signed yet."""

    code = "not_your_turn"


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


class Throttled(DependencyFailed):
    """The service refused for the rate of calls (SES's sending rate): the same call succeeds a little later."""
