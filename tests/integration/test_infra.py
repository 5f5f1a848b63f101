"""The infrastructure: the templates lint clean and fit together, and the stateful template
deploys (into moto's CloudFormation) and carries a whole signing flow on what it created."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode

from chalicelib import problems
from chalicelib.config import load_settings
from chalicelib.ids import new_id
from tests.conftest import Api, activate_client, data_url, last_code, random_mobile, signature_png, upload
from tests.integration.conftest import PLACEHOLDER, ProdPolicy, Recorder

ROOT = Path(__file__).resolve().parents[2]
STATEFUL = ROOT / "infra" / "stateful.yaml"
GATEWAY_RESPONSES = ROOT / "infra" / "gateway-responses.json"
PROD = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))["stages"]["prod"]
BIN = Path(sys.executable).parent
CRYPTO = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:Sign", "kms:Verify")


def _load(path: Path) -> dict[str, Any]:
    template, problems_found = decode(str(path))  # intrinsics in their JSON form, as CloudFormation reads them
    assert not problems_found and template is not None, problems_found
    return json.loads(json.dumps(template))


def _lint(path: Path) -> None:
    answer = subprocess.run([str(BIN / "cfn-lint"), str(path)], capture_output=True, text=True, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr


@pytest.fixture(scope="module")
def stateful() -> dict[str, Any]:
    return _load(STATEFUL)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """infra/package.sh into a temporary folder: `chalice package` + the merge + the wiring (offline
    once the Lambda wheels are cached in .chalice/deployments)."""
    out = tmp_path_factory.mktemp("package") / "build"
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-1", "VENV_BIN": str(BIN)}
    answer = subprocess.run(["bash", str(ROOT / "infra" / "package.sh"), str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return out / "sam.json"


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


# --- Lint ---------------------------------------------------------------------------------------

def test_cfn_lint_passes_on_the_stateful_template():
    _lint(STATEFUL)


def test_cfn_lint_passes_on_the_gateway_responses_template():
    _lint(GATEWAY_RESPONSES)


def test_cfn_lint_passes_on_the_packaged_app_template(packaged: Path):
    _lint(packaged)


# --- The templates fit together ------------------------------------------------------------------

def test_every_parameter_of_the_app_template_is_a_stateful_output_except_the_portal_url(packaged: Path, stateful):
    parameters = set(json.loads(packaged.read_text())["Parameters"])
    assert parameters - set(stateful["Outputs"]) == {"PortalUrl"}


def test_every_function_gets_every_setting_the_app_reads_from_those_parameters(packaged: Path):
    template = json.loads(packaged.read_text())
    for name, function in _functions(template).items():
        variables = function["Environment"]["Variables"]
        as_text = {k: v if isinstance(v, str) else v["Fn::Sub"] for k, v in variables.items()}
        assert load_settings(as_text).stage == "prod", name  # raises on a missing setting
        assert as_text["TABLE_NAME"] == "${TableName}" and as_text["DATA_KEY_ID"] == "${DataKeyId}"
        assert as_text["TRACING"] == "false"


def test_every_function_and_the_api_are_named_as_the_log_groups_and_alarms_of_the_stateful_stack_expect(packaged: Path, stateful):
    template = json.loads(packaged.read_text())
    functions = _functions(template)
    assert {"APIHandler", "TokenAuthorizer", "SendReminders"} <= set(functions)
    resources = stateful["Resources"].values()
    log_groups = {r["Properties"]["LogGroupName"]["Fn::Sub"] for r in resources if r["Type"] == "AWS::Logs::LogGroup"}
    alarms = json.dumps([r for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"])
    for name, function in functions.items():
        assert function["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
        assert f"/aws/lambda/${{AppStackName}}-{name}" in log_groups, name
        assert alarms.count(f'"${{AppStackName}}-{name}"') >= 2, f"{name} needs an errors and a throttles alarm"
    api = template["Resources"]["RestAPI"]["Properties"]
    assert stateful["Parameters"]["ApiName"]["Default"] == api["DefinitionBody"]["info"]["title"], "the 5xx alarm's API"
    assert stateful["Parameters"]["ApiStage"]["Default"] == api["StageName"]
    assert functions["SendReminders"]["Events"]["SendRemindersEvent"]["Properties"]["Schedule"] == "rate(1 hour)"
    assert functions["SendReminders"]["Timeout"] > functions["APIHandler"]["Timeout"]
    assert functions["APIHandler"]["Timeout"] < 29, "API Gateway gives up at 29 s; the function must stop first"


def test_api_gateway_answers_its_own_refusals_with_the_apps_problem_documents(packaged: Path):
    api = json.loads(packaged.read_text())["Resources"]["RestAPI"]["Properties"]
    assert api["StageName"] == PROD["api_gateway_stage"]
    assert "/portal/signing-requests/{request_id}/sign" in api["DefinitionBody"]["paths"], "the merge kept the routes"
    responses = api["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    expected = {"UNAUTHORIZED": "unauthenticated", "ACCESS_DENIED": "forbidden", "MISSING_AUTHENTICATION_TOKEN": "not_found",
                "DEFAULT_4XX": "validation_error", "DEFAULT_5XX": "internal_error"}
    for kind, code in expected.items():
        assert json.loads(responses[kind]["responseTemplates"]["application/json"])["code"] == code, kind
    for kind, response in responses.items():
        body = json.loads(response["responseTemplates"]["application/json"])
        status, same = problems.problem(body["code"], "nl")
        assert body == same and response["statusCode"] == str(status), kind
        assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"


def test_only_the_app_roles_may_use_the_keys_and_the_account_administers_them_without_using_them(stateful):
    for key in ("DataKey", "SealKey"):
        statements = stateful["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]
        for statement in statements:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            uses = [a for a in actions if a.startswith(CRYPTO)]
            if uses:
                role = statement["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
                assert role.endswith(":role/${AppStackName}-*"), key
            assert "kms:*" not in actions, key


def test_the_documents_bucket_is_private_tls_only_versioned_locked_and_kms_encrypted(stateful):
    bucket = stateful["Resources"]["DocumentsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Years"] == {"Ref": "RetentionYears"}
    assert stateful["Parameters"]["RetentionYears"]["Default"] == 7
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert encryption["BucketKeyEnabled"] is True
    policy = stateful["Resources"]["DocumentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in policy if s["Effect"] == "Deny"]


# --- Deployed into moto ---------------------------------------------------------------------------

# moto 5.2 has no CloudFormation model for these types. They stay out of the copy sent to moto
# (cfn-lint checks them above); those the app uses are made below with the API, from the
# template's own properties.
NO_MOTO_MODEL = {
    "AWS::S3::BucketPolicy", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::SecretsManager::Secret",
    "AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination", "AWS::SES::EmailIdentity",
    "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm",
}
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
    seal_key = session.client("kms").create_key(Description=seal["Description"], KeySpec=seal["KeySpec"],
                                                KeyUsage=seal["KeyUsage"], Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
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
    for logical_id, name in (("MainTable", outputs["TableName"]), ("IdempotencyTable", outputs["IdempotencyTableName"])):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=props(logical_id)["TimeToLiveSpecification"])
        if "PointInTimeRecoverySpecification" in props(logical_id):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=props(logical_id)["PointInTimeRecoverySpecification"])
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
    assert {"MainTable", "IdempotencyTable", "DataKey", "DocumentsBucket", "ApiHandlerLogGroup"} <= stack["resources"]
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
    assert {g["retentionInDays"] for g in groups["logGroups"]} == {90} and len(groups["logGroups"]) == 3


def _forget_lazy_adapters() -> None:
    """Drop every setting, client and adapter the app built lazily (functools.cache), so the next
    use reads the environment again."""
    for name, module in list(sys.modules.items()):
        if name == "chalicelib" or name.startswith("chalicelib."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                    value.cache_clear()


@contextmanager
def app_settings(environment: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    _forget_lazy_adapters()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget_lazy_adapters()


def test_a_whole_signing_flow_runs_on_the_stack_and_needs_nothing_the_policy_withholds(
        stack, api: Api, backend, aws_calls: Recorder, prod_policy: ProdPolicy):
    from chalicelib.tenants import service as tenants
    from chalicelib.tenants.model import SIGNING

    outputs = stack["outputs"]
    environment = {"TABLE_NAME": outputs["TableName"], "IDEMPOTENCY_TABLE_NAME": outputs["IdempotencyTableName"],
                   "DOCUMENTS_BUCKET": outputs["DocumentsBucket"], "DATA_KEY_ID": outputs["DataKeyId"],
                   "SEAL_KEY_ID": outputs["SealKeyId"], "USER_POOL_ID": outputs["UserPoolId"],
                   "USER_POOL_CLIENT_ID": outputs["UserPoolClientId"], "OTP_SECRET_ID": outputs["OtpSecretId"],
                   "SENDER_EMAIL": outputs["SenderEmail"]}
    with app_settings(environment):
        tenant = tenants.create_tenant("Stapel & Partners", frozenset({SIGNING}))
        tenants.add_advisor(tenant.id, "Stapel Adviseur", "adviseur@stapel.example", "Adviseur-stapel-2026!")
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
            assert api.post(f"/portal/signing-requests/{request_id}/otp", token).status_code == 202
            assert api.post(f"/portal/signing-requests/{request_id}/otp/verify", token,
                            {"code": last_code(backend, client["phone"])}).status_code == 200
            signed = api.post(f"/portal/signing-requests/{request_id}/sign", token,
                              {"signature_image": data_url(signature_png()), "city": "Haarlem"})
            assert signed.status_code == 200, signed.body
            receipt = api.get(f"/advisor/signing-requests/{request_id}/receipt", firm["token"]).json
        assert receipt["verification"] == {**receipt["verification"], "seal_valid": True, "document_intact": True}

    s3 = stack["session"].client("s3")
    stored = s3.list_object_versions(Bucket=outputs["DocumentsBucket"], Prefix=f"tenants/{tenant.id}/")["Versions"]
    assert {v["Key"].split("/")[2] for v in stored} == {"documents", "signatures"}
    values = {**outputs, "AWS::Partition": "aws", "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012",
              "AWS::StackName": stack["app_stack"]}
    assert {"kms:Sign", "s3:PutObject", "dynamodb:PutItem", "secretsmanager:GetSecretValue"} <= {n.action for n in needs}
    refused = prod_policy.resolved(values).refused(needs)
    assert not refused, "the prod policy, filled from the stack's outputs, refuses: " + repr(refused)


# --- The scripts, against a stand-in for the AWS CLI ----------------------------------------------

DEPLOY_SETTINGS = {"SENDER_EMAIL", "ALERT_EMAIL", "PORTAL_URL", "APP_STACK", "ARTIFACT_BUCKET", "SMS_MONTHLY_LIMIT_USD",
                   "SMS_SPEND_ALARM_USD", "SMS_SENDER_ID", "RETENTION_YEARS", "RETENTION_MODE"}
FAKE_AWS = """#!/usr/bin/env bash
echo "$*" >> "$AWS_LOG"
case "$1 $2" in
  "sts get-caller-identity") echo 123456789012 ;;
  "cloudformation describe-stacks")
    if [[ "$*" == *"--stack-name signing-portal-stateful "* ]]; then
      cat "$AWS_LOG.outputs"
    elif [[ -f "$AWS_LOG.app" ]]; then
      echo "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
    else
      exit 255
    fi ;;
  "cloudformation deploy") [[ "$*" == *"--stack-name signing-portal "* ]] && touch "$AWS_LOG.app" ;;
