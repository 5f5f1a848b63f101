"""Faults: each AWS call on the send, code and sign paths fails (throttling, a 5xx, a read timeout).

A failure is injected into exactly one operation of one client, so every other call still reaches
moto: boto3 clients are patched on the cached instance the adapters use (`chalicelib.aws.client`),
PynamoDB through `Connection._make_api_call`, which every model and transaction goes through.
Each test proves the answer (problem+json 503), that no half state is left behind, and that a retry
(with the same Idempotency-Key where the contract has one) completes with exactly one side effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib import aws
from chalicelib.ids import new_id
from tests.conftest import Api, activate_client, data_url, emails_to, last_code, outbox, random_mobile, signature_png, upload

KINDS = ("throttling", "server_error", "read_timeout")

# What each service really answers when it throttles or breaks, after botocore's own retries.
THROTTLING = {"dynamodb": ("ProvisionedThroughputExceededException", 400), "ses": ("Throttling", 400),
              "sns": ("Throttled", 429), "secretsmanager": ("ThrottlingException", 400), "s3": ("SlowDown", 503),
              "kms": ("ThrottlingException", 400)}
SERVER_ERROR = {"dynamodb": ("InternalServerError", 500), "ses": ("ServiceUnavailable", 503),
                "sns": ("InternalError", 500), "secretsmanager": ("InternalServiceError", 500),
                "s3": ("InternalError", 500), "kms": ("KMSInternalException", 500)}


def _error(kind: str, service: str, operation: str) -> Exception:
    if kind in ("read_timeout", "answer_lost"):
        return ReadTimeoutError(endpoint_url=f"https://{service}.eu-west-1.amazonaws.com/")
    code, status = (THROTTLING if kind == "throttling" else SERVER_ERROR)[service]
    return ClientError({"Error": {"Code": code, "Message": "injected fault"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class Fault:
    """Makes one operation of one service fail while active; counts how often it was hit.

    `answer_lost` is the read timeout whose request did reach the service: the write is done,
    only its answer never arrives, so the caller cannot know the outcome.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, service: str, operation: str, kind: str) -> None:
        self.service, self.operation, self.kind = service, operation, kind
        self.active, self.hits = True, 0
        if service == "dynamodb":
            from pynamodb.connection.base import Connection

            original_dynamodb = Connection._make_api_call

            def failing_dynamodb(connection: Any, name: str, kwargs: dict[str, Any]) -> Any:
                self._maybe_fail(name, lambda: original_dynamodb(connection, name, kwargs))
                return original_dynamodb(connection, name, kwargs)

            monkeypatch.setattr(Connection, "_make_api_call", failing_dynamodb)
            return
        client = aws.client(service)
        original = client._make_api_call

        def failing(name: str, params: dict[str, Any]) -> Any:
            self._maybe_fail(name, lambda: original(name, params))
            return original(name, params)

        monkeypatch.setattr(client, "_make_api_call", failing)
        if service == "secretsmanager":
            aws.otp_secret.cache_clear()  # fetched once per container: make this container fetch it again

    def _maybe_fail(self, name: str, call: Callable[[], Any]) -> None:
        if self.active and name == self.operation:
            self.hits += 1
            if self.kind == "answer_lost":
                call()
            raise _error(self.kind, self.service, self.operation)

    def heal(self) -> None:
        assert self.hits, f"the fault in {self.service} {self.operation} was never hit: the test proves nothing"
        self.active = False


def _paths(*calls: tuple[str, str]) -> list[Any]:
    return [pytest.param(service, operation, kind, id=f"{service} {operation} {kind}")
            for service, operation in calls for kind in KINDS]


def _assert_unavailable(answer: Any) -> None:
    assert answer.status_code in (502, 503), answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["status"] == answer.status_code
    assert answer.json["code"] == "service_unavailable"
    assert "Traceback" not in answer.json["detail"] and "injected" not in answer.json["detail"]


