"""The PDF certificate ("transactiebon"): the sealed receipt as a page a person can read, the document attached.

`render_certificate` lays out what was signed, by whom, when, where and how, the signature, the audit trail,
the seal and how to check it all without this service, and embeds the original document byte for byte.
The result is unsigned: `pdf_seal.seal_pdf` seals it (PAdES). fpdf2 is imported here only, and this module
only by the route that serves the certificate.

The same content renders to the same bytes (the creation date is part of the content), so tests and
caches can compare PDFs.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from chalicelib.clock import AMSTERDAM, parse_iso
from chalicelib.signing.certificate_texts import ACTORS, EVENT_REASONS, EVENTS, LANGUAGES, MONTHS, TEXTS, THOUSANDS

FONTS = Path(__file__).with_name("fonts")
SANS, MONO = "DejaVuSans", "DejaVuSansMono"
MARGIN = 18  # mm
LABEL_WIDTH = 58  # mm, of the 174 between the margins
INK, MUTED, RULE = (20, 24, 40), (95, 100, 115), (200, 204, 212)
SIGNATURE_WIDTH = 70  # mm
CREATOR = "Digitaal ondertekenen (transactiebon)"
HASH_PREFIX = 16  # hex characters of each audit event's hash on the page; the bundle has them whole


@dataclass(frozen=True)
class CertificateTimestamp:
    """The time-stamping authority's time for the seal: its token's genTime, and who the authority is."""

    gen_time: datetime
    tsa: str

    @classmethod
    def from_api(cls, stamp: Mapping[str, Any] | None) -> CertificateTimestamp | None:
        """From the evidence bundle's `timestamp` ({"gen_time", "tsa", ...}), or None while pending."""
        return None if stamp is None else cls(gen_time=parse_iso(stamp["gen_time"]), tsa=str(stamp["tsa"]))


@dataclass(frozen=True)
class CertificateContent:
    """Everything the certificate shows, as the evidence bundle holds it.

    `receipt` is the sealed receipt (`receipts.build_receipt`), `seal` its {algorithm, key_id, digest,
    signature}, `audit_events` the events as `AuditEvent.to_api` gives them. `timestamp` is None while the
    authority's time stamp is pending. `created_at` becomes the PDF's creation date (the signing time when
    unset); `keys_url` is printed where the text points readers to GET /keys.
    """

    firm: str
    receipt: Mapping[str, Any]
    seal: Mapping[str, Any]
    signature_method: str
    timestamp: CertificateTimestamp | None
    audit_events: Sequence[Mapping[str, Any]]
    signature_png: bytes
    document: bytes
    document_filename: str
    language: str = "nl"
    keys_url: str | None = None
    created_at: datetime | None = None
    # Every signer of the message, in order ({"name", "signed_at"}), once all have signed; empty for one signer.
    signers: Sequence[Mapping[str, Any]] = ()

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"no certificate texts in {self.language!r}")
        if self.signature_method not in {"drawn", "typed"}:
            raise ValueError(f"unknown signature method {self.signature_method!r}")
        if not self.signature_png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("the signature image is not a PNG")


def render_certificate(content: CertificateContent) -> bytes:
    """The certificate as an unsigned PDF (A4) with the original document attached under its own name."""
    page = _Page(content)
    page.header()
    page.what_who_when_where()
    page.how()
    page.audit_trail()
    page.seal_and_verification()
    return page.output()


class _Certificate(FPDF):
    footer_text = ""  # the footer's template, with the receipt code: {page} and {pages} are filled in here

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(SANS, size=7)
        self.set_text_color(*MUTED)
        # fpdf2 puts the page count where "{nb}" stands, once the last page is known.
        self.cell(0, 5, self.footer_text.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}"), align="C")


