"""Webhooks over HTTP, with a receiver on 127.0.0.1 started by the test: signed deliveries, retries, failing,
rotation, isolation, and events exactly when their change commits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib import aws
from chalicelib.clock import SystemClock, iso
from chalicelib.config import get_settings
from chalicelib.ids import new_id
from local.queue import QueuePoller
from tests.conftest import Api, activate_client, emails_to, random_mobile, sign_request, upload


class Receiver:
    """An integrator's endpoint: records every POST, answers with the next of `answers` (then the last)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers = [204]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if json.loads(r["body"])["type"] == event_type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


def deliver() -> None:
    """What the deployed stage does within the minute: new events fanned out, their first tries made."""
    from chalicelib.webhooks.delivery import dispatch

    dispatch(aws.ports())
    QueuePoller(aws.client("sqs"), get_settings().webhook_queue_url, "deliver_webhooks").drain()


def run(api: Api, after: timedelta) -> dict[str, int]:
    answer = api.post("/dev/webhooks/run", body={"at": iso(SystemClock().now() + after)})
    assert answer.status_code == 200, answer.body
    return dict(answer.json)


def endpoint(api: Api, firm: dict[str, Any], receiver: Receiver, events: list[str]) -> dict[str, Any]:
    answer = api.post("/advisor/webhooks", firm["token"], {"url": receiver.url, "events": events})
    assert answer.status_code == 201, answer.body
    assert answer.json["secret"].startswith("whsec_")
    return dict(answer.json)


def verified(request: dict[str, Any], secret: str) -> dict[str, Any]:
    """The delivery as a receiver checks it with a Standard Webhooks library and the secret."""
    return dict(Webhook(secret).verify(request["body"], request["headers"]))


def _signer(api: Api, firm: dict[str, Any], backend: Any) -> dict[str, Any]:
    client = api.post("/advisor/clients", firm["token"], {
        "name": "Wim Webhook", "email": f"wim-{new_id().lower()}@example.com", "phone": random_mobile()}).json
    return {**client, "token": activate_client(api, firm, backend, client)}


def test_a_signature_is_delivered_once_as_signing_signed_and_verifies_with_the_secret(
        api: Api, firm: dict[str, Any], backend: Any, receiver: Receiver):
    hook = endpoint(api, firm, receiver, ["signing.signed"])
    client = _signer(api, firm, backend)
    document = upload(api, firm["token"]).json["id"]
    message = api.post("/advisor/messages", firm["token"], {
        "client_id": client["id"], "subject": "Aangifte 2025 vertrouwelijk", "body": "Geheime inhoud",
        "response_type": "sign", "document_ids": [document]}).json
    request_id = message["signing"]["id"]
    assert sign_request(api, backend, client["token"], request_id, client["phone"]).status_code == 200
    deliver()
    deliver()  # a second round finds nothing new

    [delivery] = receiver.of_type("signing.signed")
    payload = verified(delivery, hook["secret"])
    assert payload["data"] == {"tenant_id": firm["tenant"].id, "message_id": message["id"],
                               "signing_request_id": request_id, "client_id": client["id"], "status": "signed"}
    assert delivery["headers"]["webhook-id"].startswith("evt_")
    for secret_text in ("Geheime inhoud", "vertrouwelijk", client["phone"], client["email"], "data:image"):
        assert secret_text not in delivery["body"]
    with pytest.raises(WebhookVerificationError):
        verified(delivery, "whsec_" + "A" * 43 + "=")  # another secret does not verify
    log = api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).json["items"]
    assert [(d["type"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("signing.signed", "delivered", 1, 204)]
    assert receiver.of_type("message.sent") == []  # not asked for


def test_a_receiver_that_fails_gets_the_same_event_again_and_after_the_last_try_the_firm_is_told(
        api: Api, firm: dict[str, Any], receiver: Receiver, backend: Any):
    receiver.answers = [500]
    hook = endpoint(api, firm, receiver, ["message.sent"])
    api.post("/advisor/clients", firm["token"], {"name": "Faal Ontvanger", "email": f"f-{new_id().lower()}@example.com"})
    client = api.get("/advisor/clients?q=Faal", firm["token"]).json["items"][0]
    api.post("/advisor/messages", firm["token"], {"client_id": client["id"], "subject": "Info", "body": "Zie portaal.",
                                                   "response_type": "none"})
    deliver()
    [first] = receiver.requests
    [pending] = api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).json["items"]
    assert (pending["status"], pending["attempts"], pending["last_status_code"]) == ("pending", 1, 500)
    assert pending["next_attempt_at"] is not None

    assert run(api, timedelta(seconds=6))["pending"] >= 1
    second = receiver.requests[1]
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert second["headers"]["webhook-timestamp"] >= first["headers"]["webhook-timestamp"]  # each try's own moment
    verified(second, hook["secret"])

    waited = timedelta(seconds=6)
    for wait in (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
                 timedelta(hours=10), timedelta(hours=14)):
        waited += wait + timedelta(seconds=5)
        run(api, waited)
    [failed] = api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).json["items"]
    assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == ("failed", 8, None)
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1 and len(receiver.requests) == 8
    notes = [n for n in api.get("/advisor/notifications", firm["token"]).json["items"] if n["type"] == "webhook_failing"]
    assert [n["webhook_id"] for n in notes] == [hook["id"]]
    assert [m for m in emails_to(backend, firm["advisor_email"]) if receiver.url in m["subject"]]
    run(api, waited + timedelta(days=1))
    assert len(receiver.requests) == 8  # failed is final


