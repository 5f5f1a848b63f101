"""Each function's IAM policy allows what its code asks of AWS and little else; SMS reaches phone numbers only.

The prod stage gives each function a role of its own (.chalice/config.json, `lambda_functions`):
the API (policy-prod.json), the token authorizer (policy-prod-authorizer.json), the hourly
reminder job (policy-prod-reminders.json) and the five-minute time-stamp job
(policy-prod-timestamps.json). The calls are the ones the code really makes,
recorded by tests/integration/conftest.py while the tests run; the placeholders of a policy are
filled with the ARNs of the resources those calls went to. Two conditions are evaluated, the only
ones a policy may have (asserted below): the API signs with any KMS key of its account and region
that carries the seal tag of its own stack (`aws:ResourceTag/signing-portal-seal`), so that a
rotated-in key seals without a deploy (the tags are moto's, as the stack and the rotation set
them); and the webhook worker opens with the data key only what was sealed as a webhook secret
(`kms:EncryptionContext:purpose`, the context the recorded call named).

The recorder hears calls, not which function made them. So the authorizer and the jobs are
invoked here as Lambda invokes them, and what they call is checked against their own policies.
Everything else the suite drives goes through the API function and is checked against its
policy; the authorizer runs inside those requests (chalice's local gateway), and its reads
are the API's reads too.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from chalicelib import aws
from chalicelib.clock import FixedClock
from chalicelib.signing.seal_keys import SEAL_TAG
from tests.conftest import Api, data_url, last_code, send_as_of, signature_png, upload
from tests.integration.conftest import Need, ProdPolicy, Recorder, policy_values, values_of_settings
from tests.integration.templates import app_settings, logical_id, policy_file

FUNCTIONS = ("api_handler", "token_authorizer", "send_reminders", "obtain_time_stamps", "send_bulk", "deliver_webhooks",
             "dispatch_webhooks")
# The only actions allowed on "*": none of them has a resource to name.
WITHOUT_RESOURCE = {
    "sns:Publish",  # to a phone number (SMS) there is no topic ARN
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
# A deployment as the stateful stack's outputs describe one.
VALUES = policy_values("app-main", "app-documents", "arn:aws:kms:eu-west-1:123456789012:key/data",
                       "arn:aws:kms:eu-west-1:123456789012:key/seal", "eu-west-1_pool",
                       "arn:aws:secretsmanager:eu-west-1:123456789012:secret:otp-AbCdEf", "noreply@kantoor.example")
TABLE, BUCKET, QUEUE = VALUES["TableArn"], VALUES["DocumentsBucketArn"], VALUES["BulkSendQueueArn"]
HOOKS = VALUES["WebhookQueueArn"]
SENDER = VALUES["SenderIdentityArn"]
# Where an SMS must never go: the operator's topics, anybody's topic, a mobile push endpoint.
TOPICS = ("arn:aws:sns:eu-west-1:123456789012:signing-portal-stateful-AlarmTopic-AbC123",
          "arn:aws:sns:eu-west-1:123456789012:signing-portal-stateful-MailFeedbackTopic-AbC123",
          "arn:aws:sns:us-east-1:999999999999:someone-elses-topic",
          "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/portal/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
UTC = timezone.utc
# The one condition a policy may have: the resource's seal tag names the app stack (infra/stateful.yaml).
SEAL_KEY_CONDITION = {"StringEquals": {f"aws:ResourceTag/{SEAL_TAG}": "${AWS::StackName}"}}
# And the webhook worker's: the data key opens the webhook secrets only, not a receipt or a signature.
WEBHOOK_SECRET_CONDITION = {"StringEquals": {"kms:EncryptionContext:purpose": "webhook_secret"}}
WEBHOOK_SECRET = {"kms:EncryptionContext:purpose": "webhook_secret"}
SEAL_TAGS = {SEAL_TAG: "signing-portal"}  # how the stateful stack tags the seal keys of the app stack in VALUES


def policy_of(function: str) -> ProdPolicy:
    return ProdPolicy(json.loads(policy_file(function).read_text(encoding="utf-8")))


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _fmt(needs: list[Need]) -> str:
    return "\n".join(f"  {n.action} on {n.resource} (for {n.call})" for n in needs)


def _refuses_all(policy: ProdPolicy, forbidden: list[tuple[str, str]]) -> None:
    allowed = [(action, resource) for action, resource in forbidden if policy.allows(action, resource)]
    assert not allowed, f"allowed but never needed: {allowed}"


def _context(function: str) -> Any:
    return SimpleNamespace(aws_request_id="0f1e2d3c-iam-test", function_name=f"signing-portal-{logical_id(function)}")


def _scheduled(function: str, time: str) -> dict[str, Any]:
    """The event EventBridge hands a scheduled function."""
    return {"version": "0", "id": "iam-test", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": time, "region": "eu-west-1",
            "resources": [f"arn:aws:events:eu-west-1:123456789012:rule/signing-portal-{logical_id(function)}"], "detail": {}}


def _sign(api: Api, advisor: str, signer: dict[str, Any], backend: Any) -> str:
    """A document sent for signing and signed by `signer`, as the dashboard and the portal do it; the request's id."""
    document = upload(api, advisor).json["id"]
    message = api.post("/advisor/messages", advisor, {
        "client_id": signer["id"], "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
        "response_type": "sign", "document_ids": [document]}, headers={"Idempotency-Key": f"flow-{document}"})
    assert message.status_code == 201, message.body
    request_id = str(message.json["signing"]["id"])
    client = signer["token"]
    assert api.get(f"/portal/signing-requests/{request_id}", client).status_code == 200
    assert api.post(f"/portal/signing-requests/{request_id}/otp", client).status_code == 202
    verified = api.post(f"/portal/signing-requests/{request_id}/otp/verify", client,
                        {"code": last_code(backend, signer["phone"])})
    assert verified.status_code == 200, verified.body
    signed = api.post(f"/portal/signing-requests/{request_id}/sign", client,
                      {"signature_image": data_url(signature_png()), "city": "Haarlem"},
                      headers={"Idempotency-Key": f"sign-{request_id}"})
    assert signed.status_code == 200, signed.body
    return request_id


