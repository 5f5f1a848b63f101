"""Create the stateful resources of infra/stateful.yaml in moto, from that very file.

The template is the one source of truth: the local stack reads each resource's properties
from it, so a table index or a key spec cannot differ between local and deployed.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

from chalicelib.config import environment as settings_environment

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "stateful.yaml"
SENDER_EMAIL = "noreply@portaal.example"
REGION = "eu-west-1"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, !GetAtt) as plain mappings."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"Fn::{suffix}" if suffix not in ("Ref",) else "Ref": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id]["Properties"])


@dataclass(frozen=True)
class LocalResources:
    table_name: str
    documents_bucket: str
    data_key_id: str
    seal_key_id: str
    user_pool_id: str
    user_pool_client_id: str
    otp_secret_id: str
    sender_email: str
    bulk_send_queue_url: str
    webhook_queue_url: str

    def environment(self, endpoint: str, portal_url: str, stage: str = "local", tsa_url: str | None = None,
                    tsa_chain: tuple[str, ...] = (), seal_chain: tuple[str, ...] = ()) -> dict[str, str]:
        """The app's environment for these resources (what the prod stage gets from stack outputs), and the
        local time-stamping authority's URL and chain (what an operator sets on a deployed stage).

        Written from the settings' own list of names (chalicelib/config.py), field for field,
        plus what boto3 reads itself: the region and moto's stand-in credentials.
        """
        return {
            **settings_environment(stage=stage, region=REGION, aws_endpoint_url=endpoint, portal_url=portal_url,
                                   tsa_url=tsa_url, tsa_certificate_chain=tsa_chain or None,
                                   seal_certificate_chain=seal_chain or None, **asdict(self)),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }


def _table(dynamodb: Any, name: str, props: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    dynamodb.create_table(**args)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


def _value(template: dict[str, Any], value: Any, stack: str) -> str:
    """A plain property value: a literal, a `!Ref` of a parameter (its default) or a `!Sub` of the stack's name
    (the local stack is its own app stack too)."""
    if isinstance(value, dict) and "Ref" in value:
        return str(template["Parameters"][value["Ref"]]["Default"])
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"]).replace("${AWS::StackName}", stack).replace("${AppStackName}", stack)
    return str(value)


def _key(kms: Any, template: dict[str, Any], logical_id: str, stack: str) -> str:
    props = resource(template, logical_id)
    tags = [{"TagKey": tag["Key"], "TagValue": _value(template, tag["Value"], stack)} for tag in props.get("Tags", [])]
    answer = kms.create_key(Description=props["Description"], KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"],
                            Tags=tags)
    return str(answer["KeyMetadata"]["Arn"])


def _alias(kms: Any, template: dict[str, Any], logical_id: str, key_arn: str, stack: str) -> None:
    kms.create_alias(AliasName=_value(template, resource(template, logical_id)["AliasName"], stack), TargetKeyId=key_arn)


def _bucket(s3: Any, name: str, region: str, props: dict[str, Any], data_key_arn: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region},
                     ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled")))
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "KMSMasterKeyID": data_key_arn},
        "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
    }]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    rules = [
        {("MaxAgeSeconds" if key == "MaxAge" else key): value for key, value in rule.items()}  # CFN vs S3 API name
        for rule in props["CorsConfiguration"]["CorsRules"]
    ]
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})


def _user_pool(cognito: Any, pool_props: dict[str, Any], client_props: dict[str, Any]) -> tuple[str, str]:
    pool = cognito.create_user_pool(
        PoolName="signing-portal",
        UsernameAttributes=pool_props["UsernameAttributes"],
        AdminCreateUserConfig=pool_props["AdminCreateUserConfig"],
        Policies={"PasswordPolicy": pool_props["Policies"]["PasswordPolicy"]},
    )["UserPool"]
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="portal",
        GenerateSecret=client_props["GenerateSecret"],
        ExplicitAuthFlows=client_props["ExplicitAuthFlows"],
        PreventUserExistenceErrors=client_props["PreventUserExistenceErrors"],
    )["UserPoolClient"]
    return str(pool["Id"]), str(app_client["ClientId"])


def _queues(sqs: Any, template: dict[str, Any], stack: str, name: str) -> str:
    """The queue `<name>Queue` and its dead-letter queue `<name>DeadLetterQueue`, as the template has them; the
    queue's URL."""
    dead = resource(template, f"{name}DeadLetterQueue")
    dead_url = sqs.create_queue(QueueName=_value(template, dead["QueueName"], stack),
                                Attributes={"MessageRetentionPeriod": str(dead["MessageRetentionPeriod"])})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    props = resource(template, f"{name}Queue")
    redrive = props["RedrivePolicy"]
    return str(sqs.create_queue(
        QueueName=_value(template, props["QueueName"], stack),
        Attributes={"VisibilityTimeout": str(props["VisibilityTimeout"]),
                    "MessageRetentionPeriod": str(props["MessageRetentionPeriod"]),
                    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn,
                                                 "maxReceiveCount": redrive["maxReceiveCount"]})})["QueueUrl"])


def create_resources(endpoint: str, region: str = "eu-west-1", prefix: str = "signing") -> LocalResources:
    """Create every stateful resource in the moto server at `endpoint`."""
    template = load_template()
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=endpoint)  # type: ignore[call-overload]

    dynamodb = client("dynamodb")
    table_name = f"{prefix}-main"
    _table(dynamodb, table_name, resource(template, "MainTable"))
    kms = client("kms")
    data_key = _key(kms, template, "DataKey", prefix)
    seal_key = _key(kms, template, "SealKey", prefix)  # tagged as the API's policy asks (SealReceipts)
    _alias(kms, template, "SealKeyAlias", seal_key, prefix)  # a rotation moves it on
    bucket = f"{prefix}-documents"
    _bucket(client("s3"), bucket, region, resource(template, "DocumentsBucket"), data_key)
    pool_id, client_id = _user_pool(client("cognito-idp"), resource(template, "UserPool"),
                                    resource(template, "UserPoolClient"))
    client("ses").verify_email_identity(EmailAddress=SENDER_EMAIL)
    secret = client("secretsmanager").create_secret(Name=f"{prefix}-otp-secret", SecretString=secrets.token_hex(32))
    bulk_queue = _queues(client("sqs"), template, prefix, "BulkSend")
    webhook_queue = _queues(client("sqs"), template, prefix, "Webhook")
    return LocalResources(
        table_name=table_name, documents_bucket=bucket,
        data_key_id=data_key, seal_key_id=seal_key, user_pool_id=pool_id, user_pool_client_id=client_id,
        otp_secret_id=str(secret["ARN"]), sender_email=SENDER_EMAIL, bulk_send_queue_url=bulk_queue,
        webhook_queue_url=webhook_queue,
    )