def test_during_a_rotation_each_delivery_verifies_with_the_old_secret_and_with_the_new(
        api: Api, firm: dict[str, Any], receiver: Receiver):
    hook = endpoint(api, firm, receiver, ["message.sent"])
    rotated = api.post(f"/advisor/webhooks/{hook['id']}/rotate-secret", firm["token"])
    assert rotated.status_code == 200 and rotated.json["secret"] != hook["secret"]
    test = api.post(f"/advisor/webhooks/{hook['id']}/test", firm["token"])
    assert test.status_code == 202
    deliver()
    [delivery] = receiver.of_type("webhook.test")
    assert delivery["headers"]["webhook-id"] == test.json["event_id"]
    assert len(delivery["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated.json["secret"]):
        verified(delivery, secret)
    assert "secret" not in json.dumps(api.get("/advisor/webhooks", firm["token"]).json)


def test_another_firms_advisor_gets_404_on_the_endpoint_and_its_log(api: Api, firm: dict[str, Any], receiver: Receiver,
                                                                   tokens: dict[str, str]):
    hook = endpoint(api, firm, receiver, ["message.sent"])
    other = tokens["basis_advisor"]
    for method, path in (("GET", f"/advisor/webhooks/{hook['id']}/deliveries"), ("DELETE", f"/advisor/webhooks/{hook['id']}"),
                         ("POST", f"/advisor/webhooks/{hook['id']}/rotate-secret"),
                         ("POST", f"/advisor/webhooks/{hook['id']}/test")):
        answer = api.call(method, path, other)
        assert (answer.status_code, answer.json["code"]) == (404, "not_found"), (method, path)
    assert hook["id"] not in json.dumps(api.get("/advisor/webhooks", other).json)
    assert api.call("DELETE", f"/advisor/webhooks/{hook['id']}", firm["token"]).status_code == 204
    assert api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://127.0.0.1/x", "events": ["message.sent"]}, "url"),
    ({"url": "http://user:pw@127.0.0.1/x", "events": ["message.sent"]}, "url"),
    ({"url": "http://127.0.0.1/x", "events": []}, "events"),
    ({"url": "http://127.0.0.1/x", "events": ["message.exploded"]}, "events"),
    ({"url": "http://127.0.0.1/x", "events": [{}, ["signing.signed"]]}, "events"),
    ({"url": "http://127.0.0.1/x", "events": "signing.signed"}, "events"),
])
def test_a_bad_endpoint_is_refused_and_nothing_is_stored(api: Api, firm: dict[str, Any], body: dict[str, Any],
                                                         field: str):
    answer = api.post("/advisor/webhooks", firm["token"], body)
    assert (answer.status_code, answer.json["code"]) == (400, "validation_error")
    assert [e["field"] for e in answer.json["errors"]] == [field]
    assert api.get("/advisor/webhooks", firm["token"]).json["items"] == []