@pytest.fixture
def office(api: Api, backend: Any) -> dict[str, Any]:
    """A firm with signing on, its advisor, and one client with a portal login (fresh per test: the
    client's daily SMS limit would otherwise run out over the module)."""
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    tenant = tenants.create_tenant(aws.ports(), f"Kantoor {new_id()[-6:]}", frozenset({SIGNING}))
    email = f"adviseur-{new_id().lower()}@firm.example"
    tenants.add_advisor(aws.ports(), tenant.id, "Test Adviseur", email, "Adviseur-test-2026!")
    token = api.login(email, "Adviseur-test-2026!")
    client = api.post("/advisor/clients", token, {
        "name": "Femke Fout", "email": f"femke-{new_id().lower()}@example.com", "phone": random_mobile(),
        "city": "Delft"}).json
    client_token = activate_client(api, {"token": token}, backend, client)
    return {"tenant": tenant, "advisor_email": email, "token": token, "client": client, "client_token": client_token,
            "document": upload(api, token).json["id"]}


def _fresh_client(api: Api, office: dict[str, Any]) -> dict[str, Any]:
    answer = api.post("/advisor/clients", office["token"], {
        "name": "Klant Fout", "email": f"klant-{new_id().lower()}@example.com", "phone": random_mobile()})
    assert answer.status_code == 201, answer.body
    return dict(answer.json)


def _sign_message(client_id: str, document: str) -> dict[str, Any]:
    return {"client_id": client_id, "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
            "response_type": "sign", "document_ids": [document]}


def _messages_of(api: Api, office: dict[str, Any], client_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/advisor/messages?client_id={client_id}", office["token"]).json["items"])


# --- send: POST /advisor/messages -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_send_transaction_is_a_503_and_the_retry_sends_exactly_one_message(
        api: Api, backend, office, monkeypatch, kind):
    client = _fresh_client(api, office)
    body, key = _sign_message(client["id"], office["document"]), {"Idempotency-Key": new_id()}
    fault = Fault(monkeypatch, "dynamodb", "TransactWriteItems", kind)

    _assert_unavailable(api.post("/advisor/messages", office["token"], body, headers=key))
    assert _messages_of(api, office, client["id"]) == []
    assert emails_to(backend, client["email"]) == []

    fault.heal()
    first = api.post("/advisor/messages", office["token"], body, headers=key)
    again = api.post("/advisor/messages", office["token"], body, headers=key)
    assert first.status_code == again.status_code == 201, first.body
    assert first.json == again.json and first.json["notice_status"] == "sent"
    assert [m["id"] for m in _messages_of(api, office, client["id"])] == [first.json["id"]]
    assert len(emails_to(backend, client["email"])) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_notice_email_is_recorded_on_the_message_and_the_job_sends_it_once(
        api: Api, backend, office, monkeypatch, kind):
    from chalicelib.reminders.job import run

    client = _fresh_client(api, office)
    body, key = _sign_message(client["id"], office["document"]), {"Idempotency-Key": new_id()}
    fault = Fault(monkeypatch, "ses", "SendEmail", kind)

    sent = api.post("/advisor/messages", office["token"], body, headers=key)
    # By design: the message and its signing request stand; the notice is recorded as failed.
    assert sent.status_code == 201, sent.body
    assert sent.json["notice_status"] == "failed" and sent.json["signing"]["status"] == "sent"
    stored = api.get(f"/advisor/messages/{sent.json['id']}", office["token"]).json
    assert stored["notice_status"] == "failed"
    assert [e["type"] for e in stored["signing"]["audit_events"]] == ["sent"]
    assert emails_to(backend, client["email"]) == []

    fault.heal()
    replay = api.post("/advisor/messages", office["token"], body, headers=key)
    assert (replay.status_code, replay.json) == (201, sent.json)
    assert len(_messages_of(api, office, client["id"])) == 1

    run(aws.ports())
    run(aws.ports())
    assert len(emails_to(backend, client["email"])) == 1
    assert emails_to(backend, client["email"])[0]["subject"].endswith("Jaarrekening 2025")
    assert api.get(f"/advisor/messages/{sent.json['id']}", office["token"]).json["notice_status"] == "sent"


