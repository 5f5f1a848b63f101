"""Every sentence a person reads in an API answer, per language (Dutch first).

The titles of the error codes come from their table (chalicelib/errors.py, `CODES`); what is
kept here are the field and detail messages, by message key.
"""

from __future__ import annotations

import re

from chalicelib.errors import CODES

DEFAULT_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")

# Field and detail messages; a key is never also an error code (the code's title would be lost).
_NL: dict[str, str] = {
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
    "json_too_deep": "De JSON is dieper genest dan {max} niveaus.",
    "invalid_characters": "Deze tekst bevat tekens die geen geldige Unicode zijn.",
    "control_characters": "Dit veld mag geen regeleinden of andere besturingstekens bevatten.",
    "control_characters_multiline": "Dit veld mag geen besturingstekens bevatten, behalve regeleinden en tabs.",
    "invisible_characters": "Dit veld mag geen onzichtbare tekens bevatten, zoals tekens met een breedte van nul of die de schrijfrichting omkeren.",
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
    "pdf_unreadable": "Het bestand kan niet als PDF worden gelezen.",
    "pdf_encrypted": "De PDF is versleuteld of met een wachtwoord beveiligd. Upload een onbeveiligde versie.",
    "pdf_no_pages": "De PDF heeft geen pagina's.",
    "pdf_javascript": "De PDF bevat JavaScript. Upload een versie zonder scripts.",
    "pdf_launch_action": "De PDF bevat een actie die een ander programma of bestand opent. Upload een versie zonder zulke acties.",
    "pdf_too_complex": "De PDF bestaat uit te veel onderdelen om te kunnen controleren.",
    "office_unreadable": "Het bestand kan niet als {kind}-bestand worden gelezen.",
    "office_too_large": "Het bestand bevat te veel onderdelen of is uitgepakt te groot.",
    "office_wrong_kind": "Het bestand is volgens zijn inhoud geen {kind}-bestand.",
    "invalid_response_type": "Kies een soort reactie: none, reply, approve of sign.",
    "invalid_document_ids": "Geef een lijst van maximaal 10 verschillende document-id's.",
    "sign_needs_one_pdf": "Voor ondertekenen hoort er precies één PDF bij het bericht.",
    "invalid_recipients": "Kies 1 tot {maximum} cliënten voor de bulkverzending.",
    "webhook_url_invalid": "Geef een volledige URL, zonder gebruikersnaam of wachtwoord erin.",
    "webhook_url_https": "Een webhook gaat alleen naar een https://-adres.",
    "webhook_url_private": "Dit adres wijst naar een intern of lokaal netwerk; een webhook gaat alleen naar een publiek adres.",
    "webhook_url_unresolvable": "De naam in deze URL is niet te vinden.",
    "webhook_events_invalid": "Kies een of meer gebeurtenissen, elk één keer, uit: {options}.",
    "webhook_endpoints_full": "Dit kantoor heeft al {maximum} webhooks; verwijder er eerst een.",
    "webhook_disabled": "Deze webhook is uitgeschakeld omdat leveringen drie dagen lang mislukten.",
    "webhook_rotated_meanwhile": "Het geheim van deze webhook werd zojuist al vernieuwd; vernieuw het zo nodig opnieuw.",
    "invalid_recipient": "Geef per ontvanger een cliënt-id, en elke cliënt maar één keer.",
    "bulk_reminded_recently": "Deze bulkverzending kreeg in de afgelopen 24 uur al een herinnering.",
    "bulk_send_withdrawn": "De bulkverzending is ingetrokken voordat dit bericht verstuurd werd.",
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
    "wrong_code": "De code is onjuist. U heeft nog {attempts_left} {attempts_left:poging|pogingen}.",
    "code_race": "De code kon niet worden gecontroleerd. Probeer het opnieuw.",
    "code_locked": "Te veel onjuiste codes: deze code is ongeldig gemaakt. Vraag een nieuwe code aan.",
    "too_many_codes": "U heeft te veel codes aangevraagd. Probeer het over {retry_after} seconden opnieuw.",
    "too_many_sms_for_phone": "Er zijn vandaag te veel sms-berichten naar dit nummer gestuurd. Probeer het morgen opnieuw.",
    "phone_cannot_receive_codes": "Naar dit telefoonnummer kunnen wij geen sms sturen. Neem contact op met uw adviseur.",
    "not_your_firm": "U heeft geen toegang tot dit kantoor.",
    "invalid_sms_budget": "Geef een dagbudget van 0 tot en met {max} sms-berichten.",
    "too_many_logins": "Te veel mislukte inlogpogingen met dit e-mailadres. Probeer het over {retry_after} seconden opnieuw.",
    "too_many_invitations": "Deze klant heeft vandaag al drie uitnodigingen gekregen. Probeer het morgen opnieuw.",
    "already_active": "Deze klant heeft al toegang tot het portaal.",
    "login_exists": "Dit e-mailadres heeft al een account. Log in met uw eigen wachtwoord en accepteer daarna de uitnodiging.",
    "already_a_member": "U bent al verbonden met dit kantoor.",
    "invitation_for_another": "Deze uitnodiging is voor een ander e-mailadres.",
    "phone_not_mobile": "Voor ondertekenen is een mobiel nummer nodig; een vast nummer of een 0800-, 0900- of 088-nummer kan geen sms-code ontvangen.",
    "co_signer_phone_required": "{name} heeft geen mobiel nummer waarop de sms-code kan aankomen. Vul het nummer aan op de cliëntkaart.",
    "invalid_co_signers": "Kies maximaal {maximum} andere cliënten van het kantoor als medeondertekenaar, elk één keer.",
    "co_signers_only_for_signing": "Medeondertekenaars horen alleen bij 'bestand laten ondertekenen'.",
    "invalid_signing_order": "Kies de volgorde: tegelijk (parallel) of op volgorde (sequential).",
    "invalid_signature_method": "Kies hoe u tekent: tekenen (drawn) of uw naam typen (typed).",
    "invalid_boolean": "Geef true of false.",
    "too_many_sms_for_client": "Er zijn vandaag al te veel sms-codes naar u gestuurd. Probeer het morgen opnieuw.",
    "sms_budget_exhausted": "Het kantoor kan vandaag geen sms-codes meer versturen. Probeer het morgen opnieuw of neem contact op met uw adviseur.",
    "code_void_phone_changed": "Uw telefoonnummer is gewijzigd, daardoor is deze code ongeldig. Vraag een nieuwe code aan.",
    "document_changed": "Het document is gewijzigd sinds het werd verstuurd en kan niet worden ondertekend.",
    "not_signed_yet": "Dit verzoek is (nog) niet ondertekend.",
    "receipt_unreadable": "De transactiebon kan niet worden gelezen.",
    "signature_not_png": "De handtekening moet een PNG-afbeelding zijn.",
    "signature_too_large": "De handtekening is groter dan 512 KiB.",
    "signature_dimensions": "De afmetingen van de handtekening zijn niet geldig.",
    "signature_blank": "De handtekening is leeg. Teken uw handtekening in het vak.",
    "signature_corrupt": "De PNG-afbeelding van de handtekening is beschadigd.",
    "signature_animated": "De handtekening moet een stilstaande afbeelding zijn, geen animatie.",
    "signature_trailing_data": "Na het einde van de PNG-afbeelding staan nog gegevens.",
}