def test_an_event_exists_exactly_when_its_change_committed_even_when_the_process_dies_right_after(
        api: Api, firm: dict[str, Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch):
    from chalicelib.errors import DependencyFailed
    from chalicelib.messaging import sending
    from chalicelib.store.transaction import Transition

    endpoint(api, firm, receiver, ["message.sent"])
    client = api.post("/advisor/clients", firm["token"], {"name": "Fout Tolerant",
                                                           "email": f"ft-{new_id().lower()}@example.com"}).json
    body = {"client_id": client["id"], "subject": "Info", "body": "-", "response_type": "none"}

    real_commit = Transition.commit

    def refused(self: Transition, token: str | None = None) -> None:
        raise DependencyFailed()

    monkeypatch.setattr(Transition, "commit", refused)
    assert api.post("/advisor/messages", firm["token"], body).status_code == 503  # nothing committed
    monkeypatch.setattr(Transition, "commit", real_commit)

    def died(*args: Any, **kwargs: Any) -> str:
        raise SystemExit("the function was stopped right after its commit")

    monkeypatch.setattr(sending, "send_client_notice", died)
    with pytest.raises(SystemExit):
        api.post("/advisor/messages", firm["token"], body)
    monkeypatch.undo()
    deliver()
    sent = [json.loads(r["body"])["data"] for r in receiver.of_type("message.sent")]
    stored = api.get(f"/advisor/messages?client_id={client['id']}", firm["token"]).json["items"]
    assert [m["id"] for m in stored] == [d["message_id"] for d in sent]  # one message committed, one event
    assert len(sent) == 1 and sent[0]["status"] == "sent"


def test_an_endpoint_that_failed_every_try_for_three_days_is_disabled_and_says_so(
        api: Api, firm: dict[str, Any], receiver: Receiver):
    receiver.answers = [503]
    hook = endpoint(api, firm, receiver, ["message.sent"])
    assert api.post(f"/advisor/webhooks/{hook['id']}/test", firm["token"]).status_code == 202
    deliver()  # the first try fails: failing from now on
    run(api, timedelta(days=1))
    [listed] = api.get("/advisor/webhooks", firm["token"]).json["items"]
    assert listed["status"] == "active"
    run(api, timedelta(days=3, minutes=1))
    [listed] = api.get("/advisor/webhooks", firm["token"]).json["items"]
    assert listed["status"] == "disabled" and listed["disabled_at"] is not None
    [delivery] = api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).json["items"]
    assert delivery["status"] == "failed"
    refused = api.post(f"/advisor/webhooks/{hook['id']}/test", firm["token"])
    assert (refused.status_code, refused.json["code"]) == (409, "conflict")


def test_a_bulk_send_ends_with_one_bulk_send_done_event(api: Api, firm: dict[str, Any], receiver: Receiver):
    from tests.api.test_bulk_sends import drain

    hook = endpoint(api, firm, receiver, ["bulk_send.done"])
    client = api.post("/advisor/clients", firm["token"], {"name": "Bulk Haak",
                                                           "email": f"bh-{new_id().lower()}@example.com"}).json
    batch = api.post("/advisor/bulk-sends", firm["token"], {
        "subject": "Info", "body": "-", "response_type": "none", "recipients": [{"client_id": client["id"]}]}).json
    drain()
    deliver()
    [done] = receiver.of_type("bulk_send.done")
    assert verified(done, hook["secret"])["data"] == {
        "tenant_id": firm["tenant"].id, "bulk_send_id": batch["id"], "status": "done", "total": 1, "sent": 1,
        "failed": 0}


def test_the_endpoints_page_and_a_made_up_cursor_is_refused(api: Api, firm: dict[str, Any], receiver: Receiver):
    made = [endpoint(api, firm, receiver, ["message.sent"])["id"] for _ in range(3)]
    first = api.get("/advisor/webhooks?limit=2", firm["token"]).json
    rest = api.get(f"/advisor/webhooks?limit=2&cursor={first['next_cursor']}", firm["token"]).json
    assert [e["id"] for e in first["items"] + rest["items"]] == made and rest["next_cursor"] is None
    bad = api.get("/advisor/webhooks?cursor=99", firm["token"])
    assert (bad.status_code, bad.json["code"]) == (400, "validation_error")


def test_a_delivery_whose_last_try_died_unrecorded_is_failed_without_another_post(
        api: Api, firm: dict[str, Any], receiver: Receiver):
    from chalicelib.webhooks.model import ATTEMPTS

    hook = endpoint(api, firm, receiver, ["message.sent"])
    event_id = api.post(f"/advisor/webhooks/{hook['id']}/test", firm["token"]).json["event_id"]
    ports = aws.ports()
    for _ in range(ATTEMPTS):  # every try claimed, and each worker killed before it recorded its answer
        delivery = ports.webhooks.delivery(firm["tenant"].id, hook["id"], event_id)
        assert ports.webhooks.claim_try(delivery, SystemClock().now()) is not None
    run(api, timedelta(minutes=5))
    [failed] = api.get(f"/advisor/webhooks/{hook['id']}/deliveries", firm["token"]).json["items"]
    assert (failed["status"], failed["attempts"]) == ("failed", ATTEMPTS) and receiver.requests == []
