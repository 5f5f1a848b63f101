"""Every sentence a person reads in an API answer, per language (Dutch first)."""

from __future__ import annotations

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")

_NL: dict[str, str] = {
    # titles of the error codes
    "validation_error": "De invoer is niet geldig.",
    "invalid_credentials": "E-mailadres of wachtwoord is onjuist.",
    "unauthenticated": "U bent niet ingelogd of uw sessie is verlopen.",
    "forbidden": "U heeft geen toegang tot dit onderdeel.",
    "feature_not_enabled": "Digitaal ondertekenen is niet ingeschakeld voor uw kantoor.",
    "not_found": "Niet gevonden.",
    "conflict": "Dit kan niet in de huidige toestand.",
    "otp_required": "Bevestig eerst met de sms-code voordat u ondertekent.",
    "already_signed": "Dit document is al ondertekend.",
    "not_open": "Dit verzoek staat niet (meer) open.",
    "payload_too_large": "Het bestand is te groot.",
    "unsupported_media_type": "Dit bestandstype wordt niet ondersteund.",
    "phone_required": "Voor ondertekenen is een mobiel nummer van de klant nodig (voor de sms-code).",
    "invalid_code": "De code is onjuist of verlopen.",
    "idempotency_key_reused": "Deze Idempotency-Key is al gebruikt voor een ander verzoek.",
    "document_not_ready": "Het document is nog niet (correct) geüpload.",
    "invalid_signature_image": "De handtekening kon niet worden gelezen.",
    "rate_limited": "Te veel verzoeken. Probeer het later opnieuw.",
    "otp_locked": "Te veel onjuiste codes. Vraag een nieuwe code aan.",
    "service_unavailable": "Een onderliggende dienst reageert niet. Probeer het zo opnieuw.",
    "internal_error": "Er ging iets mis aan onze kant.",
    # field messages
    "required": "Dit veld is verplicht.",
    "not_a_string": "Vul hier tekst in.",
    "too_long": "Maximaal {max} tekens.",
    "invalid_json": "De body is geen geldige JSON.",
    "invalid_email": "Vul een geldig e-mailadres in.",
    "invalid_phone": "Vul een geldig telefoonnummer in, bijvoorbeeld 06 12345678.",
    "invalid_language": "Kies 'nl' of 'en'.",
    "email_taken": "Er bestaat al een klant met dit e-mailadres.",
    "weak_password": "Het wachtwoord voldoet niet aan het beleid: minstens 12 tekens, met hoofdletter, kleine letter, cijfer en leesteken.",
    "invalid_token": "Deze activatielink is ongeldig, al gebruikt of verlopen.",
    "invalid_limit": "Kies een getal van 1 tot en met 200.",
    "invalid_cursor": "Deze cursor is ongeldig.",
    "missing_token": "Er is geen geldig token meegestuurd.",
    "client_role_only": "Alleen klanten hebben toegang tot het portaal.",
    "advisor_role_only": "Alleen adviseurs hebben toegang tot dit onderdeel.",
    "unknown_feature": "Onbekende functie: {names}.",
    "invalid_size": "Geef de grootte op als een positief aantal bytes.",
    "invalid_filename": "Een bestandsnaam mag geen / of \\ bevatten.",
    "file_too_large": "Het bestand is groter dan {max_mib} MiB.",
    "type_not_allowed": "Alleen PDF, PNG, JPEG, DOCX en XLSX zijn toegestaan.",
    "document_missing": "Het bestand is niet in de opslag aangekomen.",
    "document_size_mismatch": "Het bestand is {actual} bytes in plaats van de opgegeven {declared}.",
    "document_type_mismatch": "De inhoud van het bestand past niet bij het opgegeven type.",
    "invalid_response_type": "Kies een soort reactie: none, reply, approve of sign.",
    "invalid_document_ids": "Geef een lijst van maximaal 10 verschillende document-id's.",
    "sign_needs_one_pdf": "Voor ondertekenen hoort er precies één PDF bij het bericht.",
    "deadline_not_for_information": "Een bericht ter informatie heeft geen deadline.",
    "invalid_date": "Geef een datum als JJJJ-MM-DD.",
    "deadline_in_past": "De deadline moet vandaag of later zijn.",
    "document_not_uploaded": "Het document '{filename}' is nog niet gereed.",
    "invalid_status": "Onbekende status.",
    "reply_not_asked": "Op dit bericht wordt geen antwoord gevraagd.",
    "approval_not_asked": "Bij dit bericht wordt geen akkoord gevraagd.",
    "invalid_idempotency_key": "De Idempotency-Key moet 1 tot 255 tekens zijn.",
    "request_in_progress": "Hetzelfde verzoek wordt nog verwerkt.",
    "invalid_moment": "Geef een tijdstip als RFC 3339 in UTC, bijvoorbeeld 2026-12-01T09:30:00Z.",
    "code_format": "De code bestaat uit 6 cijfers.",
    "no_code": "Er is geen geldige code. Vraag een nieuwe code aan.",
    "code_expired": "De code is verlopen. Vraag een nieuwe code aan.",
    "wrong_code": "De code is onjuist. U heeft nog {attempts_left} poging(en).",
    "code_race": "De code kon niet worden gecontroleerd. Probeer het opnieuw.",
    "code_locked": "Te veel onjuiste codes: deze code is ongeldig gemaakt. Vraag een nieuwe code aan.",
    "too_many_codes": "U heeft te veel codes aangevraagd. Probeer het over {retry_after} seconden opnieuw.",
    "too_many_sms_for_phone": "Er zijn vandaag te veel sms-berichten naar dit nummer gestuurd. Probeer het morgen opnieuw.",
    "phone_country_not_allowed": "Naar dit telefoonnummer kunnen wij geen sms sturen. Neem contact op met uw adviseur.",
    "document_changed": "Het document is gewijzigd sinds het werd verstuurd en kan niet worden ondertekend.",
    "not_signed_yet": "Dit verzoek is (nog) niet ondertekend.",
    "receipt_unreadable": "De transactiebon kan niet worden gelezen.",
    "signature_not_png": "De handtekening moet een PNG-afbeelding zijn.",
    "signature_too_large": "De handtekening is groter dan 512 KiB.",
    "signature_dimensions": "De afmetingen van de handtekening zijn niet geldig.",
    "signature_blank": "De handtekening is leeg. Teken uw handtekening in het vak.",
}