def _pending_stamps() -> set[str]:
    """The signing requests whose receipt still waits for its time stamp (read by the test, not by a function)."""
    return {pending.request_id for pending in aws.ports().signing.pending_stamps(10_000)}


# --- What the policies say -------------------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_policy_names_a_wildcard_action_or_a_wildcard_resource_beyond_what_its_actions_require(function: str):
    for statement in policy_of(function).statements:
        actions, resources = _listed(statement["Action"]), _listed(statement["Resource"])
        assert "NotAction" not in statement and "NotResource" not in statement, statement["Sid"]
        assert statement.get("Condition", SEAL_KEY_CONDITION) in (SEAL_KEY_CONDITION, WEBHOOK_SECRET_CONDITION), \
            "the checks here evaluate these"
        assert all("*" not in action and "?" not in action for action in actions), statement["Sid"]
        if statement["Effect"] == "Deny":
            continue  # a deny only takes away: its wildcard is the point
        assert statement["Effect"] == "Allow", statement["Sid"]
        if "*" in resources:
            assert resources == ["*"] and set(actions) <= WITHOUT_RESOURCE, statement["Sid"]
        else:
            # Every other resource is one of the stack's own (a placeholder filled at deploy).
            assert all(r.startswith(("${", "arn:${AWS::Partition}:")) for r in resources), statement["Sid"]


