"""The templates lint clean and fit together; the packaged app gives each function its own role,
rate-limits logins with AWS WAF and runs as the prod stage, where no /dev route exists.

The stateful template in moto is tests/integration/test_stateful_stack.py, its resources as
written test_stateful_template.py, the deploy scripts test_deploy_scripts.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelib import problems
from chalicelib.config import load_settings
from tests.conftest import Api
from tests.integration.templates import (
    BIN,
    GATEWAY_RESPONSES,
    PROD,
    ROOT,
    STAGES,
    STATEFUL,
    app_settings,
    functions,
    lint,
    load_template,
    logical_id,
    policy_file,
)


@pytest.fixture(scope="module")
def stateful() -> dict[str, Any]:
    return load_template(STATEFUL)


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


@pytest.fixture(scope="module")
def app_template(packaged: Path) -> dict[str, Any]:
    return json.loads(packaged.read_text(encoding="utf-8"))


def _plain(value: Any) -> Any:
    """`value` with every `Fn::Sub` the wiring added turned back into its string."""
    if isinstance(value, dict):
        return value["Fn::Sub"] if set(value) == {"Fn::Sub"} else {k: _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value] if isinstance(value, list) else value


# --- Lint ---------------------------------------------------------------------------------------

def test_cfn_lint_passes_on_the_stateful_template():
    lint(STATEFUL)


def test_cfn_lint_passes_on_the_gateway_responses_template():
    lint(GATEWAY_RESPONSES)


def test_cfn_lint_passes_on_the_packaged_app_template(packaged: Path):
    lint(packaged)


# --- The templates fit together ------------------------------------------------------------------

def test_every_parameter_of_the_app_template_is_a_stateful_output_except_what_the_operator_gives(app_template, stateful):
    # The portal's URL and the time-stamping authority come from infra/deploy.sh's settings.
    assert set(app_template["Parameters"]) - set(stateful["Outputs"]) == {"PortalUrl", "TsaUrl", "TsaCertificateChain",
                                                                                "SealCertificateChain"}


def test_every_function_gets_every_setting_the_app_reads_from_those_parameters(app_template):
    for name, function in functions(app_template).items():
        as_text = _plain(function["Environment"]["Variables"])
        assert load_settings(as_text).stage == "prod", name  # raises on a missing setting
        assert as_text["TABLE_NAME"] == "${TableName}" and as_text["DATA_KEY_ID"] == "${DataKeyId}"
        assert as_text["TRACING"] == "false"
        assert (as_text["TSA_URL"], as_text["TSA_CERTIFICATE_CHAIN"]) == ("${TsaUrl}", "${TsaCertificateChain}")
        assert as_text["SEAL_CERTIFICATE_CHAIN"] == "${SealCertificateChain}"


def test_every_function_and_the_api_are_named_as_the_log_groups_and_alarms_of_the_stateful_stack_expect(app_template, stateful):
    packaged = functions(app_template)
    assert {"APIHandler", "TokenAuthorizer", "SendReminders", "ObtainTimeStamps"} <= set(packaged)
    resources = stateful["Resources"].values()
    log_groups = {r["Properties"]["LogGroupName"]["Fn::Sub"] for r in resources if r["Type"] == "AWS::Logs::LogGroup"}
    alarms = json.dumps([r for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"])
    for name, function in packaged.items():
        assert function["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
        assert f"/aws/lambda/${{AppStackName}}-{name}" in log_groups, name
        assert alarms.count(f'"${{AppStackName}}-{name}"') >= 2, f"{name} needs an errors and a throttles alarm"
    api = app_template["Resources"]["RestAPI"]["Properties"]
    assert stateful["Parameters"]["ApiName"]["Default"] == api["DefinitionBody"]["info"]["title"], "the 5xx alarm's API"
    assert stateful["Parameters"]["ApiStage"]["Default"] == api["StageName"]
    assert packaged["SendReminders"]["Events"]["SendRemindersEvent"]["Properties"]["Schedule"] == "rate(1 hour)"
    assert packaged["SendReminders"]["Timeout"] > packaged["APIHandler"]["Timeout"]
    assert packaged["ObtainTimeStamps"]["Events"]["ObtainTimeStampsEvent"]["Properties"]["Schedule"] == "rate(5 minutes)"
    # Long enough for a batch of stamps, and over before the next run starts.
    assert packaged["APIHandler"]["Timeout"] < packaged["ObtainTimeStamps"]["Timeout"] < 300
    assert packaged["APIHandler"]["Timeout"] < 29, "API Gateway gives up at 29 s; the function must stop first"


def test_the_bulk_worker_reads_the_stateful_stacks_queue_one_job_at_a_time_within_its_visibility(app_template, stateful):
    from chalicelib import bulk

    worker = functions(app_template)["SendBulk"]
    source = worker["Events"]["SendBulkSqsEventSource"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["Queue"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${BulkSendQueueName}"}
    assert app_template["Parameters"]["BulkSendQueueName"]["Type"] == "String"  # the stateful stack's output
    assert "BulkSendQueueName" in stateful["Outputs"] and "BulkSendQueueUrl" in stateful["Outputs"]
    assert source["Properties"]["BatchSize"] == 1
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": bulk.WORKERS}  # the rate is shared by these
    queue = stateful["Resources"]["BulkSendQueue"]["Properties"]
    # AWS: a queue's visibility timeout at least six times its function's, or a slow job is delivered twice at once.
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["BulkSendDeadLetterQueue", "Arn"]}
    assert queue["SqsManagedSseEnabled"] is True


def test_api_gateway_answers_its_own_refusals_with_the_apps_problem_documents(app_template):
    api = app_template["Resources"]["RestAPI"]["Properties"]
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


# --- One role per function -----------------------------------------------------------------------

def test_each_function_has_a_role_of_its_own_with_exactly_the_policy_its_config_names(app_template):
    # A function the config gives no policy file of its own would silently get the stage default.
    named = {logical_id(function): function for function in PROD["lambda_functions"]}
    packaged = functions(app_template)
    assert set(packaged) == set(named), "every function needs lambda_functions.<name>.iam_policy_file in the prod stage"
    files = [policy_file(function) for function in named.values()]
    assert len(set(files)) == len(files), "each function has a policy file of its own"
    roles = {name: function["Role"]["Fn::GetAtt"][0] for name, function in packaged.items()}
    assert len(set(roles.values())) == len(roles), roles
    for name, role_id in roles.items():
        role = app_template["Resources"][role_id]["Properties"]
        # No RoleName: CloudFormation names the role <stack>-<id>-..., which the key policies trust.
        assert "RoleName" not in role and "ManagedPolicyArns" not in role, name
        (policy,) = role["Policies"]
        assert _plain(policy["PolicyDocument"]) == json.loads(policy_file(named[name]).read_text(encoding="utf-8")), name


# --- AWS WAF in front of the logins --------------------------------------------------------------

def test_aws_waf_blocks_a_source_ip_that_sends_more_than_100_logins_or_activations_in_5_minutes(app_template):
    acl = app_template["Resources"]["LoginRateLimit"]
    assert acl["Type"] == "AWS::WAFv2::WebACL"
    properties = acl["Properties"]
    assert (properties["Scope"], properties["DefaultAction"]) == ("REGIONAL", {"Allow": {}})
    (rule,) = properties["Rules"]
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["Limit"], rate["EvaluationWindowSec"], rate["AggregateKeyType"]) == (100, 300, "IP")
    method, path = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert method["ByteMatchStatement"]["FieldToMatch"] == {"Method": {}}
    assert (method["ByteMatchStatement"]["PositionalConstraint"], method["ByteMatchStatement"]["SearchString"]) == (
        "EXACTLY", "POST")
    assert path["RegexMatchStatement"]["FieldToMatch"] == {"UriPath": {}}
    counted = re.compile(path["RegexMatchStatement"]["RegexString"])
    # Through the API's own URL (with the stage) and through a custom domain (without it).
    for counts in ("/api/auth/login", "/auth/login", "/api/auth/activate", "/auth/activate", "/auth/login/"):
        assert counted.search(counts), counts
    for free in ("/api/auth/logout", "/auth/accept-invite", "/api/portal/messages", "/health", "/api/auth/login/x"):
        assert not counted.search(free), free


def test_what_aws_waf_blocks_gets_the_apis_own_429_problem_document_with_retry_after(app_template):
    properties = app_template["Resources"]["LoginRateLimit"]["Properties"]
    answer = properties["Rules"][0]["Action"]["Block"]["CustomResponse"]
    assert answer["ResponseCode"] == 429
    body = properties["CustomResponseBodies"][answer["CustomResponseBodyKey"]]
    status, problem = problems.problem("rate_limited", "nl")
    assert (json.loads(body["Content"]), body["ContentType"], status) == (problem, "APPLICATION_JSON", 429)
    headers = {header["Name"]: header["Value"] for header in answer["ResponseHeaders"]}
    assert headers["Retry-After"] == "300"
    assert (headers["Cache-Control"], headers["X-Content-Type-Options"]) == ("no-store", "nosniff")


def test_the_web_acl_is_associated_with_the_deployed_stage_once_it_exists(app_template):
    association = app_template["Resources"]["LoginRateLimitAssociation"]
    assert association["Type"] == "AWS::WAFv2::WebACLAssociation"
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["LoginRateLimit", "Arn"]}
    # SAM turns `RestAPI.Stage` into a reference to the stage it generates: a dependency on it.
    assert association["Properties"]["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${RestAPI.Stage}"}


# --- Stages ---------------------------------------------------------------------------------------

def test_every_deployed_stage_names_its_stage_explicitly_for_every_function():
    deployed = {name: stage for name, stage in STAGES.items() if name != "local"}
    assert "prod" in deployed
    for name, stage in deployed.items():
        assert stage["environment_variables"].get("STAGE") == name, name
        for function, settings in stage.get("lambda_functions", {}).items():
            assert "STAGE" not in settings.get("environment_variables", {}), (name, function)


def test_the_dev_routes_do_not_exist_on_the_prod_stage(backend):
    from app import app
    from local.gateway import ApiClient

    # Chalice's test client puts the prod stage's environment of .chalice/config.json around each
    # request; the settings are read afresh inside it, as on a cold start.
    with app_settings({}), ApiClient(app, stage_name="prod") as client:
        api = Api(client)
        answers = [api.get("/dev/outbox"), api.post("/dev/reminders/run", body={"at": "2026-12-03T08:30:00Z"})]
    for answer in answers:
        assert (answer.status_code, answer.json["code"]) == (404, "not_found"), answer.body


def test_the_webhook_worker_reads_its_own_queue_and_the_dispatch_runs_every_minute(app_template, stateful):
    packaged = functions(app_template)
    worker, dispatch = packaged["DeliverWebhooks"], packaged["DispatchWebhooks"]
    source = worker["Events"]["DeliverWebhooksSqsEventSource"]["Properties"]
    assert source["Queue"] == {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${WebhookQueueName}"}
    assert source["BatchSize"] == 1
    assert dispatch["Events"]["DispatchWebhooksEvent"]["Properties"]["Schedule"] == "rate(1 minute)"
    assert dispatch["Timeout"] < 60, "over before the next run starts"
    queue = stateful["Resources"]["WebhookQueue"]["Properties"]
    # A try waits 10 s for its answer; the queue hides a job six times the worker's timeout.
    assert worker["Timeout"] > 10 and queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]}
    assert {"WebhookQueueUrl", "WebhookQueueName"} <= set(stateful["Outputs"])