# --- code: POST /portal/signing-requests/{id}/otp ----------------------------------------


def _verified_request(api: Api, backend: Any, office: dict[str, Any]) -> tuple[str, str]:
    """A new signing request whose client holds a verified code; (message, request)."""
    message_id, request_id, phone = _open_request(api, office)
    token = office["client_token"]
    assert api.post(f"/portal/signing-requests/{request_id}/otp", token).status_code == 202
    assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", token,
                    {"code": last_code(backend, phone)}).status_code == 200
    return message_id, request_id


def _open_request(api: Api, office: dict[str, Any]) -> tuple[str, str, str]:
    """A new signing request for the office's client, on a fresh phone number; (message, request, phone)."""
    phone = random_mobile()
    assert api.patch(f"/advisor/clients/{office['client']['id']}", office["token"], {"phone": phone}).status_code == 200
    sent = api.post("/advisor/messages", office["token"], _sign_message(office["client"]["id"], office["document"]))
    assert sent.status_code == 201, sent.body
    return sent.json["id"], sent.json["signing"]["id"], phone


def _sms_to(backend: Any, phone: str) -> list[dict[str, Any]]:
    return [s for s in outbox(backend)["sms"] if s["to"] == phone]


def _audit(api: Api, office: dict[str, Any], message_id: str) -> list[str]:
    return [e["type"] for e in api.get(f"/advisor/messages/{message_id}", office["token"]).json["signing"]["audit_events"]]


def _sms_counted_today(office: dict[str, Any], phone: str) -> int:
    """The firm's daily SMS counter for this phone (what the per-phone limit is checked against)."""
    from pynamodb.exceptions import DoesNotExist

    from chalicelib.clock import AMSTERDAM
    from chalicelib.signing import otp
    from chalicelib.store import keys
    from chalicelib.store.models import CounterItem

    day = aws.clock().now().astimezone(AMSTERDAM).strftime("%Y-%m-%d")
    digest = otp.phone_digest(aws.otp_secret(), phone)
    try:
        return int(CounterItem.get(keys.sms_counter(office["tenant"].id, digest, day), keys.COUNTER).total)
    except DoesNotExist:
        return 0


@pytest.mark.parametrize(("service", "operation", "kind"), _paths(
    ("secretsmanager", "GetSecretValue"), ("dynamodb", "TransactWriteItems"), ("sns", "Publish")))
def test_a_failed_code_request_is_a_503_claims_no_send_and_the_retry_sends_exactly_one_code(
        api: Api, backend, office, monkeypatch, service, operation, kind):
    message_id, request_id, phone = _open_request(api, office)
    url = f"/portal/signing-requests/{request_id}/otp"
    fault = Fault(monkeypatch, service, operation, kind)

    _assert_unavailable(api.post(url, office["client_token"]))
    assert _sms_to(backend, phone) == []

    fault.heal()
    # A code that never went out is no send: it must not count against the resend or daily limits.
    retry = api.post(url, office["client_token"])
    assert retry.status_code == 202, retry.body
    assert len(_sms_to(backend, phone)) == 1
    assert _sms_counted_today(office, phone) == 1
    verified = api.post(f"{url}/verify", office["client_token"], {"code": last_code(backend, phone)})
    assert verified.status_code == 200, verified.body
    assert _audit(api, office, message_id)[-1] == "code_verified"


# --- sign: POST /portal/signing-requests/{id}/sign ---------------------------------------


def _receipt_item(office: dict[str, Any], conversation_id: str, request_id: str) -> Any:
    from chalicelib.store.signing_requests import SigningRequestRepository

    return SigningRequestRepository().stored_receipt(office["tenant"].id, conversation_id, request_id)


def _stored_signature_images(backend: Any, office: dict[str, Any]) -> list[str]:
    """Objects of this firm in the retention bucket that are not its documents."""
    listed = aws.client("s3").list_object_versions(Bucket=backend.resources.documents_bucket,
                                                   Prefix=f"tenants/{office['tenant'].id}/")
    return [v["Key"] for v in listed.get("Versions", []) if "/documents/" not in v["Key"]]


