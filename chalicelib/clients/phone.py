"""Phone numbers: parsed by `phonenumbers`, Dutch by default, stored as E.164.

`phonenumbers` is imported on first use: its metadata costs ~30 ms, which no cold start of a
route that never touches a phone number should pay.
"""

from __future__ import annotations

DEFAULT_REGION = "NL"


def normalise(raw: str) -> str | None:
    """E.164 form of `raw` (e.g. '06 12345678' → '+31612345678'), or None when it is no valid number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_code(e164: str) -> int:
    import phonenumbers

    return int(phonenumbers.parse(e164).country_code or 0)


def mask(e164: str) -> str:
    """What a person may see of a number: '+31612345678' → '+31 6 ****5678'."""
    import phonenumbers

    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    return f"+{number.country_code} {national[0]} ****{national[-4:]}"