_EN: dict[str, str] = {
    "validation_error": "The input is not valid.",
    "invalid_credentials": "Email address or password is incorrect.",
    "unauthenticated": "You are not logged in or your session has expired.",
    "forbidden": "You do not have access to this part.",
    "feature_not_enabled": "Digital signing is not enabled for your firm.",
    "not_found": "Not found.",
    "conflict": "This is not possible in the current state.",
    "otp_required": "Confirm with the SMS code before signing.",
    "already_signed": "This document has already been signed.",
    "not_open": "This request is not open (any more).",
    "payload_too_large": "The file is too large.",
    "unsupported_media_type": "This file type is not supported.",
    "phone_required": "Signing needs the client's mobile number (for the SMS code).",
    "invalid_code": "The code is incorrect or has expired.",
    "idempotency_key_reused": "This Idempotency-Key was already used for a different request.",
    "document_not_ready": "The document has not been uploaded (correctly) yet.",
    "invalid_signature_image": "The signature could not be read.",
    "rate_limited": "Too many requests. Please try again later.",
    "otp_locked": "Too many wrong codes. Request a new code.",
    "service_unavailable": "A service we depend on is not responding. Please try again shortly.",
    "internal_error": "Something went wrong on our side.",
    "required": "This field is required.",
    "not_a_string": "Enter text here.",
    "too_long": "At most {max} characters.",
    "invalid_json": "The body is not valid JSON.",
    "invalid_email": "Enter a valid email address.",
    "invalid_phone": "Enter a valid phone number, for example +31 6 12345678.",
    "invalid_language": "Choose 'nl' or 'en'.",
    "email_taken": "A client with this email address already exists.",
    "weak_password": "The password does not meet the policy: at least 12 characters, with an upper-case letter, a lower-case letter, a digit and a symbol.",
    "invalid_token": "This activation link is invalid, already used or expired.",
    "invalid_limit": "Choose a number from 1 to 200.",
    "invalid_cursor": "This cursor is not valid.",
    "missing_token": "No valid token was sent.",
    "client_role_only": "Only clients have access to the portal.",
    "advisor_role_only": "Only advisors have access to this part.",
    "unknown_feature": "Unknown feature: {names}.",
    "invalid_size": "Give the size as a positive number of bytes.",
    "invalid_filename": "A file name may not contain / or \\.",
    "file_too_large": "The file is larger than {max_mib} MiB.",
    "type_not_allowed": "Only PDF, PNG, JPEG, DOCX and XLSX are allowed.",
    "document_missing": "The file has not arrived in storage.",
    "document_size_mismatch": "The file is {actual} bytes instead of the declared {declared}.",
    "document_type_mismatch": "The file's content does not match its declared type.",
    "invalid_response_type": "Choose a response type: none, reply, approve or sign.",
    "invalid_document_ids": "Give a list of at most 10 different document ids.",
    "sign_needs_one_pdf": "Signing needs exactly one PDF attached to the message.",
    "deadline_not_for_information": "An information-only message has no deadline.",
    "invalid_date": "Give a date as YYYY-MM-DD.",
    "deadline_in_past": "The deadline must be today or later.",
    "document_not_uploaded": "The document '{filename}' is not ready yet.",
    "invalid_status": "Unknown status.",
    "reply_not_asked": "This message does not ask for a reply.",
    "approval_not_asked": "This message does not ask for approval.",
    "invalid_idempotency_key": "The Idempotency-Key must be 1 to 255 characters.",
    "request_in_progress": "The same request is still being processed.",
    "invalid_moment": "Give a moment as RFC 3339 in UTC, for example 2026-12-01T09:30:00Z.",
    "code_format": "The code consists of 6 digits.",
    "no_code": "There is no valid code. Request a new code.",
    "code_expired": "The code has expired. Request a new code.",
    "wrong_code": "The code is incorrect. You have {attempts_left} attempt(s) left.",
    "code_race": "The code could not be checked. Please try again.",
    "code_locked": "Too many wrong codes: this code has been invalidated. Request a new code.",
    "too_many_codes": "You have requested too many codes. Try again in {retry_after} seconds.",
    "too_many_sms_for_phone": "Too many text messages were sent to this number today. Try again tomorrow.",
    "phone_country_not_allowed": "We cannot send a text message to this phone number. Contact your advisor.",
    "document_changed": "The document has changed since it was sent and cannot be signed.",
    "not_signed_yet": "This request has not been signed (yet).",
    "receipt_unreadable": "The transaction receipt cannot be read.",
    "signature_not_png": "The signature must be a PNG image.",
    "signature_too_large": "The signature is larger than 512 KiB.",
    "signature_dimensions": "The signature's dimensions are not valid.",
    "signature_blank": "The signature is empty. Draw your signature in the box.",
}

CATALOG: dict[str, dict[str, str]] = {"nl": _NL, "en": _EN}


def text(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The sentence for `key` in `language`, falling back to Dutch and then to the key itself."""
    catalog = CATALOG.get(language, _NL)
    template = catalog.get(key) or _NL.get(key) or key
    return template.format_map(_Missing(params)) if "{" in template else template


class _Missing(dict[str, object]):
    """Leaves an unknown placeholder visible instead of failing the whole answer."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def pick_language(accept_language: str | None) -> str:
    """The first supported language in an Accept-Language header; Dutch by default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