esac
exit 0
"""


@pytest.fixture
def fake_aws(tmp_path: Path, stateful) -> dict[str, Any]:
    """A stand-in `aws` on PATH that logs its calls; the stateful stack's outputs read `<name>-value`."""
    bin_dir, log = tmp_path / "bin", tmp_path / "aws.log"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    Path(f"{log}.outputs").write_text("".join(f"{name}\t{name}-value\n" for name in stateful["Outputs"]))
    # The session's app settings (PORTAL_URL, SENDER_EMAIL, ...) are in os.environ: the scripts must not see them.
    env = {k: v for k, v in os.environ.items() if k not in DEPLOY_SETTINGS and not k.startswith("AWS_")}
    env.update({"PATH": f"{bin_dir}:{os.environ['PATH']}", "AWS_LOG": str(log), "VENV_BIN": str(BIN),
                "BUILD_DIR": str(tmp_path / "build"), "AWS_DEFAULT_REGION": "eu-west-1"})
    return {"env": env, "log": log, "build": tmp_path / "build"}


def _script(name: str, fake_aws: dict[str, Any], **env: str) -> str:
    answer = subprocess.run(["bash", str(ROOT / "infra" / name)], cwd=fake_aws["build"].parent,
                            env={**fake_aws["env"], **env}, capture_output=True, text=True, timeout=900, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return answer.stdout


def test_deploy_runs_stack_sms_settings_package_and_app_in_order_and_feeds_the_outputs_to_the_app(fake_aws):
    _script("deploy.sh", fake_aws, SENDER_EMAIL="noreply@kantoor.example")
    calls = fake_aws["log"].read_text().splitlines()
    order = [next(i for i, c in enumerate(calls) if c.startswith(prefix)) for prefix in (
        "cloudformation deploy --stack-name signing-portal-stateful", "sns set-sms-attributes",
        "cloudformation package", "cloudformation deploy --stack-name signing-portal ")]
    assert order == sorted(order), calls
    assert "SenderEmail=noreply@kantoor.example" in calls[order[0]]
    assert "DefaultSMSType=Transactional,MonthlySpendLimit=1,DefaultSenderID=Portaal" in calls[order[1]]
    app_deploys = [c for c in calls if c.startswith("cloudformation deploy --stack-name signing-portal ")]
    # A first deploy without PORTAL_URL: the API's own URL becomes the portal URL in a second pass.
    assert "PortalUrl=https://pending.invalid" in app_deploys[0]
    assert "TableName=TableName-value" in app_deploys[-1] and "SealKeyArn=SealKeyArn-value" in app_deploys[-1]
    assert "PortalUrl=https://abc123.execute-api.eu-west-1.amazonaws.com/api" in app_deploys[-1]
    # The packaged template is past the 51,200-byte inline limit: deploy must upload it.
    assert "--s3-bucket signing-portal-artifacts-123456789012-eu-west-1" in app_deploys[-1]
    assert (fake_aws["build"] / "sam.json").exists()


def test_operator_env_gives_the_command_line_every_setting_of_the_deployed_stage(fake_aws):
    exports = _script("operator-env.sh", fake_aws, PORTAL_URL="https://portaal.kantoor.example")
    environment = {}
    for line in exports.splitlines():
        for pair in line.removeprefix("export ").split():
            key, _, value = pair.partition("=")
            environment[key] = value
    settings = load_settings(environment)  # raises on a missing setting
    assert (settings.stage, settings.table_name, settings.seal_key_id) == ("prod", "TableName-value", "SealKeyId-value")
    assert settings.portal_url == "https://portaal.kantoor.example"
