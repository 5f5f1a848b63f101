"""infra/stateful.yaml deployed into moto's CloudFormation, and a whole signing flow on what it created."""

from __future__ import annotations

import json
import secrets
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from chalicelib.ids import new_id
from tests.conftest import Api, activate_client, random_mobile, sign_request, upload
from tests.integration.conftest import PLACEHOLDER, ProdPolicy, Recorder
from tests.integration.templates import PROD, STATEFUL, app_settings, load_template, policy_file


@pytest.fixture(scope="module")
def stateful() -> dict[str, Any]:
    return load_template(STATEFUL)


# moto 5.2 has no CloudFormation model for these types. They stay out of the copy sent to moto
# (cfn-lint checks them, in test_infra.py); those the app uses are made below with the API, from
# the template's own properties.
NO_MOTO_MODEL = {
    "AWS::S3::BucketPolicy", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::SecretsManager::Secret",
    "AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination", "AWS::SES::EmailIdentity",
    "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::SQS::QueuePolicy",
}
# What EventBridge hands a scheduled function.
SCHEDULED = {"version": "0", "id": "stack-test", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2026-12-03T08:35:00Z", "region": "eu-west-1", "resources": [], "detail": {}}
# moto's AWS::KMS::Key model makes every key SYMMETRIC_DEFAULT, ignoring KeySpec and KeyUsage: such
# a seal key cannot sign. The seal key (and its alias, which points at it) is made with the API.
MADE_WITH_THE_API = {"SealKey", "SealKeyAlias"}


def _sub(value: Any, names: dict[str, str]) -> Any:
    """Resolve the `Fn::Sub`s of a key policy (all it uses) for the keys made with the API."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"}:
            return PLACEHOLDER.sub(lambda m: names[m.group(1)], value["Fn::Sub"])
        return {k: _sub(v, names) for k, v in value.items()}
    return [_sub(v, names) for v in value] if isinstance(value, list) else value


def _repair_key_policies(stack_name: str) -> None:
    """moto's AWS::KMS::Key model stores KeyPolicy as a dict where its API expects JSON text, so
    every later call on the key fails in moto's policy check (json.loads of a dict). The moto
    server runs in this process (tests/conftest.py): serialise the stored policies in place."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.kms.models import kms_backends

    backend = kms_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    resources = boto3.session.Session(region_name="eu-west-1").client("cloudformation").describe_stack_resources(
        StackName=stack_name)["StackResources"]
    for resource in resources:
        key = backend.keys.get(resource["PhysicalResourceId"]) if resource["ResourceType"] == "AWS::KMS::Key" else None
        if key is not None and isinstance(key.policy, dict):
            key.policy = json.dumps(key.policy)


def _for_moto(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    copy = json.loads(json.dumps(template))
    left_out = {k for k, r in copy["Resources"].items() if r["Type"] in NO_MOTO_MODEL} | MADE_WITH_THE_API
    copy["Resources"] = {k: r for k, r in copy["Resources"].items() if k not in left_out}

    def mentions_left_out(value: Any) -> bool:
        text = json.dumps(value)
        return any(f'"{k}"' in text or f"${{{k}" in text for k in left_out)

    copy["Outputs"] = {k: o for k, o in copy["Outputs"].items() if not mentions_left_out(o["Value"])}
    return copy, left_out


def _made_with_the_api(session: boto3.Session, template: dict[str, Any], stack: str,
                       parameters: dict[str, str]) -> dict[str, str]:
    """What the real stack would also have made; the outputs it would have given for it."""
    def props(logical_id: str) -> dict[str, Any]:
        return template["Resources"][logical_id]["Properties"]

    seal = props("SealKey")
    policy = _sub(seal["KeyPolicy"], {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", **parameters})
    tags = [{"TagKey": t["Key"], "TagValue": parameters[t["Value"]["Ref"]]} for t in seal["Tags"]]
    seal_key = session.client("kms").create_key(Description=seal["Description"], KeySpec=seal["KeySpec"],
                                                KeyUsage=seal["KeyUsage"], Policy=json.dumps(policy),
                                                Tags=tags)["KeyMetadata"]["Arn"]
    cognito = session.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=stack, **props("UserPool"))["UserPool"]
    client = {k: v for k, v in props("UserPoolClient").items() if k != "UserPoolId"}
    client_id = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="portal", **client)["UserPoolClient"]
    # GenerateSecretString exists in CloudFormation only; the API takes the value itself.
    otp = session.client("secretsmanager").create_secret(Name=f"{stack}-otp", SecretString=secrets.token_hex(32))["ARN"]
    sender = parameters["SenderEmail"]
    session.client("ses").verify_email_identity(EmailAddress=sender)
    arn = "arn:aws:{}:eu-west-1:123456789012:{}".format
    return {
        "SealKeyId": seal_key, "SealKeyArn": seal_key, "UserPoolId": pool["Id"], "UserPoolArn": pool["Arn"],
        "UserPoolClientId": client_id["ClientId"], "OtpSecretId": otp, "OtpSecretArn": otp,
        "SenderIdentityArn": arn("ses", f"identity/{sender}"),
        "MailConfigurationSetArn": arn("ses", f"configuration-set/{stack}-mail"),
    }


def _complete_what_moto_skips(session: boto3.Session, template: dict[str, Any], parameters: dict[str, str],
                              outputs: dict[str, str]) -> None:
    """Properties that moto's models read past, applied with the API from the template's values."""
    def props(logical_id: str) -> dict[str, Any]:
        return template["Resources"][logical_id]["Properties"]

    dynamodb = session.client("dynamodb")
    # moto's Table model ignores TimeToLiveSpecification and PointInTimeRecoverySpecification.
    table, name = props("MainTable"), outputs["TableName"]
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=table["TimeToLiveSpecification"])
    dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification=table["PointInTimeRecoverySpecification"])
    # moto's Bucket model applies BucketEncryption (but not its BucketKeyEnabled) and Tags, nothing else.
    bucket, s3 = props("DocumentsBucket"), session.client("s3")
    name = outputs["DocumentsBucket"]
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=bucket["VersioningConfiguration"])
    retention = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {
        "DefaultRetention": {"Mode": parameters[retention["Mode"]["Ref"]], "Years": int(parameters[retention["Years"]["Ref"]])}}})
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs["DataKeyArn"]},
        "BucketKeyEnabled": rule["BucketKeyEnabled"]}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=bucket["PublicAccessBlockConfiguration"])


