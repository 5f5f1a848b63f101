"""The words of the PDF certificate ("transactiebon"), in Dutch and English: formal, plain, for non-programmers.

Placeholders are `str.format` fields. Lines that name a file or a command keep them literal, so a reader can
type them as printed.
"""

from __future__ import annotations

from chalicelib import clock

LANGUAGES = ("nl", "en")

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Transactiebon",
        "subtitle": "Bewijs van elektronische ondertekening",
        "intro": (
            "Deze transactiebon legt vast dat het hieronder genoemde document via het klantportaal van {firm} "
            "elektronisch is ondertekend. De gegevens zijn op het moment van ondertekenen met een digitaal zegel "
            "verzegeld. Het originele document zit als bijlage in dit PDF-bestand, precies zoals het is ondertekend."
        ),
        "firm": "Kantoor",
        "receipt_code": "Bonnummer",
        "request": "Ondertekenverzoek",
        # what
        "what": "Wat is ondertekend",
        "file": "Bestand",
        "size": "Grootte",
        "size_value": "{size} bytes",
        "sha256": "SHA-256 (vingerafdruk)",
        "attachment": "Bijlage in deze PDF",
        # who
        "who": "Door wie",
        "signers": "Alle ondertekenaars",
        "signer_value": "{position}. {name}, ondertekend {time}",
        "signers_order": "Volgorde",
        "order_parallel": "Tegelijk: ieder tekende voor zich",
        "order_sequential": "Op volgorde: ieder tekende na de vorige",
        "name": "Naam",
        "phone": "Mobiel nummer",
        "phone_value": "{phone} (gedeeltelijk verborgen)",
        "client": "Cliëntnummer",
        # when
        "when": "Wanneer",
        "time_local": "Tijdstip (Nederlandse tijd)",
        "time_utc": "Tijdstip (UTC)",
        "time_tsa": "Tijdstempel (onafhankelijke tijd)",
        "time_tsa_value": "{time}, afgegeven door {tsa}",
        "time_tsa_pending": (
            "In afwachting. De tijdstempelautoriteit had nog geen tijdstempel afgegeven toen deze transactiebon werd "
            "opgesteld; de tijden hierboven komen van de klok van onze dienst. Download de transactiebon later "
            "opnieuw voor een versie met de tijdstempel."
        ),
        "datetime": "{day} {month} {year} om {time}",
        "offset": "UTC{offset}",
        # where
        "where": "Waar",
        "place": "Plaats (opgegeven door de ondertekenaar)",
        "place_prefilled": "Vooraf ingevulde plaats",
        "place_prefilled_value": "{place} (door de ondertekenaar gewijzigd)",
        "place_unknown": "Niet opgegeven",
        # how
        "how": "Hoe",
        "confirmation": "Bevestiging",
        "confirmation_value": (
            "Met een sms-code van 6 cijfers, verstuurd naar {phone} op {sent} en juist ingevoerd op {verified}."
        ),
        "method": "Handtekening",
        "method_drawn": "Met de hand getekend op het scherm",
        "method_typed": "Getypte naam, weergegeven als handtekening",
        "signature_image": "De handtekening zoals geplaatst",
        "signature_sha256": "SHA-256 van de afbeelding",
        # audit
        "audit": "Audittrail",
        "audit_intro": (
            "Alle gebeurtenissen van dit ondertekenverzoek, in volgorde. Elke gebeurtenis bevat de hash van de "
            "vorige, en de hash van de laatste is in het zegel opgenomen: geen gebeurtenis kan ongemerkt zijn "
            "gewijzigd, weggelaten of toegevoegd."
        ),
        "audit_seq": "Nr.",
        "audit_at": "Tijdstip (Nederlandse tijd)",
        "audit_type": "Gebeurtenis",
        "audit_actor": "Door",
        "audit_hash": "Hash (begin)",
        # seal
        "seal": "Zegel",
        "seal_algorithm": "Algoritme",
        "seal_key": "Sleutel",
        "seal_digest": "Vingerafdruk van de bon (SHA-256 van de RFC 8785-vorm)",
        "seal_chain_head": "Laatste gebeurtenis in de audittrail",
        "seal_chain_head_value": "nr. {seq}, met hash\n{hash}",
        "seal_pdf": (
            "Deze PDF is bovendien als geheel verzegeld (PAdES) met een certificaat voor dezelfde zegelsleutel, "
            "met een tijdstempel van de tijdstempelautoriteit en de gegevens om het zegel te controleren."
        ),
        # verify
        "verify": "Zelf controleren, zonder ons",
        "verify_reader": (
            "In een PDF-lezer (bijvoorbeeld Adobe Acrobat Reader): open het paneel Handtekeningen. Het zegel toont "
            "wie deze transactiebon heeft verzegeld, wanneer (volgens de tijdstempelautoriteit) en dat er sindsdien "
            "niets aan is veranderd. Het originele document vindt u in het paneel Bijlagen."
        ),
        "verify_document": (
            "Het document: sla de bijlage op en bereken de SHA-256, bijvoorbeeld met "
            "certutil -hashfile \"{filename}\" SHA256 (Windows) of shasum -a 256 \"{filename}\" (macOS, Linux). "
            "De uitkomst moet gelijk zijn aan de SHA-256 onder \u201cWat is ondertekend\u201d."
        ),
        "verify_bundle": (
            "Het zegel van de bon: vraag {firm} om het bewijspakket (evidence.json) en voer uit: "
            "python tools/verify_evidence.py evidence.json \"{filename}\". Dat programma controleert met alleen "
            "openbare gegevens de vingerafdruk en het zegel van de bon, de tijdstempel, de audittrail en het document."
        ),
        "verify_keys": (
            "De openbare sleutels: GET /keys van de dienst{url} geeft elke zegelsleutel die ooit is gebruikt, ook "
            "vervangen sleutels, met de certificaatketens van het zegel en van de tijdstempelautoriteit. Het zegel "
            "van deze bon hoort bij sleutel {key_id}."
        ),
        "verify_keys_url": " ({url})",
        "footer": "Transactiebon {code} \u2014 pagina {page} van {pages}",
        "pdf_subject": "Bewijs van de ondertekening van {filename}",
    },
    "en": {
        "title": "Transaction receipt",
        "subtitle": "Evidence of electronic signing",
        "intro": (
            "This receipt records that the document named below was signed electronically through the client portal "
            "of {firm}. Its details were sealed with a digital seal at the moment of signing. The original document "
            "is attached to this PDF file, exactly as it was signed."
        ),
        "firm": "Firm",
        "receipt_code": "Receipt code",
        "request": "Signing request",
        "what": "What was signed",
        "file": "File",
        "size": "Size",
        "size_value": "{size} bytes",
        "sha256": "SHA-256 (fingerprint)",
        "attachment": "Attached to this PDF",
        "who": "Signed by",
        "signers": "All signers",
        "signer_value": "{position}. {name}, signed {time}",
        "signers_order": "Order",
        "order_parallel": "At the same time: each signed on their own",
        "order_sequential": "In order: each signed after the one before",
        "name": "Name",
        "phone": "Mobile number",
        "phone_value": "{phone} (partly hidden)",
        "client": "Client number",
        "when": "When",
        "time_local": "Time (Netherlands)",
        "time_utc": "Time (UTC)",
        "time_tsa": "Time stamp (independent time)",
        "time_tsa_value": "{time}, issued by {tsa}",
        "time_tsa_pending": (
            "Time stamp pending. The time-stamping authority had not yet issued a time stamp when this receipt was "
            "produced; the times above come from our service's clock. Please download the receipt again later for a "
            "version with the time stamp."
        ),
        "datetime": "{day} {month} {year} at {time}",
        "offset": "UTC{offset}",
        "where": "Where",
        "place": "Place (as given by the signer)",
        "place_prefilled": "Pre-filled place",
        "place_prefilled_value": "{place} (changed by the signer)",
        "place_unknown": "Not given",
        "how": "How",
        "confirmation": "Confirmation",
        "confirmation_value": "With a 6-digit SMS code, sent to {phone} on {sent} and entered correctly on {verified}.",
        "method": "Signature",
        "method_drawn": "Drawn by hand on screen",
        "method_typed": "Typed name, shown as a signature",
        "signature_image": "The signature as given",
        "signature_sha256": "SHA-256 of the image",
        "audit": "Audit trail",
        "audit_intro": (
            "Every event of this signing request, in order. Each event carries the hash of the one before it, and the "
            "hash of the last one is sealed in the receipt: no event can have been changed, left out or added "
            "unnoticed."
        ),
        "audit_seq": "No.",
        "audit_at": "Time (Netherlands)",
        "audit_type": "Event",
        "audit_actor": "By",
        "audit_hash": "Hash (start)",
        "seal": "Seal",
        "seal_algorithm": "Algorithm",
        "seal_key": "Key",
        "seal_digest": "Fingerprint of the receipt (SHA-256 of its RFC 8785 form)",
        "seal_chain_head": "Last event in the audit trail",
        "seal_chain_head_value": "no. {seq}, with hash\n{hash}",
        "seal_pdf": (
            "This PDF is also sealed as a whole (PAdES) with a certificate for the same seal key, with a time stamp "
            "from the time-stamping authority and the data needed to check the seal."
        ),
        "verify": "How to check this yourself, without us",
        "verify_reader": (
            "In a PDF reader (Adobe Acrobat Reader, for example): open the Signatures panel. The seal shows who sealed "
            "this receipt, when (according to the time-stamping authority) and that nothing in it has changed since. "
            "The original document is in the Attachments panel."
        ),
        "verify_document": (
            "The document: save the attachment and compute its SHA-256, for example with "
            "certutil -hashfile \"{filename}\" SHA256 (Windows) or shasum -a 256 \"{filename}\" (macOS, Linux). "
            "The result must equal the SHA-256 under \u201cWhat was signed\u201d."
        ),
        "verify_bundle": (
            "The receipt's seal: ask {firm} for the evidence bundle (evidence.json) and run: "
            "python tools/verify_evidence.py evidence.json \"{filename}\". Using public data only, it checks the "
            "receipt's fingerprint and seal, the time stamp, the audit trail and the document."
        ),
        "verify_keys": (
            "The public keys: GET /keys of the service{url} lists every seal key ever used, retired ones included, with "
            "the certificate chains of the seal and of the time-stamping authority. This receipt's seal belongs to "
            "key {key_id}."
        ),
        "verify_keys_url": " ({url})",
        "footer": "Transaction receipt {code} \u2014 page {page} of {pages}",
        "pdf_subject": "Evidence of the signing of {filename}",
    },
}

