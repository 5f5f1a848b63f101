"""Bulk sends over HTTP: the batch through the queue (moto's SQS, fed to the Lambda handler), each recipient once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.ids import new_id
from local.queue import QueuePoller
from tests.conftest import Api, activate_client, emails_to, random_mobile, sign_request, upload

NOTICE = "Nieuw bericht"  # the Dutch notice's subject starts so


def _queue() -> QueuePoller:
    return QueuePoller(aws.client("sqs"), get_settings().bulk_send_queue_url)


def drain() -> int:
    """Every job on the queue handed to the handler, as the deployed event source mapping does."""
    return _queue().drain()


def _client(api: Api, firm: dict[str, Any], name: str, phone: bool = True) -> dict[str, Any]:
    body = {"name": name, "email": f"{name.split(maxsplit=1)[0].lower()}-{new_id().lower()}@example.com",
            "city": "Zwolle", **({"phone": random_mobile()} if phone else {})}
    answer = api.post("/advisor/clients", firm["token"], body)
    assert answer.status_code == 201, answer.body
    return dict(answer.json)


def _batch(api: Api, firm: dict[str, Any], recipients: list[dict[str, Any]], key: str | None = None,
           **changes: Any) -> Any:
    body = {"subject": "Aangifte inkomstenbelasting 2025 voor {{naam}}",
            "body": "Beste {{naam}}, graag uw akkoord op de aangifte. <b>{{naam}}</b>", "response_type": "approve",
            "recipients": recipients, **changes}
    return api.post("/advisor/bulk-sends", firm["token"], body, headers={"Idempotency-Key": key} if key else {})


def _view(api: Api, firm: dict[str, Any], bulk_send_id: str) -> dict[str, Any]:
    answer = api.get(f"/advisor/bulk-sends/{bulk_send_id}?limit=200", firm["token"])
    assert answer.status_code == 200, answer.body
    return dict(answer.json)


def _notices(backend: Any, client: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in emails_to(backend, client["email"]) if m["subject"].startswith(NOTICE)]


def _messages_of(api: Api, firm: dict[str, Any], client: dict[str, Any]) -> list[dict[str, Any]]:
    return list(api.get(f"/advisor/messages?client_id={client['id']}", firm["token"]).json["items"])


def test_a_batch_of_ten_with_two_clients_without_a_phone_ends_done_with_eight_sent_and_two_failed(
        api: Api, firm: dict[str, Any], backend: Any):
    clients = [_client(api, firm, f"Klant{n} Bulk", phone=n not in (3, 7)) for n in range(10)]
    document = upload(api, firm["token"]).json["id"]
    key = f"bulk-{new_id()}"
    body = {"subject": "Aangifte 2025 voor {{naam}}", "body": "Beste {{naam}}, graag ondertekenen.",
            "response_type": "sign", "document_ids": [document], "deadline": None,
            "recipients": [{"client_id": c["id"]} for c in clients]}
    body.pop("deadline")
    accepted = api.post("/advisor/bulk-sends", firm["token"], body, headers={"Idempotency-Key": key})
    assert accepted.status_code == 202, accepted.body
    assert (accepted.json["status"], accepted.json["total"]) == ("queued", 10)
    batch = accepted.json["id"]

    drain()

    view = _view(api, firm, batch)
    assert (view["status"], view["sent"], view["failed"], view["total"]) == ("done", 8, 2, 10)
    by_client = {item["client_id"]: item for item in view["items"]}
    for n, client in enumerate(clients):
        item = by_client[client["id"]]
        if n in (3, 7):
            assert (item["status"], item["message_id"], item["error"]["code"]) == ("failed", None, "phone_required")
            assert item["error"]["detail"] and _notices(backend, client) == []
            continue
        assert item["status"] == "sent" and item["error"] is None
        assert len(_notices(backend, client)) == 1
        # Exactly the message a single send makes: the signing request, its first audit event, the batch.
        message = api.get(f"/advisor/messages/{item['message_id']}", firm["token"]).json
        assert message["subject"] == f"Aangifte 2025 voor {client['name']}"
        assert message["body"] == f"Beste {client['name']}, graag ondertekenen."
        assert message["bulk_send_id"] == batch and message["signing"]["status"] == "sent"
        assert [e["type"] for e in message["signing"]["audit_events"]] == ["sent"]
    done = api.get("/advisor/notifications", firm["token"]).json["items"]
    assert [n["bulk_send_id"] for n in done if n["type"] == "bulk_send_done"] == [batch]
    advisor_mail = emails_to(backend, firm["advisor_email"])
    assert [m for m in advisor_mail if "Bulkverzending klaar" in m["subject"] and "8 van de 10" in m["body"]]

    # The same request again (a double click, a retry): the same batch, and nothing sent a second time.
    mails = len(backend_emails(backend))
    again = api.post("/advisor/bulk-sends", firm["token"], body, headers={"Idempotency-Key": key})
    assert (again.status_code, again.json) == (202, accepted.json)
    drain()
    assert len(backend_emails(backend)) == mails
    listed = api.get("/advisor/bulk-sends", firm["token"]).json["items"]
    assert [b["id"] for b in listed] == [batch] and listed[0]["sent"] == 8
    assert all(len(_messages_of(api, firm, c)) == (0 if n in (3, 7) else 1) for n, c in enumerate(clients))


def backend_emails(backend: Any) -> list[dict[str, Any]]:
    return list(emails_to(backend, "@"))


def test_a_job_delivered_twice_even_at_the_same_moment_creates_nothing_twice(api: Api, firm: dict[str, Any],
                                                                              backend: Any):
    clients = [_client(api, firm, f"Dubbel{n} Bezorgd") for n in range(3)]
    batch = _batch(api, firm, [{"client_id": c["id"]} for c in clients]).json["id"]
    queue = _queue()
    jobs = [m for m in queue.receive() if batch in m["Body"]]
    assert len(jobs) == 1  # three recipients: one chunk
    from app import send_bulk
    from local.queue import LambdaContext, sqs_event

    event = sqs_event(jobs[0], queue.queue_arn)
    twins = [threading.Thread(target=send_bulk, args=(event, LambdaContext())) for _ in range(2)]
    for twin in twins:
        twin.start()
    for twin in twins:
        twin.join()
    send_bulk(event, LambdaContext())  # and once more, later: SQS delivers at least once
    assert queue.deliver(jobs[0])  # the fourth delivery, through the poller, deletes it

    view = _view(api, firm, batch)
    assert (view["status"], view["sent"], view["failed"]) == ("done", 3, 0)
    for client in clients:
        assert len(_messages_of(api, firm, client)) == 1
        assert len(_notices(backend, client)) == 1
    done = [n for n in api.get("/advisor/notifications", firm["token"]).json["items"] if n["type"] == "bulk_send_done"]
    assert len(done) == 1


def test_a_throttled_mail_is_retried_with_backoff_and_the_recipient_gets_one_notice(
        api: Api, firm: dict[str, Any], backend: Any, monkeypatch: pytest.MonkeyPatch):
    from botocore.exceptions import ClientError

    client = _client(api, firm, "Trage Verzending")
    ses = aws.client("ses")
    real = ses.send_email
    throttled: list[str] = []

    def send_email(**kwargs: Any) -> Any:
        if not throttled:
            throttled.append(kwargs["Destination"]["ToAddresses"][0])
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendEmail")
        return real(**kwargs)

    monkeypatch.setattr(ses, "send_email", send_email)
    batch = _batch(api, firm, [{"client_id": client["id"]}]).json["id"]
    drain()

    assert throttled == [client["email"]]
    assert len(_notices(backend, client)) == 1
    item = _view(api, firm, batch)["items"][0]
    assert item["status"] == "sent"
    assert api.get(f"/advisor/messages/{item['message_id']}", firm["token"]).json["notice_status"] == "sent"


def test_remind_and_withdraw_act_only_on_what_is_still_open(api: Api, firm: dict[str, Any], backend: Any):
    clients = [_client(api, firm, f"Open{n} Herinnering") for n in range(3)]
    documents = [upload(api, firm["token"], filename=f"aangifte-{n}.pdf").json["id"] for n in range(3)]
    batch = api.post("/advisor/bulk-sends", firm["token"], {
        "subject": "Aangifte 2025", "body": "Graag ondertekenen.", "response_type": "sign",
        "recipients": [{"client_id": c["id"], "document_ids": [d]} for c, d in zip(clients, documents)]}).json["id"]
    drain()
    items = {i["client_id"]: i for i in _view(api, firm, batch)["items"]}
    requests = {c["id"]: api.get(f"/advisor/messages/{items[c['id']]['message_id']}", firm["token"]).json["signing"]["id"]
                for c in clients}
    first = clients[0]
    token = activate_client(api, firm, backend, first)
    message = api.get(f"/portal/messages/{items[first['id']]['message_id']}", token).json
    assert message["documents"][0]["id"] == documents[0]  # each their own document
    signed = sign_request(api, backend, token, requests[first["id"]], first["phone"])
    assert signed.status_code == 200, signed.body

    reminded = api.post(f"/advisor/bulk-sends/{batch}/remind", firm["token"])
    assert (reminded.status_code, reminded.json) == (200, {"reminded": 2})
    drain()
    for client in clients:
        reminders = [m for m in emails_to(backend, client["email"]) if m["subject"].startswith("Herinnering")]
        assert len(reminders) == (0 if client is first else 1), client["name"]
    again = api.post(f"/advisor/bulk-sends/{batch}/remind", firm["token"])
    assert (again.status_code, again.json["code"]) == (429, "rate_limited")
    assert 0 < int(again.headers["Retry-After"]) <= 24 * 3600

    withdrawn = api.post(f"/advisor/bulk-sends/{batch}/withdraw", firm["token"])
    assert (withdrawn.status_code, withdrawn.json) == (200, {"withdrawn": 2})
    statuses = {c["id"]: api.get(f"/advisor/messages/{items[c['id']]['message_id']}",
                                 firm["token"]).json["signing"]["status"] for c in clients}
    assert statuses == {clients[0]["id"]: "signed", clients[1]["id"]: "withdrawn", clients[2]["id"]: "withdrawn"}
    assert api.post(f"/advisor/bulk-sends/{batch}/withdraw", firm["token"]).json == {"withdrawn": 0}


def test_withdrawing_approvals_closes_them_and_stops_the_recipients_not_sent_yet(api: Api, firm: dict[str, Any],
                                                                                 backend: Any):
    sent, later = _client(api, firm, "Eerder Verstuurd"), _client(api, firm, "Nooit Verstuurd")
    first = _batch(api, firm, [{"client_id": sent["id"]}]).json["id"]
    drain()
    token = activate_client(api, firm, backend, sent)
    assert api.post(f"/advisor/bulk-sends/{first}/withdraw", firm["token"]).json == {"withdrawn": 1}
    message_id = _view(api, firm, first)["items"][0]["message_id"]
    assert api.get(f"/advisor/messages/{message_id}", firm["token"]).json["status"] == "withdrawn"
    assert api.post(f"/portal/messages/{message_id}/approve", token, {}).json["code"] == "not_open"

    second = _batch(api, firm, [{"client_id": later["id"]}]).json["id"]  # withdrawn before its job ran
    assert api.post(f"/advisor/bulk-sends/{second}/withdraw", firm["token"]).json == {"withdrawn": 0}
    drain()
    view = _view(api, firm, second)
    assert (view["status"], view["sent"], view["failed"]) == ("done", 0, 1)
    assert view["items"][0]["error"]["code"] == "not_open" and _messages_of(api, firm, later) == []


def test_an_unknown_client_or_a_document_not_ready_fails_only_that_recipient(api: Api, firm: dict[str, Any]):
    good, other = _client(api, firm, "Goed Ontvanger"), _client(api, firm, "Ander Ontvanger")
    pending = upload(api, firm["token"], complete=False).json["id"]
    ready = upload(api, firm["token"]).json["id"]
    batch = api.post("/advisor/bulk-sends", firm["token"], {
        "subject": "Jaarstukken", "body": "Zie bijlage.", "response_type": "none", "document_ids": [ready],
        "recipients": [{"client_id": good["id"]}, {"client_id": "01ONBEKEND0000000000000000"},
                       {"client_id": other["id"], "document_ids": [pending]}]}).json["id"]
    drain()
    view = _view(api, firm, batch)
    assert [(i["status"], (i["error"] or {}).get("code")) for i in view["items"]] == [
        ("sent", None), ("failed", "not_found"), ("failed", "document_not_ready")]
    assert (view["sent"], view["failed"]) == (1, 2)
    paged = api.get(f"/advisor/bulk-sends/{batch}?limit=2", firm["token"]).json
    rest = api.get(f"/advisor/bulk-sends/{batch}?limit=2&cursor={paged['next_cursor']}", firm["token"]).json
    assert [i["client_id"] for i in paged["items"] + rest["items"]] == [i["client_id"] for i in view["items"]]
    assert rest["next_cursor"] is None
    assert api.get(f"/advisor/bulk-sends/{batch}?cursor=zz", firm["token"]).json["code"] == "validation_error"


@pytest.mark.parametrize(("change", "field"), [
    ({"recipients": []}, "recipients"),
    ({"recipients": [{"client_id": "a"}, {"client_id": "a"}]}, "recipients[1].client_id"),
    ({"recipients": [{"client_id": f"c{n}"} for n in range(1001)]}, "recipients"),
    ({"response_type": "sign", "document_ids": ["d1", "d2"]}, "recipients[0].document_ids"),
    ({"subject": ""}, "subject"),
    ({"deadline": "2020-01-01"}, "deadline"),
])
def test_a_malformed_batch_is_refused_whole_and_nothing_is_stored_or_queued(api: Api, firm: dict[str, Any],
                                                                            change: dict[str, Any], field: str):
    before = api.get("/advisor/bulk-sends", firm["token"]).json["items"]
    recipients = change.get("recipients", [{"client_id": "c1"}])
    answer = _batch(api, firm, recipients, **{k: v for k, v in change.items() if k != "recipients"})
    assert (answer.status_code, answer.json["code"]) == (400, "validation_error"), answer.body
    assert field in [e["field"] for e in answer.json["errors"]]
    assert api.get("/advisor/bulk-sends", firm["token"]).json["items"] == before


def test_a_firm_without_signing_cannot_bulk_send_signing_requests(api: Api, tokens: dict[str, str]):
    answer = api.post("/advisor/bulk-sends", tokens["basis_advisor"], {
        "subject": "Aangifte", "body": "Tekenen", "response_type": "sign", "document_ids": ["d1"],
        "recipients": [{"client_id": "c1"}]})
    assert (answer.status_code, answer.json["code"]) == (403, "feature_not_enabled")


def test_a_batch_whose_jobs_missed_the_queue_is_queued_by_the_hourly_job(api: Api, firm: dict[str, Any],
                                                                        backend: Any, monkeypatch: pytest.MonkeyPatch):
    from datetime import timedelta

    from botocore.exceptions import ClientError

    from chalicelib.bulk.service import STRANDED_AFTER, requeue_stranded
    from chalicelib.clock import SystemClock

    client = _client(api, firm, "Gemiste Wachtrij")
    sqs = aws.client("sqs")
    real = sqs.send_message_batch

    def down(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessageBatch")

    monkeypatch.setattr(sqs, "send_message_batch", down)
    accepted = _batch(api, firm, [{"client_id": client["id"]}])
    assert accepted.status_code == 202  # stored: the queue's outage is the job's to mend, not the advisor's
    drain()
    assert _view(api, firm, accepted.json["id"])["status"] == "queued" and _notices(backend, client) == []
    monkeypatch.setattr(sqs, "send_message_batch", real)

    def stranded(at: Any) -> set[str]:
        """The batches the job run at `at` would queue."""
        return {batch.id for batch in aws.ports().bulk_sends.not_queued(at - STRANDED_AFTER)}

    now = SystemClock().now()
    assert accepted.json["id"] not in stranded(now)  # too fresh: its own request may still be queueing it
    assert accepted.json["id"] in stranded(now + timedelta(minutes=3))
    assert requeue_stranded(aws.ports(), now + timedelta(minutes=3)) >= 1
    assert accepted.json["id"] not in stranded(now + timedelta(minutes=3))
    drain()
    assert _view(api, firm, accepted.json["id"])["status"] == "done" and len(_notices(backend, client)) == 1