def test_the_api_may_text_a_phone_number_but_no_function_may_publish_to_a_topic_or_an_endpoint():
    for function in FUNCTIONS:
        policy = policy_of(function).resolved(VALUES)
        # moto's IAM evaluator is a second, independent reading of the same document.
        simulated = IAMPolicy(json.dumps(policy.document))
        for topic in TOPICS:
            assert not policy.allows("sns:Publish", topic), (function, topic)
            assert simulated.is_action_permitted("sns:Publish", topic) != PermissionResult.PERMITTED, (function, topic)
        texts = function == "api_handler"  # an SMS to a phone number is authorised on "*"
        assert policy.allows("sns:Publish", "*") is texts, function
        assert (simulated.is_action_permitted("sns:Publish", "*") == PermissionResult.PERMITTED) is texts, function


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_writes_only_its_own_logs(function: str):
    policy = policy_of(function).resolved(VALUES)

    def stream(name: str) -> str:
        return f"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/signing-portal-{logical_id(name)}:log-stream:x"

    assert policy.allows("logs:PutLogEvents", stream(function))
    for other in set(FUNCTIONS) - {function}:
        assert not policy.allows("logs:PutLogEvents", stream(other)), other


def test_the_api_policy_refuses_what_the_app_must_never_do():
    _refuses_all(policy_of("api_handler").resolved(VALUES), [
        # The app never deletes an item of the main table (grep: no delete in chalicelib/store).
        ("dynamodb:DeleteItem", TABLE), ("dynamodb:BatchWriteItem", TABLE), ("dynamodb:Scan", TABLE),
        ("dynamodb:DeleteTable", TABLE), ("dynamodb:PutItem", TABLE + "-other"),
        # A step's items are read together from the table; never from an index or another table.
        ("dynamodb:BatchGetItem", f"{TABLE}/index/gsi1"), ("dynamodb:BatchGetItem", TABLE + "-other"),
        ("s3:DeleteObject", f"{BUCKET}/tenants/t1/documents/d1"), ("s3:DeleteObjectVersion", f"{BUCKET}/tenants/x"),
        ("s3:BypassGovernanceRetention", f"{BUCKET}/tenants/x"), ("s3:GetObject", f"{BUCKET}/elsewhere/x"),
        ("s3:PutBucketPolicy", BUCKET), ("kms:Sign", VALUES["DataKeyArn"]), ("kms:Decrypt", VALUES["SealKeyArn"]),
        ("kms:ScheduleKeyDeletion", VALUES["SealKeyArn"]), ("cognito-idp:DeleteUserPool", VALUES["UserPoolArn"]),
        ("cognito-idp:AdminUpdateUserAttributes", VALUES["UserPoolArn"]),
        ("secretsmanager:PutSecretValue", VALUES["OtpSecretArn"]), ("sns:CreateTopic", "*"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:123456789012:identity/someone@else.example"),
        ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/other-app:log-stream:x"),
    ])


def test_the_api_may_seal_with_every_key_its_stack_tagged_as_a_seal_key_and_with_no_other():
    policy = policy_of("api_handler").resolved(VALUES)
    rotated_in = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-made-by-a-rotation"
    for action in ("kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"):
        assert policy.allows(action, VALUES["SealKeyArn"], SEAL_TAGS), action
        assert policy.allows(action, rotated_in, SEAL_TAGS), action  # no deploy after a rotation
        for tags in ({}, {SEAL_TAG: "another-app-stack"}, {"application": "signing-portal"}):
            assert not policy.allows(action, rotated_in, tags), (action, tags)
        assert not policy.allows(action, VALUES["DataKeyArn"]), action
        for elsewhere in ("arn:aws:kms:eu-west-1:999999999999:key/x", "arn:aws:kms:us-east-1:123456789012:key/x",
                          "arn:aws:kms:eu-west-1:123456789012:alias/signing-portal-stateful-seal"):
            assert not policy.allows(action, elsewhere, SEAL_TAGS), (action, elsewhere)
    # Tagged or not, a key is not the API's to make, change, hand out or use otherwise: rotating is the operator's.
    for action in ("kms:CreateKey", "kms:TagResource", "kms:UntagResource", "kms:PutKeyPolicy", "kms:CreateGrant",
                   "kms:UpdateAlias", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:Decrypt", "kms:GenerateDataKey"):
        assert not policy.allows(action, rotated_in, SEAL_TAGS), action
        assert not policy.allows(action, "*", SEAL_TAGS), action


def test_after_a_rotation_the_api_seals_with_the_new_key_under_its_policy_but_could_not_with_an_untagged_key(
        api: Api, firm: dict[str, Any], signer: dict[str, Any], backend, aws_calls: Recorder, prod_policy: ProdPolicy):
    from chalicelib.signing.seal_keys import rotate_seal_key

    rotated_in = rotate_seal_key(aws.ports())["key_id"]  # what the operator's command does, with the operator's rights
    with aws_calls.capture() as needs:
        request_id = _sign(api, firm["token"], signer, backend)
        evidence = api.get(f"/advisor/signing-requests/{request_id}/evidence", firm["token"]).json
    assert evidence["seal"]["key_id"] == rotated_in
    assert {n.resource for n in needs if n.action == "kms:Sign"} == {rotated_in}
    policy = prod_policy.resolved(values_of_settings())
    refused = policy.refused(needs)  # with the tags moto holds: the rotation copied them
    assert not refused, "the API's policy refuses:\n" + _fmt(refused)
    untagged = aws.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    assert [n.resource for n in policy.refused([Need("kms:Sign", untagged, "kms:Sign")])] == [untagged]


def test_the_authorizer_may_only_read_a_person_from_the_table_by_key():
    policy = policy_of("token_authorizer").resolved(VALUES)
    assert policy.allows("dynamodb:GetItem", TABLE)
    # It checks the token's signature against the pool's public keys over HTTPS: no IAM at all.
    _refuses_all(policy, [
        ("dynamodb:Query", TABLE), ("dynamodb:PutItem", TABLE), ("dynamodb:UpdateItem", TABLE), ("dynamodb:DeleteItem", TABLE),
        ("dynamodb:Scan", TABLE), ("dynamodb:Query", f"{TABLE}/index/gsi1"),
        ("dynamodb:BatchGetItem", TABLE), ("s3:GetObject", f"{BUCKET}/tenants/x"),
        ("kms:Decrypt", VALUES["DataKeyArn"]), ("kms:Sign", VALUES["SealKeyArn"]),
        ("cognito-idp:InitiateAuth", VALUES["UserPoolArn"]), ("cognito-idp:AdminGetUser", VALUES["UserPoolArn"]),
        ("ses:SendEmail", SENDER), ("sns:Publish", "*"), ("secretsmanager:GetSecretValue", VALUES["OtpSecretArn"]),
    ])


def test_the_reminder_job_may_only_move_messages_along_and_send_mail():
    policy = policy_of("send_reminders").resolved(VALUES)
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert policy.allows(action, TABLE), action
    assert policy.allows("dynamodb:Query", f"{TABLE}/index/gsi2") and policy.allows("ses:SendEmail", SENDER)
    _refuses_all(policy, [
        ("dynamodb:DeleteItem", TABLE), ("dynamodb:ConditionCheckItem", TABLE), ("dynamodb:Scan", TABLE),
        ("dynamodb:Query", TABLE), ("dynamodb:Query", f"{TABLE}/index/gsi1"),
        ("dynamodb:BatchGetItem", TABLE), ("s3:GetObject", f"{BUCKET}/tenants/x"),
        ("s3:PutObject", f"{BUCKET}/tenants/x"), ("kms:GenerateDataKey", VALUES["DataKeyArn"]),
        ("kms:Decrypt", VALUES["DataKeyArn"]), ("kms:Sign", VALUES["SealKeyArn"]),
        ("cognito-idp:AdminCreateUser", VALUES["UserPoolArn"]), ("sns:Publish", "*"),
        ("secretsmanager:GetSecretValue", VALUES["OtpSecretArn"]),
    ])


def test_the_time_stamp_job_may_only_find_pending_stamps_and_put_each_on_its_receipt():
    policy = policy_of("obtain_time_stamps").resolved(VALUES)
    assert policy.allows("dynamodb:Query", f"{TABLE}/index/gsi2") and policy.allows("dynamodb:UpdateItem", TABLE)
    # It reaches the authority over HTTPS, which needs no IAM; of AWS it needs the table, its logs and traces.
    services = {action.split(":")[0] for s in policy.statements for action in _listed(s["Action"])}
    assert services == {"dynamodb", "logs", "xray"}, services
    _refuses_all(policy, [
        # It reads no receipt by key and writes no new item: it only adds a token to a receipt it found.
        ("dynamodb:GetItem", TABLE), ("dynamodb:BatchGetItem", TABLE), ("dynamodb:PutItem", TABLE),
        ("dynamodb:DeleteItem", TABLE), ("dynamodb:BatchWriteItem", TABLE), ("dynamodb:ConditionCheckItem", TABLE),
        ("dynamodb:Scan", TABLE), ("dynamodb:Query", TABLE), ("dynamodb:Query", f"{TABLE}/index/gsi1"),
        ("dynamodb:UpdateItem", f"{TABLE}/index/gsi2"), ("dynamodb:UpdateItem", TABLE + "-other"),
        # A receipt's ciphertext stays sealed to it: no data key, no seal key, no bucket.
        ("kms:Decrypt", VALUES["DataKeyArn"]), ("kms:GenerateDataKey", VALUES["DataKeyArn"]),
        ("kms:Sign", VALUES["SealKeyArn"]), ("kms:GetPublicKey", VALUES["SealKeyArn"]), ("kms:Decrypt", "*"),
        ("s3:GetObject", f"{BUCKET}/tenants/x"), ("s3:PutObject", f"{BUCKET}/tenants/x"), ("s3:ListBucket", BUCKET),
        ("sns:Publish", "*"), ("ses:SendEmail", SENDER), ("secretsmanager:GetSecretValue", VALUES["OtpSecretArn"]),
        ("cognito-idp:AdminGetUser", VALUES["UserPoolArn"]),
    ])


def test_the_bulk_worker_may_send_messages_and_read_its_queue_but_touches_no_document_key_or_phone():
    policy = policy_of("send_bulk").resolved(VALUES)
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):  # its event source
        assert policy.allows(action, QUEUE), action
    assert policy.allows("ses:SendEmail", SENDER) and policy.allows("dynamodb:ConditionCheckItem", TABLE)
    assert policy.allows("sqs:SendMessage", QUEUE)  # a job short of time hands the rest of its chunk back
    _refuses_all(policy, [
        ("sqs:SendMessage", QUEUE + "-dlq"), ("sqs:PurgeQueue", QUEUE), ("sqs:DeleteQueue", QUEUE),
        ("sqs:ReceiveMessage", QUEUE + "-dlq"), ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:123456789012:other"),
        ("dynamodb:DeleteItem", TABLE), ("dynamodb:BatchWriteItem", TABLE), ("dynamodb:Scan", TABLE),
        ("dynamodb:Query", f"{TABLE}/index/gsi1"), ("s3:GetObject", f"{BUCKET}/tenants/x"),
        ("s3:PutObject", f"{BUCKET}/tenants/x"), ("kms:Decrypt", VALUES["DataKeyArn"]),
        ("kms:Sign", VALUES["SealKeyArn"]), ("sns:Publish", "*"), ("cognito-idp:AdminGetUser", VALUES["UserPoolArn"]),
        ("secretsmanager:GetSecretValue", VALUES["OtpSecretArn"]),
    ])
    # The API and the hourly job put jobs on the queue; neither reads it.
    for function in ("api_handler", "send_reminders"):
        other = policy_of(function).resolved(VALUES)
        assert other.allows("sqs:SendMessage", QUEUE), function
        _refuses_all(other, [("sqs:ReceiveMessage", QUEUE), ("sqs:DeleteMessage", QUEUE),
                             ("sqs:SendMessage", QUEUE + "-dlq")])


def test_the_webhook_functions_may_deliver_and_dispatch_and_nothing_beyond():
    worker = policy_of("deliver_webhooks").resolved(VALUES)
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"):
        assert worker.allows(action, HOOKS), action
    assert worker.allows("kms:Decrypt", VALUES["DataKeyArn"], context=WEBHOOK_SECRET)  # the sealed signing secrets
    assert not worker.allows("kms:Decrypt", VALUES["DataKeyArn"])  # a receipt's or a signature's data key
    assert not worker.allows("kms:Decrypt", VALUES["DataKeyArn"], context={"kms:EncryptionContext:purpose": "receipt"})
    _refuses_all(worker, [
        ("kms:GenerateDataKey", VALUES["DataKeyArn"]), ("kms:Sign", VALUES["SealKeyArn"]),
        ("sqs:ReceiveMessage", QUEUE), ("sqs:SendMessage", QUEUE), ("dynamodb:Query", TABLE),
        ("dynamodb:Query", f"{TABLE}/index/gsi2"), ("dynamodb:DeleteItem", TABLE), ("dynamodb:Scan", TABLE),
        ("s3:GetObject", f"{BUCKET}/tenants/x"), ("sns:Publish", "*"), ("cognito-idp:AdminGetUser", VALUES["UserPoolArn"]),
        ("secretsmanager:GetSecretValue", VALUES["OtpSecretArn"]),
    ])
    dispatcher = policy_of("dispatch_webhooks").resolved(VALUES)
    assert dispatcher.allows("dynamodb:Query", f"{TABLE}/index/gsi2") and dispatcher.allows("sqs:SendMessage", HOOKS)
    _refuses_all(dispatcher, [
        ("kms:Decrypt", VALUES["DataKeyArn"]), ("sqs:ReceiveMessage", HOOKS), ("sqs:SendMessage", QUEUE),
        ("ses:SendEmail", SENDER), ("dynamodb:GetItem", TABLE), ("dynamodb:DeleteItem", TABLE),
        ("s3:GetObject", f"{BUCKET}/tenants/x"), ("sns:Publish", "*"),
    ])


# --- What the code asks, function by function ------------------------------------------------------

def test_every_aws_call_the_authorizer_makes_is_allowed_by_its_own_policy(
        firm: dict[str, Any], signer: dict[str, Any], aws_calls: Recorder):
    from chalicelib.api.security import token_authorizer

    method = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/api/GET/advisor/me"
    with aws_calls.capture() as needs:
        answers = [token_authorizer({"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": method},
                                    _context("token_authorizer")) for token in (firm["token"], signer["token"])]
    assert [a["policyDocument"]["Statement"][0]["Effect"] for a in answers] == ["Allow", "Allow"]
    assert "dynamodb:GetItem" in {n.action for n in needs}
    refused = policy_of("token_authorizer").resolved(values_of_settings()).refused(needs)
    assert not refused, "the authorizer's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_of_a_reminder_run_is_allowed_by_the_jobs_own_policy(api: Api, firm: dict[str, Any],
                                                                           aws_calls: Recorder):
    from app import send_reminders

    send_as_of(api, firm, datetime(2026, 12, 1, 9, tzinfo=UTC), "2026-12-06", "sign")  # its D-3 reminder is due
    send_as_of(api, firm, datetime(2026, 11, 28, 9, tzinfo=UTC), "2026-12-02", "approve")  # overdue
    aws.use_clock(FixedClock(datetime(2026, 12, 3, 8, 30, tzinfo=UTC)))
    try:
        with aws_calls.capture() as needs:
            result = send_reminders(_scheduled("send_reminders", "2026-12-03T08:30:00Z"), _context("send_reminders"))
    finally:
        aws.use_clock(None)
    assert result["reminders_sent"] >= 1 and result["overdue_notices"] >= 1, result
    assert {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "ses:SendEmail"} <= {n.action for n in needs}
    refused = policy_of("send_reminders").resolved(values_of_settings()).refused(needs)
    assert not refused, "the reminder job's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_of_a_time_stamp_run_is_allowed_by_the_jobs_own_policy(
        api: Api, firm: dict[str, Any], signer: dict[str, Any], backend, aws_calls: Recorder):
    from app import obtain_time_stamps
    from local.tsa import LocalTsa

    with app_settings({"TSA_URL": ""}):  # the authority is down: the signature completes, its stamp pending
        request_id = _sign(api, firm["token"], signer, backend)
    assert request_id in _pending_stamps()
    with LocalTsa() as authority, app_settings({"TSA_URL": authority.url,
                                                "TSA_CERTIFICATE_CHAIN": "".join(authority.chain_pem)}), \
            aws_calls.capture() as needs:
        while request_id in _pending_stamps():  # a run takes the oldest first, a batch at a time
            result = obtain_time_stamps(_scheduled("obtain_time_stamps", "2026-12-03T08:35:00Z"),
                                        _context("obtain_time_stamps"))
            assert result["stamped"] > 0 and result["pending"] == 0, result
    # A Query of the pending-stamps index, then one conditional UpdateItem per stamp: no receipt read by key.
    assert {n.action for n in needs} == {"dynamodb:Query", "dynamodb:UpdateItem"}, sorted(needs, key=str)
    refused = policy_of("obtain_time_stamps").resolved(values_of_settings()).refused(needs)
    assert not refused, "the time-stamp job's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_of_a_bulk_job_is_allowed_by_the_workers_own_policy(
        api: Api, firm: dict[str, Any], aws_calls: Recorder, prod_policy: ProdPolicy):
    from app import send_bulk
    from chalicelib.config import get_settings
    from local.queue import LambdaContext, QueuePoller, sqs_event

    tenant = firm["tenant"].id.lower()
    from tests.api.test_bulk_sends import drain

    drain()  # what earlier tests left on the shared queue is theirs
    clients = [api.post("/advisor/clients", firm["token"], {"name": f"Bulk{n} Iam", "email": f"bulk{n}-{tenant}@example.com",
                                                           **({"phone": "+31612345670"} if n else {})}).json
               for n in range(2)]
    document = upload(api, firm["token"]).json["id"]
    with aws_calls.capture() as posting:
        accepted = api.post("/advisor/bulk-sends", firm["token"], {
            "subject": "Aangifte {{naam}}", "body": "Graag tekenen.", "response_type": "sign", "document_ids": [document],
            "recipients": [{"client_id": c["id"]} for c in clients]})
    assert accepted.status_code == 202, accepted.body
    assert not prod_policy.resolved(values_of_settings()).refused(posting)
    assert "sqs:SendMessage" in {n.action for n in posting}
    queue = QueuePoller(aws.client("sqs"), get_settings().bulk_send_queue_url)
    jobs = [m for m in queue.receive() if accepted.json["id"] in m["Body"]]
    assert len(jobs) == 1, "the queue holds other jobs: an earlier test left them undrained"
    with aws_calls.capture() as needs:
        for job in jobs:
            send_bulk(sqs_event(job, queue.queue_arn), LambdaContext(function_name="signing-portal-SendBulk"))
    for job in jobs:
        queue.deliver(job)  # nothing twice; deleted
    view = api.get(f"/advisor/bulk-sends/{accepted.json['id']}", firm["token"]).json
    assert (view["sent"], view["failed"]) == (1, 1), view  # the one without a phone fails
    assert {"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem",
            "dynamodb:Query", "ses:SendEmail"} <= {n.action for n in needs}
    refused = policy_of("send_bulk").resolved(values_of_settings()).refused(needs)
    assert not refused, "the bulk worker's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_of_a_webhook_dispatch_and_delivery_is_allowed_by_those_functions_own_policies(
        api: Api, firm: dict[str, Any], aws_calls: Recorder, prod_policy: ProdPolicy):
    from app import deliver_webhooks, dispatch_webhooks
    from chalicelib.config import get_settings
    from local.queue import LambdaContext, QueuePoller, sqs_event
    from tests.api.test_webhooks import Receiver

    QueuePoller(aws.client("sqs"), get_settings().webhook_queue_url, "deliver_webhooks").drain()
    receiver, failing = Receiver(), Receiver()
    failing.answers = [500]
    try:
        for hook in (receiver, failing):
            assert api.post("/advisor/webhooks", firm["token"], {"url": hook.url, "events": ["message.sent"]}).status_code == 201
        client = api.post("/advisor/clients", firm["token"], {"name": "Iam Webhook",
                                                               "email": f"iam-{firm['tenant'].id.lower()}@example.com"}).json
        assert api.post("/advisor/messages", firm["token"], {"client_id": client["id"], "subject": "Info", "body": "-",
                                                              "response_type": "none"}).status_code == 201
        with aws_calls.capture() as dispatching:
            dispatch_webhooks(_scheduled("dispatch_webhooks", "2026-12-03T08:36:00Z"), _context("dispatch_webhooks"))
        queue = QueuePoller(aws.client("sqs"), get_settings().webhook_queue_url, "deliver_webhooks")
        jobs = queue.receive()
        assert len(jobs) == 2
        with aws_calls.capture() as delivering:
            for job in jobs:
                deliver_webhooks(sqs_event(job, queue.queue_arn), LambdaContext(function_name="signing-portal-DeliverWebhooks"))
        for job in jobs:
            queue.deliver(job)
        assert len(receiver.requests) == 1 and len(failing.requests) == 1
    finally:
        receiver.server.shutdown()
        failing.server.shutdown()
    assert {"dynamodb:Query", "sqs:SendMessage", "dynamodb:PutItem"} <= {n.action for n in dispatching}
    assert {"kms:Decrypt", "dynamodb:GetItem", "dynamodb:UpdateItem", "sqs:SendMessage"} <= {n.action for n in delivering}
    values = values_of_settings()
    refused = policy_of("dispatch_webhooks").resolved(values).refused(dispatching)
    assert not refused, "the dispatcher's policy refuses:\n" + _fmt(refused)
    refused = policy_of("deliver_webhooks").resolved(values).refused(delivering)
    assert not refused, "the webhook worker's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_of_a_whole_signing_flow_is_allowed_by_the_api_policy(
        api: Api, firm: dict[str, Any], signer: dict[str, Any], backend, aws_calls: Recorder, prod_policy: ProdPolicy):
    advisor = firm["token"]
    with aws_calls.capture() as needs:
        api.login(firm["advisor_email"], "Adviseur-test-2026!")
        request_id = _sign(api, advisor, signer, backend)
        receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", advisor).json
        assert receipt["verification"]["seal_valid"] is True
    actions = {n.action for n in needs}
    # The recorder saw the calls that matter (codes and keys fetched once per process may come earlier).
    assert {"cognito-idp:InitiateAuth", "s3:PutObject", "s3:GetObject", "kms:GenerateDataKey", "kms:Decrypt",
            "kms:Sign", "ses:SendEmail", "sns:Publish", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"} <= actions, sorted(actions)
    refused = prod_policy.resolved(values_of_settings()).refused(needs)
    assert not refused, "the API's policy refuses:\n" + _fmt(refused)


def test_every_aws_call_the_whole_suite_made_is_allowed_by_the_prod_policy(aws_calls: Recorder, prod_policy: ProdPolicy,
                                                                              backend):
    # Runs last (see conftest): by then every test of the session has driven the app. Under
    # pytest-xdist it sees only the calls of its own worker. `prod_policy` is the API's.
    assert not aws_calls.unmapped, f"calls the recorder cannot map to IAM actions yet: {sorted(aws_calls.unmapped)}"
    assert aws_calls.needs, "no call was recorded: is the recorder installed?"
    refused = prod_policy.resolved(values_of_settings()).refused(aws_calls.needs)
    assert not refused, "the API's policy refuses:\n" + _fmt(refused)