def _signing_state(api: Api, office: dict[str, Any], message_id: str) -> dict[str, Any]:
    message = api.get(f"/advisor/messages/{message_id}", office["token"]).json
    return {"message": message["status"], "request": message["signing"]["status"],
            "events": [e["type"] for e in message["signing"]["audit_events"]],
            "receipt": _receipt_item(office, message["conversation_id"], message["signing"]["id"]) is not None}


def _advisor_mails(backend: Any, office: dict[str, Any]) -> int:
    return len(emails_to(backend, office["advisor_email"]))


def _signed_notifications(api: Api, office: dict[str, Any], request_id: str) -> int:
    items = api.get("/advisor/notifications?limit=200", office["token"]).json["items"]
    return sum(1 for n in items if n["type"] == "signed" and n["signing_request_id"] == request_id)


@pytest.mark.parametrize(("service", "operation", "kind"), _paths(
    ("s3", "GetObject"), ("kms", "Sign"), ("kms", "GenerateDataKey"),
    ("dynamodb", "TransactWriteItems")))
def test_a_failed_sign_is_a_503_leaves_no_half_signature_and_the_retry_signs_exactly_once(
        api: Api, backend, office, monkeypatch, service, operation, kind):
    message_id, request_id = _verified_request(api, backend, office)
    token = office["client_token"]
    before = _signing_state(api, office, message_id)
    mails = _advisor_mails(backend, office)
    url, key = f"/portal/signing-requests/{request_id}/sign", {"Idempotency-Key": new_id()}
    body = {"signature_image": data_url(signature_png()), "city": "Delft"}
    fault = Fault(monkeypatch, service, operation, kind)

    _assert_unavailable(api.post(url, token, body, headers=key))
    assert _signing_state(api, office, message_id) == before  # not signed, no receipt, no event
    assert before["request"] in ("sent", "viewed") and not before["receipt"]
    assert _stored_signature_images(backend, office) == [], "nothing kept under retention for a failed sign"
    assert api.get(f"/advisor/signing-requests/{request_id}/receipt", office["token"]).json["code"] == "not_open"
    assert _advisor_mails(backend, office) == mails

    fault.heal()
    first = api.post(url, token, body, headers=key)
    again = api.post(url, token, body, headers=key)
    assert first.status_code == again.status_code == 200, first.body
    assert first.json == again.json and first.json["status"] == "signed"
    after = _signing_state(api, office, message_id)
    assert (after["message"], after["request"], after["receipt"]) == ("signed", "signed", True)
    assert after["events"].count("signed") == 1
    receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", office["token"]).json
    assert receipt["verification"]["seal_valid"] is True and receipt["verification"]["document_intact"] is True
    assert receipt["signature"]["image"] == body["signature_image"], "the receipt holds its image"
    assert _signed_notifications(api, office, request_id) == 1
    assert _advisor_mails(backend, office) == mails + 1


# --- a read timeout after the write landed: the outcome is unknown to the app ------------


def _lost_send(api: Api, office: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], Any]:
    """A send whose transactions land but whose answers time out; (client, the retry).

    The send reads its message back and goes on; its notice goes out, and the notice's record
    (a transaction too) lands without an answer: the send still answers 201, the e-mail is out.
    """
    client = _fresh_client(api, office)
    body, key = _sign_message(client["id"], office["document"]), {"Idempotency-Key": new_id()}
    fault = Fault(monkeypatch, "dynamodb", "TransactWriteItems", "answer_lost")
    first = api.post("/advisor/messages", office["token"], body, headers=key)
    assert (first.status_code, first.json["notice_status"]) == (201, "sent"), first.body
    fault.heal()
    return client, lambda: api.post("/advisor/messages", office["token"], body, headers=key)


def _next_hourly_run() -> None:
    from datetime import timedelta

    from chalicelib.reminders.job import run

    run(aws.ports(), aws.clock().now() + timedelta(hours=1))