_EN: dict[str, str] = {
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
    "json_too_deep": "The JSON is nested deeper than {max} levels.",
    "invalid_characters": "This text holds characters that are not valid Unicode.",
    "control_characters": "This field may not hold line breaks or other control characters.",
    "control_characters_multiline": "This field may not hold control characters, except line breaks and tabs.",
    "invisible_characters": "This field may not hold invisible characters, such as zero-width characters or ones that reverse the writing direction.",
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
    "pdf_unreadable": "The file cannot be read as a PDF.",
    "pdf_encrypted": "The PDF is encrypted or password-protected. Upload an unprotected version.",
    "pdf_no_pages": "The PDF has no pages.",
    "pdf_javascript": "The PDF contains JavaScript. Upload a version without scripts.",
    "pdf_launch_action": "The PDF contains an action that opens another program or file. Upload a version without such actions.",
    "pdf_too_complex": "The PDF consists of too many parts to be checked.",
    "office_unreadable": "The file cannot be read as a {kind} file.",
    "office_too_large": "The file holds too many parts or is too large when unpacked.",
    "office_wrong_kind": "By its content, the file is not a {kind} file.",
    "invalid_response_type": "Choose a response type: none, reply, approve or sign.",
    "invalid_document_ids": "Give a list of at most 10 different document ids.",
    "sign_needs_one_pdf": "Signing needs exactly one PDF attached to the message.",
    "invalid_recipients": "Choose 1 to {maximum} clients for the bulk send.",
    "webhook_url_invalid": "Give a complete URL, without a user name or password in it.",
    "webhook_url_https": "A webhook only goes to an https:// address.",
    "webhook_url_private": "This address points into an internal or local network; a webhook only goes to a public address.",
    "webhook_url_unresolvable": "The name in this URL cannot be found.",
    "webhook_events_invalid": "Choose one or more events, each once, from: {options}.",
    "webhook_endpoints_full": "This firm already has {maximum} webhooks; delete one first.",
    "webhook_disabled": "This webhook was switched off because its deliveries failed for three days.",
    "webhook_rotated_meanwhile": "This webhook's secret was renewed a moment ago; renew it again if you need to.",
    "invalid_recipient": "Give a client id for each recipient, and each client only once.",
    "bulk_reminded_recently": "This bulk send already had a reminder in the last 24 hours.",
    "bulk_send_withdrawn": "The bulk send was withdrawn before this message was sent.",
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
    "wrong_code": "The code is incorrect. You have {attempts_left} {attempts_left:attempt|attempts} left.",
    "code_race": "The code could not be checked. Please try again.",
    "code_locked": "Too many wrong codes: this code has been invalidated. Request a new code.",
    "too_many_codes": "You have requested too many codes. Try again in {retry_after} seconds.",
    "too_many_sms_for_phone": "Too many text messages were sent to this number today. Try again tomorrow.",
    "phone_cannot_receive_codes": "We cannot send a text message to this phone number. Contact your advisor.",
    "not_your_firm": "You do not have access to this firm.",
    "invalid_sms_budget": "Give a daily budget of 0 to {max} text messages.",
    "too_many_logins": "Too many failed logins with this email address. Try again in {retry_after} seconds.",
    "too_many_invitations": "This client has already received three invitations today. Try again tomorrow.",
    "already_active": "This client already has access to the portal.",
    "login_exists": "This email address already has an account. Log in with your own password, then accept the invitation.",
    "already_a_member": "You are already connected to this firm.",
    "invitation_for_another": "This invitation is for another email address.",
    "phone_not_mobile": "Signing needs a mobile number; a landline or an 0800, 0900 or 088 number cannot receive an SMS code.",
    "co_signer_phone_required": "{name} has no mobile number that can receive the SMS code. Add it on the client card.",
    "invalid_co_signers": "Choose at most {maximum} other clients of the firm as co-signers, each once.",
    "co_signers_only_for_signing": "Co-signers only go with 'have a file signed'.",
    "invalid_signing_order": "Choose the order: at the same time (parallel) or in order (sequential).",
    "invalid_signature_method": "Choose how you sign: draw (drawn) or type your name (typed).",
    "invalid_boolean": "Give true or false.",
    "too_many_sms_for_client": "Too many SMS codes were sent to you today. Try again tomorrow.",
    "sms_budget_exhausted": "The firm cannot send any more SMS codes today. Try again tomorrow or contact your advisor.",
    "code_void_phone_changed": "Your phone number has changed, so this code is no longer valid. Request a new code.",
    "document_changed": "The document has changed since it was sent and cannot be signed.",
    "not_signed_yet": "This request has not been signed (yet).",
    "receipt_unreadable": "The transaction receipt cannot be read.",
    "signature_not_png": "The signature must be a PNG image.",
    "signature_too_large": "The signature is larger than 512 KiB.",
    "signature_dimensions": "The signature's dimensions are not valid.",
    "signature_blank": "The signature is empty. Draw your signature in the box.",
    "signature_corrupt": "The signature's PNG image is damaged.",
    "signature_animated": "The signature must be a still image, not an animation.",
    "signature_trailing_data": "There is data after the end of the PNG image.",
}

CATALOG: dict[str, dict[str, str]] = {
    language: {**{code: getattr(entry, language) for code, entry in CODES.items()}, **messages}
    for language, messages in (("nl", _NL), ("en", _EN))
}


def text(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The sentence for `key` in `language`, falling back to Dutch and then to the key itself."""
    catalog = CATALOG.get(language, CATALOG[DEFAULT_LANGUAGE])
    template = catalog.get(key) or CATALOG[DEFAULT_LANGUAGE].get(key) or key
    if "|" in template:
        template = _PLURAL.sub(lambda m: m[2] if params.get(m[1]) == 1 else m[3], template)
    return template.format_map(_Missing(params)) if "{" in template else template


# "{n:poging|pogingen}": the noun that goes with the count `n`, the first form for exactly one and the
# second for any other number (Dutch and English have these two forms only).
_PLURAL = re.compile(r"\{(\w+):([^|{}]*)\|([^|{}]*)\}")


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
