"""Headers that must not be left to chance: the API's answers, the gateway's own, and e-mail's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api.routing import answer_headers
from chalicelib.config import load_settings
from chalicelib.errors import DependencyFailed
from chalicelib.notify.email import Mailer, header_text
from chalicelib.notify.templates import RenderedEmail

GATEWAY_RESPONSES = Path(__file__).resolve().parents[2] / "infra" / "gateway-responses.json"
ENVIRONMENT = {name: "x" for name in ("TABLE_NAME", "DOCUMENTS_BUCKET", "DATA_KEY_ID", "SEAL_KEY_ID", "USER_POOL_ID",
                                      "USER_POOL_CLIENT_ID", "SENDER_EMAIL", "PORTAL_URL", "OTP_SECRET_ID",
                                      "BULK_SEND_QUEUE_URL", "WEBHOOK_QUEUE_URL")}
HSTS = "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize(("stage", "hsts"), [("local", False), ("test", False), ("prod", True), ("acceptance", True)])
def test_every_answer_is_not_cached_nor_sniffed_and_deployed_stages_demand_https(stage, hsts):
    headers = answer_headers(load_settings({**ENVIRONMENT, "STAGE": stage}))
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers.get("Strict-Transport-Security") == (HSTS if hsts else None)


def test_each_deployed_gateway_response_carries_the_same_headers():
    responses = json.loads(GATEWAY_RESPONSES.read_text())["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for kind, response in responses.items():
        parameters = response["responseParameters"]
        assert parameters["gatewayresponse.header.Cache-Control"] == "'no-store'", kind
        assert parameters["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'", kind
        assert parameters["gatewayresponse.header.Strict-Transport-Security"] == f"'{HSTS}'", kind


class FakeSes:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.sent.append(request)
        return {"MessageId": "m-1"}


@pytest.mark.parametrize("subject", ["Jaarrekening\r\nBcc: iedereen@example.com", "Jaarrekening\nBcc: x", "A\rB",
                                     "A\x00B", "A\u2028B", "A\x85B", "  A \t B  "])
def test_the_mailer_never_sends_a_subject_of_more_than_one_line(subject):
    ses = FakeSes()
    Mailer(ses, "portaal@example.com").send("harry@demo.example", RenderedEmail(subject, "tekst", "<p>tekst</p>"))
    sent = ses.sent[0]["Message"]["Subject"]["Data"]
    assert not any(c in sent for c in "\r\n\x00\x85\u2028\t") and sent == " ".join(sent.split())
    assert sent.split(" ")[0] in ("Jaarrekening", "A")


def test_the_mailer_replaces_what_utf8_cannot_encode():
    ses = FakeSes()
    Mailer(ses, "portaal@example.com").send("harry@demo.example", RenderedEmail("Hoi\ud800", "a\udfff", "<p>\ud800</p>"))
    message = ses.sent[0]["Message"]
    for part in (message["Subject"]["Data"], message["Body"]["Text"]["Data"], message["Body"]["Html"]["Data"]):
        part.encode("utf-8")  # would raise for a lone surrogate
        assert "\ufffd" in part


@pytest.mark.parametrize("to", ["harry@demo.example\r\nBcc: x@example.com", "harry@demo.example, x@example.com",
                                "harry@demo.example\x00", "harry", "harry\ud800@demo.example", ""])
def test_the_mailer_refuses_anything_but_one_address(to):
    ses = FakeSes()
    with pytest.raises(DependencyFailed):
        Mailer(ses, "portaal@example.com").send(to, RenderedEmail("Hoi", "tekst", "<p>tekst</p>"))
    assert ses.sent == []


def test_header_text_keeps_a_plain_subject_as_it_is():
    assert header_text("Nieuw bericht van Demo Administratiekantoor: Jaarrekening 2025") == \
        "Nieuw bericht van Demo Administratiekantoor: Jaarrekening 2025"