@pytest.fixture(scope="module")
def stack(backend, stateful) -> dict[str, Any]:
    """infra/stateful.yaml created by moto's CloudFormation (in the session's moto server); its outputs."""
    session = boto3.session.Session(region_name="eu-west-1")  # endpoint and keys: the backend's environment
    name, app_stack, sender = f"itest-{new_id().lower()[-8:]}", f"itest-app-{new_id().lower()[-8:]}", "noreply@stack.example"
    parameters = {"SenderEmail": sender, "AppStackName": app_stack, "RetentionYears": "7", "RetentionMode": "GOVERNANCE"}
    body, left_out = _for_moto(stateful)
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body),
                                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE", described.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    _repair_key_policies(name)
    outputs.update(_made_with_the_api(session, stateful, name, parameters))
    _complete_what_moto_skips(session, stateful, parameters, outputs)
    assert set(outputs) == set(stateful["Outputs"])
    return {"session": session, "outputs": outputs, "app_stack": app_stack, "left_out": left_out,
            "resources": {r["LogicalResourceId"] for r in cloudformation.describe_stack_resources(StackName=name)[
                "StackResources"]}}


def test_the_stateful_template_deploys_into_moto_with_what_signing_relies_on(stack, stateful):
    session, outputs = stack["session"], stack["outputs"]
    assert {"MainTable", "DataKey", "DocumentsBucket", "ApiHandlerLogGroup"} <= stack["resources"]
    # One table: Idempotency-Key records are items of it too (chalicelib/store/idempotency.py).
    # The retired idempotency table stays one release for the API that runs during the upgrade; no
    # function may use it any more (tests/integration/test_iam_policy.py: no policy names it).
    tables = [k for k, r in stateful["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables == ["MainTable", "IdempotencyTable"]
    assert "IdempotencyTable" not in json.dumps(stateful["Outputs"])
    assert stack["resources"] | stack["left_out"] == set(stateful["Resources"])
    dynamodb = session.client("dynamodb")
    table = dynamodb.describe_table(TableName=outputs["TableName"])["Table"]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {"gsi1": ["gsi1pk", "gsi1sk"], "gsi2": ["gsi2pk", "gsi2sk"]}
    assert table["DeletionProtectionEnabled"] is True and table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert dynamodb.describe_time_to_live(TableName=outputs["TableName"])["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    backups = dynamodb.describe_continuous_backups(TableName=outputs["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    s3, bucket = session.client("s3"), outputs["DocumentsBucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": outputs["DataKeyArn"]}
    assert rule["BucketKeyEnabled"] is True
    retention = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Years"]) == ("GOVERNANCE", 7)
    kms = session.client("kms")
    data_key = kms.describe_key(KeyId=outputs["DataKeyArn"])["KeyMetadata"]
    assert (data_key["KeySpec"], data_key["KeyUsage"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    for key, sid in ((outputs["DataKeyArn"], "AppRolesEncryptAndDecrypt"), (outputs["SealKeyArn"], "AppRolesSeal")):
        policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
        use = next(s for s in policy["Statement"] if s["Sid"] == sid)
        assert use["Condition"]["ArnLike"]["aws:PrincipalArn"] == f"arn:aws:iam::123456789012:role/{stack['app_stack']}-*"
    seal_key = kms.describe_key(KeyId=outputs["SealKeyArn"])["KeyMetadata"]
    assert (seal_key["KeySpec"], seal_key["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    pool = session.client("cognito-idp").describe_user_pool(UserPoolId=outputs["UserPoolId"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"] == stateful["Resources"]["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert pool["UsernameAttributes"] == ["email"]
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{stack['app_stack']}-")
    assert {g["retentionInDays"] for g in groups["logGroups"]} == {90}
    assert len(groups["logGroups"]) == len(PROD["lambda_functions"])  # one per function


def test_a_whole_signing_flow_and_its_late_time_stamp_run_on_the_stack_and_need_nothing_the_policies_withhold(
        stack, api: Api, backend, aws_calls: Recorder, prod_policy: ProdPolicy):
    from app import obtain_time_stamps
    from chalicelib import aws
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING
    from local.tsa import LocalTsa

    outputs = stack["outputs"]
    environment = {"TABLE_NAME": outputs["TableName"],
                   "DOCUMENTS_BUCKET": outputs["DocumentsBucket"], "DATA_KEY_ID": outputs["DataKeyId"],
                   "SEAL_KEY_ID": outputs["SealKeyId"], "USER_POOL_ID": outputs["UserPoolId"],
                   "USER_POOL_CLIENT_ID": outputs["UserPoolClientId"], "OTP_SECRET_ID": outputs["OtpSecretId"],
                   "SENDER_EMAIL": outputs["SenderEmail"], "BULK_SEND_QUEUE_URL": outputs["BulkSendQueueUrl"],
                   "WEBHOOK_QUEUE_URL": outputs["WebhookQueueUrl"],
                   "TSA_URL": ""}  # the authority is down while the client signs: the stamp waits for the job
    with app_settings(environment):
        tenant = tenants.create_tenant(aws.ports(), "Stapel & Partners", frozenset({SIGNING}))
        tenants.add_advisor(aws.ports(), tenant.id, "Stapel Adviseur", "adviseur@stapel.example", "Adviseur-stapel-2026!")
        with aws_calls.capture() as needs:
            firm = {"token": api.login("adviseur@stapel.example", "Adviseur-stapel-2026!")}
            client = api.post("/advisor/clients", firm["token"], {
                "name": "Eva de Jong", "email": f"eva-{new_id().lower()}@example.com", "phone": random_mobile()}).json
            token = activate_client(api, firm, backend, client)
            document = upload(api, firm["token"]).json["id"]
            message = api.post("/advisor/messages", firm["token"], {
                "client_id": client["id"], "subject": "Jaarrekening 2025", "body": "Graag ondertekenen.",
                "response_type": "sign", "document_ids": [document]}, headers={"Idempotency-Key": new_id()}).json
            request_id = message["signing"]["id"]
            signed = sign_request(api, backend, token, request_id, client["phone"])
            assert signed.status_code == 200, signed.body
            receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
        assert receipt["verification"] == {**receipt["verification"], "seal_valid": True, "document_intact": True}
        # The job finds the pending stamp on the stack's own index, under its own role.
        with LocalTsa() as authority, app_settings({"TSA_URL": authority.url,
                                                    "TSA_CERTIFICATE_CHAIN": "".join(authority.chain_pem)}), \
                aws_calls.capture() as stamping:
            run = obtain_time_stamps(SCHEDULED, SimpleNamespace(aws_request_id="stack-test",
                                                                function_name=f"{stack['app_stack']}-ObtainTimeStamps"))
        assert (run["stamped"], run["pending"]) == (1, 0), run

    s3 = stack["session"].client("s3")
    stored = s3.list_object_versions(Bucket=outputs["DocumentsBucket"], Prefix=f"tenants/{tenant.id}/")["Versions"]
    # The signature image travels inside the sealed receipt, so the bucket holds the document only.
    assert {v["Key"].split("/")[2] for v in stored} == {"documents"}
    values = {**outputs, "AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012",
              "AWS::StackName": stack["app_stack"]}
    assert {"kms:Sign", "s3:PutObject", "dynamodb:PutItem", "secretsmanager:GetSecretValue"} <= {n.action for n in needs}
    refused = prod_policy.resolved(values).refused(needs)
    assert not refused, "the prod policy, filled from the stack's outputs, refuses: " + repr(refused)
    assert {n.action for n in stamping} == {"dynamodb:Query", "dynamodb:UpdateItem"}
    stamp_policy = ProdPolicy(json.loads(policy_file("obtain_time_stamps").read_text(encoding="utf-8")))
    refused = stamp_policy.resolved(values).refused(stamping)
    assert not refused, "the time-stamp job's policy, filled from the stack's outputs, refuses: " + repr(refused)