MONTHS = clock.MONTHS  # the month names of written dates, as the reminders write them too

# Thousands separator for sizes: 48.213 bytes, 48,213 bytes.
THOUSANDS = {"nl": ".", "en": ","}

EVENTS: dict[str, dict[str, str]] = {
    "nl": {
        "sent": "Verzoek verstuurd",
        "viewed": "Document bekeken",
        "code_sent": "Sms-code verstuurd",
        "code_failed": "Onjuiste sms-code ingevoerd",
        "code_locked": "Sms-code geblokkeerd (te veel pogingen)",
        "code_verified": "Sms-code bevestigd",
        "signed": "Ondertekend en verzegeld",
        "rejected": "Geweigerd",
        "withdrawn": "Ingetrokken",
        "reminder": "Herinnering verstuurd",
        "overdue": "Termijn verstreken",
        "turn": "Aan de beurt om te tekenen",
    },
    "en": {
        "sent": "Request sent",
        "viewed": "Document viewed",
        "code_sent": "SMS code sent",
        "code_failed": "Wrong SMS code entered",
        "code_locked": "SMS code blocked (too many attempts)",
        "code_verified": "SMS code confirmed",
        "signed": "Signed and sealed",
        "rejected": "Declined",
        "withdrawn": "Withdrawn",
        "reminder": "Reminder sent",
        "overdue": "Deadline passed",
        "turn": "Turn to sign",
    },
}

# An event whose data gives it another meaning than its type alone (a failed SMS is not a wrong code).
EVENT_REASONS: dict[str, dict[str, str]] = {
    "nl": {"sms_not_delivered": "Sms-code kon niet worden afgeleverd",
           "co_signer_rejected": "Een medeondertekenaar heeft geweigerd", "message_withdrawn": "Bericht ingetrokken"},
    "en": {"sms_not_delivered": "SMS code could not be delivered",
           "co_signer_rejected": "A co-signer declined", "message_withdrawn": "Message withdrawn"},
}

ACTORS: dict[str, dict[str, str]] = {
    "nl": {"client": "Cliënt", "advisor": "Adviseur", "system": "Systeem"},
    "en": {"client": "Client", "advisor": "Advisor", "system": "System"},
}