def test_a_send_whose_write_landed_but_whose_answer_was_lost_still_gets_its_notice_from_the_job(
        api: Api, backend, office, monkeypatch):
    client, _ = _lost_send(api, office, monkeypatch)
    # Nobody retries: whatever landed must have its notice queued or recorded as failed, so the job sends it.
    _next_hourly_run()
    _next_hourly_run()
    stored = _messages_of(api, office, client["id"])
    assert [m["notice_status"] for m in stored] == ["sent"] * len(stored)
    assert len(emails_to(backend, client["email"])) == len(stored)


def test_a_send_whose_write_landed_but_whose_answer_was_lost_is_retried_into_one_message_and_one_notice(
        api: Api, backend, office, monkeypatch):
    client, retry = _lost_send(api, office, monkeypatch)
    answer = retry()
    assert answer.status_code == 201, answer.body
    assert [m["id"] for m in _messages_of(api, office, client["id"])] == [answer.json["id"]]
    _next_hourly_run()
    assert len(emails_to(backend, client["email"])) == 1
    assert retry().json["id"] == answer.json["id"]


def test_a_sign_whose_write_landed_but_whose_answer_was_lost_is_read_back_and_signed_once(
        api: Api, backend, office, monkeypatch):
    message_id, request_id = _verified_request(api, backend, office)
    token = office["client_token"]
    url, key = f"/portal/signing-requests/{request_id}/sign", {"Idempotency-Key": new_id()}
    body = {"signature_image": data_url(signature_png()), "city": "Delft"}
    fault = Fault(monkeypatch, "dynamodb", "TransactWriteItems", "answer_lost")
    mails = _advisor_mails(backend, office)

    first = api.post(url, token, body, headers=key)
    # The transaction landed: the request reads back signed by this very event, so the signing goes on.
    assert (first.status_code, first.json["status"]) == (200, "signed"), first.body
    state = _signing_state(api, office, message_id)
    assert (state["message"], state["request"], state["receipt"]) == ("signed", "signed", True)
    assert state["events"].count("signed") == 1

    fault.heal()
    retry = api.post(url, token, body, headers=key)
    assert (retry.status_code, retry.json) == (200, first.json)
    assert _signing_state(api, office, message_id) == state
    assert _signed_notifications(api, office, request_id) == 1 and _advisor_mails(backend, office) == mails + 1


def test_every_fault_target_is_an_operation_the_flow_really_calls(api: Api, backend, office, monkeypatch):
    """Guards the tests above: an operation the app stopped calling would make its fault a no-op."""
    seen: list[tuple[str, str]] = []

    def recording(service: str) -> Callable[..., Any]:
        client = aws.client(service)
        original = client._make_api_call

        def record(name: str, params: dict[str, Any]) -> Any:
            seen.append((service, name))
            return original(name, params)

        return record

    from pynamodb.connection.base import Connection

    original_dynamodb = Connection._make_api_call

    def record_dynamodb(connection: Any, name: str, kwargs: dict[str, Any]) -> Any:
        seen.append(("dynamodb", name))
        return original_dynamodb(connection, name, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", record_dynamodb)
    for service in ("s3", "kms", "ses", "sns", "secretsmanager"):
        monkeypatch.setattr(aws.client(service), "_make_api_call", recording(service))
    aws.otp_secret.cache_clear()
    _, request_id, phone = _open_request(api, office)
    token = office["client_token"]
    api.post(f"/portal/signing-requests/{request_id}/otp", token)
    api.post(f"/portal/signing-requests/{request_id}/otp/verify", token, {"code": last_code(backend, phone)})
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", token,
                      {"signature_image": data_url(signature_png()), "city": "Delft"})
    assert signed.status_code == 200, signed.body
    targets = {("dynamodb", "TransactWriteItems"), ("ses", "SendEmail"), ("sns", "Publish"),
               ("secretsmanager", "GetSecretValue"), ("s3", "GetObject"), ("kms", "Sign"),
               ("kms", "GenerateDataKey")}
    assert targets <= set(seen), targets - set(seen)


