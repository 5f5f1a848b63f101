"""What the app asks of AWS, and what the prod IAM policy allows.

The recorder wraps botocore's `BaseClient._make_api_call`, through which every boto3 client and
PynamoDB make their calls (their clients come from separate sessions, so one patch on the class
reaches them all, where a handler on one session's event system would not), and the two S3
presigners: a presigned POST or GET is carried out later by the browser, under the role's
signature. It is installed in `pytest_configure`, before any test runs, so it hears the whole
session; the suite-wide policy test is moved to the end.

Only calls made by Lambda code count: a call counts when the stack passes through one of
ENTRY_POINTS. Calls from anywhere else are not the role's: moto setup and the demo seed
(local/), the operator command line (local/cli.py, with operator credentials), and test
fixtures calling services directly (tests/). Nor are those of OPERATOR_STAND_INS: local-only
routes that do what the operator's command does, and on a deployed stage answer 404 before
any call.

The policies' one condition (a KMS key's `aws:ResourceTag/...`) is evaluated with the tags
that moto holds for the key (`resource_tags`), or those a test hands in.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / ".chalice" / "policy-prod.json"
ENTRY_POINTS = ("app.py", "chalicelib/api/", "chalicelib/reminders/job.py")
# (file, function): POST /dev/keys/seal/rotate is `python -m local.cli rotate-seal-key` locally.
OPERATOR_STAND_INS = (("chalicelib/api/dev.py", "rotate_seal_key"),)
SUITE_WIDE_TEST = "test_every_aws_call_the_whole_suite_made_is_allowed_by_the_prod_policy"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9:]+)\}")


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an IAM action on a concrete resource."""

    action: str
    resource: str
    call: str
    context: tuple[tuple[str, str], ...] = ()  # the request's condition keys (a KMS call's encryption context)


class Recorder:
    def __init__(self) -> None:
        self.needs: set[Need] = set()
        self.unmapped: set[str] = set()
        self._captures: list[set[Need]] = []

    def record(self, service: str, operation: str, params: dict[str, Any], response: Any, error: Any) -> None:
        if not _from_lambda_code():
            return
        target = self._captures[-1] if self._captures else self.needs
        try:
            target.update(needs_of(service, operation, params, response or {}, error))
        except KeyError:
            self.unmapped.add(f"{service}:{operation}")

    @contextmanager
    def capture(self) -> Iterator[set[Need]]:
        """Collect the needs of the calls inside the block apart (they are checked by the block's test)."""
        needs: set[Need] = set()
        self._captures.append(needs)
        try:
            yield needs
        finally:
            self._captures.pop()


RECORDER = Recorder()


_ENTRY_FILES = tuple(str(ROOT / entry) + ("/" if entry.endswith("/") else "") for entry in ENTRY_POINTS)
_STAND_INS = {(str(ROOT / path), function) for path, function in OPERATOR_STAND_INS}


def _from_lambda_code() -> bool:
    frame = sys._getframe(1)
    entered = False
    while frame is not None:
        if (frame.f_code.co_filename, frame.f_code.co_name) in _STAND_INS:
            return False
        entered = entered or frame.f_code.co_filename.startswith(_ENTRY_FILES)
        frame = frame.f_back  # type: ignore[assignment]
    return entered


# --- From a call to the permissions it needs --------------------------------------------------

def _context() -> tuple[str, str, Any]:
    from moto.core import DEFAULT_ACCOUNT_ID

    from chalicelib.config import get_settings

    settings = get_settings()
    return settings.region, DEFAULT_ACCOUNT_ID, settings


def _dynamodb(operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    region, account, _ = _context()

    def table(name: str, index: str | None = None) -> str:
        return f"arn:aws:dynamodb:{region}:{account}:table/{name}" + (f"/index/{index}" if index else "")

    # A transaction is authorised item by item, as the single-item actions (and ConditionCheckItem).
    transact = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
                "Get": "GetItem"}
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        return {(f"dynamodb:{transact[kind]}", table(body["TableName"]))
                for item in params["TransactItems"] for kind, body in item.items()}
    if operation in {"BatchGetItem", "BatchWriteItem"}:
        return {(f"dynamodb:{operation}", table(name)) for name in params["RequestItems"]}
    return {(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))}


def _s3(operation: str, params: dict[str, Any], error: Any) -> set[tuple[str, str]]:
    _, _, settings = _context()
    bucket, key = params["Bucket"], params["Key"]
    obj = f"arn:aws:s3:::{bucket}/{key}"
    data_key = params.get("SSEKMSKeyId") or settings.data_key_id  # the bucket's default key otherwise
    if operation == "PutObject":
        # SSE-KMS: S3 asks KMS for a data key with the caller's credentials.
        return {("s3:PutObject", obj), ("kms:GenerateDataKey", data_key)}
    if operation in {"GetObject", "HeadObject"}:
        needs = {("s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject", obj), ("kms:Decrypt", data_key)}
        if _error_code(error) in {"NoSuchKey", "404"}:
            # Without s3:ListBucket, S3 answers a missing key with AccessDenied, which the storage
            # adapter would not read as "not uploaded (yet)".
            needs.add(("s3:ListBucket", f"arn:aws:s3:::{bucket}"))
        return needs
    raise KeyError(operation)


