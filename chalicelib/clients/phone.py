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


def can_receive_codes(e164: str | None, allowed_country_codes: tuple[int, ...]) -> bool:
    """Whether a signing code may go to this number: a mobile number in an allowed country.

    Landlines, 0800/0900/088 numbers and other service numbers are refused: a code sent there
    reaches no phone in the signer's hand, and premium numbers would be a way to pump SMS.
    """
    if not e164:
        return False
    import phonenumbers

    number = phonenumbers.parse(e164)
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return number.country_code in allowed_country_codes and phonenumbers.number_type(number) in mobile


def country_code(e164: str) -> int:
    import phonenumbers

    return int(phonenumbers.parse(e164).country_code or 0)


def mask(e164: str) -> str:
    """What a person may see of a number: '+31612345678' → '+31 6 ****5678'."""
    import phonenumbers

    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    return f"+{number.country_code} {national[0]} ****{national[-4:]}"
