"""The prod policy (.chalice/policy-prod.json) allows exactly what the app's Lambda code asks of AWS.

The calls are the ones the code really makes, recorded by tests/integration/conftest.py while
the tests run; the policy's placeholders are filled with the ARNs of the resources those calls
went to. Conditions are not evaluated: the policy has none (asserted below).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, data_url, last_code, signature_png, upload
from tests.integration.conftest import Need, ProdPolicy, Recorder, policy_values, values_of_settings

# The only actions allowed on "*": none of them has a resource to name.
WITHOUT_RESOURCE = {
    "sns:Publish",  # to a phone number (SMS) there is no topic ARN
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


def _fmt(needs: list[Need]) -> str:
    return "\n".join(f"  {n.action} on {n.resource} (for {n.call})" for n in needs)


def test_the_prod_policy_names_no_wildcard_action_and_no_wildcard_resource_beyond_what_actions_require(
        prod_policy: ProdPolicy):
    for statement in prod_policy.statements:
        actions, resources = statement["Action"], statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert "Condition" not in statement, "the checks here do not evaluate conditions"
        assert all("*" not in action and "?" not in action for action in actions), statement["Sid"]
        if "*" in resources:
            assert resources == ["*"] and set(actions) <= WITHOUT_RESOURCE, statement["Sid"]
        else:
            # Every other resource is one of the stack's own (a placeholder filled at deploy).
            assert all(r.startswith(("${", "arn:${AWS::Partition}:")) for r in resources), statement["Sid"]


def test_the_policy_refuses_what_the_app_must_never_do(prod_policy: ProdPolicy):
    values = policy_values("app-main", "app-idempotency", "app-documents", "arn:aws:kms:eu-west-1:123456789012:key/data",
                           "arn:aws:kms:eu-west-1:123456789012:key/seal", "eu-west-1_pool",
                           "arn:aws:secretsmanager:eu-west-1:123456789012:secret:otp-AbCdEf", "noreply@kantoor.example")
    policy = prod_policy.resolved(values)
    table, bucket = values["TableArn"], values["DocumentsBucketArn"]
    for action, resource in [
        # The app never deletes an item of the main table (grep: no delete, no ConditionCheck in chalicelib).
        ("dynamodb:DeleteItem", table), ("dynamodb:ConditionCheckItem", table),
        ("dynamodb:Scan", table), ("dynamodb:DeleteTable", table), ("dynamodb:PutItem", table + "-other"),
        ("dynamodb:Query", values["IdempotencyTableArn"]),
        ("s3:DeleteObject", f"{bucket}/tenants/t1/documents/d1"), ("s3:DeleteObjectVersion", f"{bucket}/tenants/x"),
        ("s3:BypassGovernanceRetention", f"{bucket}/tenants/x"), ("s3:GetObject", f"{bucket}/elsewhere/x"),
        ("s3:PutBucketPolicy", bucket), ("kms:Sign", values["DataKeyArn"]), ("kms:Decrypt", values["SealKeyArn"]),
        ("kms:ScheduleKeyDeletion", values["SealKeyArn"]), ("cognito-idp:AdminDeleteUser", values["UserPoolArn"]),
        ("secretsmanager:PutSecretValue", values["OtpSecretArn"]), ("sns:CreateTopic", "*"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:123456789012:identity/someone@else.example"),
        ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/other-app:log-stream:x"),
    ]:
        assert not policy.allows(action, resource), (action, resource)


def test_every_aws_call_of_a_whole_signing_flow_is_allowed_by_the_prod_policy(
        api: Api, firm: dict[str, Any], signer: dict[str, Any], backend, aws_calls: Recorder, prod_policy: ProdPolicy):
    advisor, client = firm["token"], signer["token"]
    with aws_calls.capture() as needs:
        api.login(firm["advisor_email"], "Adviseur-test-2026!")
        document = upload(api, advisor).json["id"]
        message = api.post("/advisor/messages", advisor, {
            "client_id": signer["id"], "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
            "response_type": "sign", "document_ids": [document]}, headers={"Idempotency-Key": f"flow-{document}"})
        assert message.status_code == 201, message.body
        request_id = message.json["signing"]["id"]
        assert api.get(f"/portal/signing-requests/{request_id}", client).status_code == 200
        assert api.post(f"/portal/signing-requests/{request_id}/otp", client).status_code == 202
        verified = api.post(f"/portal/signing-requests/{request_id}/otp/verify", client,
                            {"code": last_code(backend, signer["phone"])})
        assert verified.status_code == 200, verified.body
        signed = api.post(f"/portal/signing-requests/{request_id}/sign", client,
                          {"signature_image": data_url(signature_png()), "city": "Haarlem"},
                          headers={"Idempotency-Key": f"sign-{request_id}"})
        assert signed.status_code == 200, signed.body
        receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", advisor).json
        assert receipt["verification"]["seal_valid"] is True
    actions = {n.action for n in needs}
    # The recorder saw the calls that matter (codes and keys fetched once per process may come earlier).
    assert {"cognito-idp:InitiateAuth", "s3:PutObject", "s3:GetObject", "kms:GenerateDataKey", "kms:Decrypt",
            "kms:Sign", "ses:SendEmail", "sns:Publish", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:GetItem", "dynamodb:Query"} <= actions, sorted(actions)
    refused = prod_policy.resolved(values_of_settings()).refused(needs)
    assert not refused, "the prod policy refuses:\n" + _fmt(refused)


def test_every_aws_call_the_whole_suite_made_is_allowed_by_the_prod_policy(aws_calls: Recorder, prod_policy: ProdPolicy,
                                                                              backend):
    # Runs last (see conftest): by then every test of the session has driven the app. Under
    # pytest-xdist it sees only the calls of its own worker.
    assert not aws_calls.unmapped, f"calls the recorder cannot map to IAM actions yet: {sorted(aws_calls.unmapped)}"
    assert aws_calls.needs, "no call was recorded: is the recorder installed?"
    refused = prod_policy.resolved(values_of_settings()).refused(aws_calls.needs)
    assert not refused, "the prod policy refuses:\n" + _fmt(refused)