def _kms(operation: str, params: dict[str, Any], response: dict[str, Any]) -> set[tuple[str, str]]:
    region, account, _ = _context()
    key = response.get("KeyId") or params.get("KeyId")
    if key is None:
        return set()  # Decrypt of a ciphertext that is not ours: KMS never got as far as a key
    return {(f"kms:{operation}", key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}")}


def needs_of(service: str, operation: str, params: dict[str, Any], response: dict[str, Any],
             error: Any) -> set[Need]:
    """The permissions a call needs; KeyError for a call this mapping does not know yet."""
    region, account, settings = _context()
    pairs: set[tuple[str, str]]
    if service == "dynamodb":
        pairs = _dynamodb(operation, params)
    elif service == "s3":
        pairs = _s3(operation, params, error)
    elif service == "kms":
        pairs = _kms(operation, params, response)
    elif service == "cognito-idp":
        pool = params.get("UserPoolId") or settings.user_pool_id  # InitiateAuth names the pool's client
        pairs = {(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}")}
    elif service == "ses" and operation in {"SendEmail", "SendRawEmail"}:
        sender = parseaddr(params["Source"])[1]
        pairs = {(f"ses:{operation}", f"arn:aws:ses:{region}:{account}:identity/{sender}")}
    elif service == "sns" and operation == "Publish":
        pairs = {("sns:Publish", params.get("TopicArn") or params.get("TargetArn") or "*")}  # SMS: no resource
    elif service == "sqs":
        # SendMessageBatch is authorised as SendMessage; the queue's URL ends in its account and name.
        account_id, name = params["QueueUrl"].rstrip("/").split("/")[-2:]
        action = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}.get(operation, operation)
        pairs = {(f"sqs:{action}", f"arn:aws:sqs:{region}:{account_id}:{name}")}
    elif service == "secretsmanager" and operation == "GetSecretValue":
        pairs = {("secretsmanager:GetSecretValue", params["SecretId"])}
    else:
        raise KeyError(operation)
    context = tuple(sorted((f"{ENCRYPTION_CONTEXT}{k}", str(v)) for k, v in (params.get("EncryptionContext") or {}).items()))
    return {Need(action, resource, f"{service}:{operation}", context if service == "kms" else ())
            for action, resource in pairs}


def _error_code(error: Any) -> str | None:
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code")


# --- The hooks -----------------------------------------------------------------------------------

def _install() -> None:
    import botocore.client
    import botocore.signers

    original_call = botocore.client.BaseClient._make_api_call
    original_url = botocore.signers.generate_presigned_url
    original_post = botocore.signers.generate_presigned_post

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        try:
            response = original_call(self, operation_name, api_params)
        except Exception as error:
            RECORDER.record(service, operation_name, api_params, None, error)
            raise
        RECORDER.record(service, operation_name, api_params, response, None)
        return response

    def presigned_url(self: Any, ClientMethod: str, Params: Any = None, *args: Any, **kwargs: Any) -> Any:
        operation = self._PY_TO_OP_NAME.get(ClientMethod, ClientMethod)
        RECORDER.record(self.meta.service_model.service_name, operation, dict(Params or {}), None, None)
        return original_url(self, ClientMethod, Params, *args, **kwargs)

    def presigned_post(self: Any, Bucket: str, Key: str, Fields: Any = None, *args: Any, **kwargs: Any) -> Any:
        key_id = (Fields or {}).get("x-amz-server-side-encryption-aws-kms-key-id")
        params = {"Bucket": Bucket, "Key": Key, **({"SSEKMSKeyId": key_id} if key_id else {})}
        RECORDER.record("s3", "PutObject", params, None, None)
        return original_post(self, Bucket, Key, Fields, *args, **kwargs)

    # S3 clients get the presigners when their class is built, so this must precede every client.
    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    botocore.signers.generate_presigned_url = presigned_url
    botocore.signers.generate_presigned_post = presigned_post
    _installed.extend([(botocore.client.BaseClient, "_make_api_call", original_call),
                       (botocore.signers, "generate_presigned_url", original_url),
                       (botocore.signers, "generate_presigned_post", original_post)])


_installed: list[tuple[Any, str, Any]] = []


def pytest_configure(config: pytest.Config) -> None:
    if not _installed:
        _install()


def pytest_unconfigure(config: pytest.Config) -> None:
    while _installed:
        owner, name, original = _installed.pop()
        setattr(owner, name, original)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The suite-wide check reads what every other test made the app call, so it runs last.
    last = [item for item in items if item.name == SUITE_WIDE_TEST]
    items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def aws_calls() -> Recorder:
    return RECORDER


# --- The policy ----------------------------------------------------------------------------------

def _pattern(text: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE)


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class ProdPolicy:
    """`.chalice/policy-prod.json` with its placeholders filled in the way deploy fills them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def load(cls) -> ProdPolicy:
        return cls(json.loads(POLICY.read_text(encoding="utf-8")))

    @property
    def statements(self) -> list[dict[str, Any]]:
        return list(self.document["Statement"])

    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(json.dumps(self.document)))

    def resolved(self, values: dict[str, str]) -> ProdPolicy:
        missing = self.placeholders() - set(values)
        assert not missing, f"no value for {sorted(missing)}"
        text = PLACEHOLDER.sub(lambda m: values[m.group(1)], json.dumps(self.document))
        return ProdPolicy(json.loads(text))

    def allows(self, action: str, resource: str, tags: Mapping[str, str] | None = None,
               context: Mapping[str, str] | None = None) -> bool:
        """Identity-policy evaluation, `tags` being the resource's (none by default) and `context` the request's
        condition keys: a deny wins."""
        def matches(statement: dict[str, Any]) -> bool:
            return (any(_pattern(a, False).match(action) for a in _listed(statement["Action"]))
                    and any(_pattern(r, True).match(resource) for r in _listed(statement["Resource"]))
                    and _condition_holds(statement.get("Condition"), tags or {}, context or {}))

        if any(s["Effect"] == "Deny" and matches(s) for s in self.statements):
            return False
        return any(s["Effect"] == "Allow" and matches(s) for s in self.statements)

    def refused(self, needs: Iterable[Need],
                tags: Callable[[str], Mapping[str, str]] | None = None) -> list[Need]:
        """The needs this policy refuses, each resource with its tags (by default, the tags moto holds)."""
        needs = list(needs)
        tags_of = tags or resource_tags
        known = {resource: tags_of(resource) for resource in {n.resource for n in needs}}
        return sorted((n for n in needs if not self.allows(n.action, n.resource, known[n.resource], dict(n.context))),
                      key=lambda n: (n.action, n.resource))


# The conditions the policies may use, and so the ones these checks evaluate: a tag of the resource, and
# the encryption context a KMS call names.
RESOURCE_TAG = "aws:ResourceTag/"
ENCRYPTION_CONTEXT = "kms:EncryptionContext:"


def _condition_holds(condition: dict[str, Any] | None, tags: Mapping[str, str], context: Mapping[str, str]) -> bool:
    for operator, pairs in (condition or {}).items():
        assert operator == "StringEquals", f"these checks evaluate StringEquals only, not {operator}"
        for key, expected in pairs.items():
            if key.startswith(RESOURCE_TAG):
                found = tags.get(key.removeprefix(RESOURCE_TAG))
            else:
                assert key.startswith(ENCRYPTION_CONTEXT), f"these checks evaluate tags and KMS contexts only, not {key}"
                found = context.get(key)
            if found not in _listed(expected):
                return False
    return True


def resource_tags(resource: str) -> dict[str, str]:
    """The tags moto holds for a KMS key (the only resources the policies' condition is about); none for others."""
    import boto3

    if not resource.startswith("arn:aws:kms:") or ":key/" not in resource:
        return {}
    kms = boto3.session.Session(region_name=resource.split(":")[3]).client("kms")  # the backend's endpoint
    try:
        answer = kms.list_resource_tags(KeyId=resource)
    except kms.exceptions.NotFoundException:
        return {}
    return {tag["TagKey"]: tag["TagValue"] for tag in answer["Tags"]}


def policy_values(table: str, bucket: str, data_key: str, seal_key: str, user_pool: str, otp_secret: str, sender: str,
                  region: str = "eu-west-1", account: str = "123456789012",
                  stack: str = "signing-portal", bulk_queue: str = "signing-portal-bulk-sends",
                  webhook_queue: str = "signing-portal-webhooks") -> dict[str, str]:
    """The placeholder values for a deployment, as the stateful stack's outputs define them."""
    def arn(service: str, rest: str) -> str:
        return f"arn:aws:{service}:{region}:{account}:{rest}"

    return {
        "TableArn": arn("dynamodb", f"table/{table}"),
        "DocumentsBucketArn": f"arn:aws:s3:::{bucket}",
        "DataKeyArn": data_key,
        "SealKeyArn": seal_key,
        "UserPoolArn": arn("cognito-idp", f"userpool/{user_pool}"),
        "OtpSecretArn": otp_secret,
        "SenderIdentityArn": arn("ses", f"identity/{sender}"),
        "MailConfigurationSetArn": arn("ses", "configuration-set/signing-portal-mail"),
        "BulkSendQueueArn": arn("sqs", bulk_queue),
        "WebhookQueueArn": arn("sqs", webhook_queue),
        "AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account, "AWS::StackName": stack,
    }


def values_of_settings() -> dict[str, str]:
    """The placeholder values for the resources the app's settings point at now."""
    region, account, s = _context()
    return policy_values(s.table_name, s.documents_bucket, s.data_key_id, s.seal_key_id, s.user_pool_id,
                         s.otp_secret_id, s.sender_email, region=region, account=account,
                         bulk_queue=s.bulk_send_queue_url.rstrip("/").rsplit("/", 1)[-1],
                         webhook_queue=s.webhook_queue_url.rstrip("/").rsplit("/", 1)[-1])


@pytest.fixture(scope="session")
def prod_policy() -> ProdPolicy:
    return ProdPolicy.load()