class _Page:
    """One certificate being laid out: the document, its language and its fonts."""

    def __init__(self, content: CertificateContent) -> None:
        self.c = content
        self.t = TEXTS[content.language]
        self.lang = content.language
        self.receipt = content.receipt
        pdf = _Certificate(format="A4", unit="mm")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(auto=True, margin=MARGIN)
        pdf.add_font(SANS, "", FONTS / "DejaVuSans.ttf")
        pdf.add_font(SANS, "B", FONTS / "DejaVuSans-Bold.ttf")
        pdf.add_font(MONO, "", FONTS / "DejaVuSansMono.ttf")
        pdf.footer_text = self.t["footer"].replace("{code}", self.receipt["receipt_code"])
        signed_at = parse_iso(self.receipt["signed_at"])
        pdf.set_creation_date(content.created_at or signed_at)
        pdf.set_lang("nl-NL" if self.lang == "nl" else "en-GB")
        pdf.set_title(f"{self.t['title']} {self.receipt['receipt_code']}")
        pdf.set_subject(self.t["pdf_subject"].format(filename=content.document_filename))
        pdf.set_author(content.firm)
        pdf.set_creator(CREATOR)
        pdf.add_page()
        self.pdf = pdf

    def output(self) -> bytes:
        self.pdf.embed_file(bytes=self.c.document, basename=self.c.document_filename,
                            mime_type=self.receipt["document"].get("content_type") or "application/pdf",
                            desc=self.t["attachment"], compress=True)
        return bytes(self.pdf.output())

    # --- the parts -----------------------------------------------------------------------------

    def header(self) -> None:
        pdf, t = self.pdf, self.t
        pdf.set_text_color(*INK)
        pdf.set_font(SANS, "B", 20)
        pdf.cell(0, 10, t["title"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(SANS, size=11)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 6, t["subtitle"], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        self.paragraph(t["intro"].format(firm=self.c.firm))
        self.rows([(t["firm"], self.c.firm, False), (t["receipt_code"], self.receipt["receipt_code"], False),
                   (t["request"], self.receipt["signing_request_id"], True)])

    def what_who_when_where(self) -> None:
        t, r = self.t, self.receipt
        document, signer = r["document"], r["signer"]
        self.section(t["what"])
        self.rows([(t["file"], document["filename"], False),
                   (t["size"], t["size_value"].format(size=f"{document['size']:,}".replace(",", THOUSANDS[self.lang])),
                    False),
                   (t["sha256"], document["sha256"], True),
                   (t["attachment"], self.c.document_filename, False)])
        self.section(t["who"])
        self.rows([(t["name"], signer["name"], False),
                   (t["phone"], t["phone_value"].format(phone=signer.get("phone_hint") or "\u2014"), False),
                   (t["client"], signer["client_id"], True)])
        if self.c.signers:
            envelope = r.get("envelope") or {}
            self.rows([(t["signers"], "\n".join(
                t["signer_value"].format(position=n, name=s.get("name") or "\u2014",
                                         time=self.local_time_of(s.get("signed_at")))
                for n, s in enumerate(self.c.signers, start=1)), False),
                (t["signers_order"], t[f"order_{envelope.get('signing_order', 'parallel')}"], False)])
        self.section(t["when"])
        signed_at = parse_iso(r["signed_at"])
        stamp = self.c.timestamp
        self.rows([(t["time_local"], self.local_time(signed_at), False),
                   (t["time_utc"], signed_at.strftime("%Y-%m-%d %H:%M:%S.") + f"{signed_at.microsecond // 1000:03d} UTC", False),
                   (t["time_tsa"], t["time_tsa_pending"] if stamp is None else
                    t["time_tsa_value"].format(time=self.local_time(stamp.gen_time), tsa=stamp.tsa), False)])
        self.section(t["where"])
        rows = [(t["place"], r.get("place") or t["place_unknown"], False)]
        prefilled = r.get("place_prefilled")
        if prefilled and prefilled != r.get("place"):
            rows.append((t["place_prefilled"], t["place_prefilled_value"].format(place=prefilled), False))
        self.rows(rows)

    def how(self) -> None:
        t, otp = self.t, self.receipt.get("otp") or {}
        self.section(t["how"])
        confirmation = t["confirmation_value"].format(
            phone=otp.get("phone_hint") or "\u2014", sent=self.local_time_of(otp.get("sent_at")),
            verified=self.local_time_of(otp.get("verified_at")))
        self.rows([(t["confirmation"], confirmation, False), (t["method"], t[f"method_{self.c.signature_method}"], False),
                   (t["signature_sha256"], self.receipt["signature_image_sha256"], True)])
        pdf = self.pdf
        width, height = struct.unpack(">II", self.c.signature_png[16:24])  # the PNG's IHDR
        box = SIGNATURE_WIDTH * height / max(width, 1) + 4
        pdf.ln(2)
        if pdf.will_page_break(5 + box):  # the caption stays with the image
            pdf.add_page()
        pdf.set_font(SANS, size=8)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, t["signature_image"], new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y()
        pdf.image(io.BytesIO(self.c.signature_png), x=MARGIN + 2, y=top + 2, w=SIGNATURE_WIDTH)
        pdf.set_draw_color(*RULE)
        pdf.rect(MARGIN, top, SIGNATURE_WIDTH + 4, box)
        pdf.set_y(top + box + 2)

    def audit_trail(self) -> None:
        t, pdf = self.t, self.pdf
        self.section(t["audit"])
        self.paragraph(t["audit_intro"])
        mono = FontFace(family=MONO, size_pt=6.5, color=INK)
        with pdf.table(col_widths=(9, 33, 48, 52, 32), borders_layout="HORIZONTAL_LINES", text_align="LEFT",
                       v_align="TOP", line_height=3.8, padding=1,
                       headings_style=FontFace(family=SANS, emphasis="BOLD", size_pt=7.5)) as table:
            table.row([t["audit_seq"], t["audit_at"], t["audit_type"], t["audit_actor"], t["audit_hash"]])
            pdf.set_font(SANS, size=7.5)
            for event in self.c.audit_events:
                role, _, who = str(event.get("actor", "")).partition(":")
                row = table.row()
                row.cell(str(event["seq"]))
                row.cell(parse_iso(str(event["at"])).astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M:%S"))
                row.cell(self.event_label(event))
                row.cell(ACTORS[self.lang].get(role, role) + (f"\n{who}" if who else ""))
                row.cell(str(event["hash"])[:HASH_PREFIX] + "\u2026", style=mono)

    def seal_and_verification(self) -> None:
        t, seal, head = self.t, self.c.seal, self.receipt.get("audit_chain_head") or {}
        self.section(t["seal"])
        self.rows([(t["seal_algorithm"], seal["algorithm"], False), (t["seal_key"], seal["key_id"], True),
                   (t["seal_digest"], seal["digest"], True),
                   (t["seal_chain_head"], t["seal_chain_head_value"].format(seq=head.get("seq"), hash=head.get("hash")),
                    True)])
        self.paragraph(t["seal_pdf"])
        self.section(t["verify"])
        filename, url = self.c.document_filename, self.c.keys_url
        for key, fields in (("verify_reader", {}), ("verify_document", {"filename": filename}),
                            ("verify_bundle", {"firm": self.c.firm, "filename": filename}),
                            ("verify_keys", {"key_id": seal["key_id"],
                                             "url": t["verify_keys_url"].format(url=url) if url else ""})):
            self.paragraph("\u2022 " + t[key].format(**fields))

    # --- building blocks -----------------------------------------------------------------------

    def section(self, title: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(22):  # a heading never ends a page alone
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(SANS, "B", 12)
        pdf.set_text_color(*INK)
        pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(1.5)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(SANS, size=8.5)
        self.pdf.set_text_color(*INK)
        self.pdf.multi_cell(0, 4.4, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def rows(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Label and value pairs; a value marked True is a code or hash, set in the monospaced font."""
        pdf = self.pdf
        label = FontFace(family=SANS, size_pt=8.5, color=MUTED)
        mono = FontFace(family=MONO, size_pt=8, color=INK)
        pdf.set_font(SANS, size=8.5)
        pdf.set_text_color(*INK)
        width = pdf.w - 2 * MARGIN
        with pdf.table(col_widths=(LABEL_WIDTH, width - LABEL_WIDTH), borders_layout="NONE", text_align="LEFT",
                       v_align="TOP", first_row_as_headings=False, line_height=4.4, padding=(0.6, 1, 0.6, 0)) as table:
            for name, value, code in rows:
                row = table.row()
                row.cell(name, style=label)
                row.cell(value, style=mono if code else None)

    def local_time(self, moment: datetime) -> str:
        """'1 december 2026 om 11:00:00 (UTC+01:00)': Amsterdam's wall clock and its offset."""
        local = moment.astimezone(AMSTERDAM)
        offset = local.strftime("%z")
        text = self.t["datetime"].format(day=local.day, month=MONTHS[self.lang][local.month - 1], year=local.year,
                                         time=local.strftime("%H:%M:%S"))
        return f"{text} ({self.t['offset'].format(offset=offset[:3] + ':' + offset[3:])})"

    def local_time_of(self, value: str | None) -> str:
        return "\u2014" if not value else self.local_time(parse_iso(value))

    def event_label(self, event: Mapping[str, Any]) -> str:
        reason = (event.get("data") or {}).get("reason")
        labels = EVENT_REASONS[self.lang]
        if isinstance(reason, str) and reason in labels:
            return labels[reason]
        return EVENTS[self.lang].get(str(event["type"]), str(event["type"]))