# --- a sign that dies (a timeout) before its commit ---------------------------------------------


class _Died(BaseException):
    """The function stopped mid-call, as at a Lambda timeout: no handler of ours ran after it."""


def test_a_sign_that_died_before_its_commit_left_nothing_and_its_retry_signs_once(
        api: Api, backend, office, monkeypatch):
    from chalicelib.store.signing_requests import SigningRequestRepository

    message_id, request_id = _verified_request(api, backend, office)
    token = office["client_token"]
    commit = SigningRequestRepository.sign
    calls = {"n": 0}

    def dies_the_first_time(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise _Died()
        return commit(*args, **kwargs)

    monkeypatch.setattr(SigningRequestRepository, "sign", dies_the_first_time)
    url, key = f"/portal/signing-requests/{request_id}/sign", {"Idempotency-Key": new_id()}
    body = {"signature_image": data_url(signature_png()), "city": "Delft"}

    with pytest.raises(_Died):
        api.post(url, token, body, headers=key)
    before = _signing_state(api, office, message_id)
    assert (before["request"] != "signed", before["receipt"], before["events"].count("signed")) == (True, False, 0)
    retried = api.post(url, token, body, headers=key)  # no record of the attempt is left to wait for
    replayed = api.post(url, token, body, headers=key)

    assert retried.status_code == 200, retried.body
    assert (replayed.status_code, replayed.json) == (200, retried.json)
    after = _signing_state(api, office, message_id)
    assert (after["request"], after["receipt"], after["events"].count("signed")) == ("signed", True, 1)
    assert calls["n"] == 2 and _signed_notifications(api, office, request_id) == 1


# --- an answer lost under botocore's own retries --------------------------------------------------


def _lose_first_answer(monkeypatch, target: str) -> dict[str, int]:
    """The first `target` call reaches DynamoDB and is applied, but its answer never arrives: botocore
    times out and retries by itself, as it does in production (below every fault above)."""
    from botocore.endpoint import Endpoint
    from botocore.exceptions import ReadTimeoutError

    send, lost = Endpoint._send, {"n": 0}

    def losing(self: Any, request: Any) -> Any:
        answer = send(self, request)
        if request.headers.get("X-Amz-Target", b"").endswith(target.encode()) and not lost["n"]:
            lost["n"] += 1
            raise ReadTimeoutError(endpoint_url=request.url)
        return answer

    monkeypatch.setattr(Endpoint, "_send", losing)
    return lost


def test_a_sign_whose_answer_botocore_lost_and_retried_is_signed_once_and_told_once(
        api: Api, backend, office, monkeypatch):
    message_id, request_id = _verified_request(api, backend, office)
    body = {"signature_image": data_url(signature_png()), "city": "Delft"}
    mails = _advisor_mails(backend, office)
    lost = _lose_first_answer(monkeypatch, "TransactWriteItems")

    signed = api.post(f"/portal/signing-requests/{request_id}/sign", office["client_token"], body)

    assert lost["n"] == 1, "the fault was never hit: the test proves nothing"
    assert (signed.status_code, signed.json["status"]) == (200, "signed"), signed.body
    state = _signing_state(api, office, message_id)
    assert (state["request"], state["receipt"], state["events"].count("signed")) == ("signed", True, 1)
    assert _signed_notifications(api, office, request_id) == 1 and _advisor_mails(backend, office) == mails + 1


def test_a_send_whose_answer_botocore_lost_and_retried_is_one_message_with_its_notice(
        api: Api, backend, office, monkeypatch):
    client = _fresh_client(api, office)
    body = _sign_message(client["id"], office["document"])
    lost = _lose_first_answer(monkeypatch, "TransactWriteItems")

    sent = api.post("/advisor/messages", office["token"], body)

    assert lost["n"] == 1, "the fault was never hit: the test proves nothing"
    assert (sent.status_code, sent.json["notice_status"]) == (201, "sent"), sent.body
    assert len(_messages_of(api, office, client["id"])) == 1 and len(emails_to(backend, client["email"])) == 1
