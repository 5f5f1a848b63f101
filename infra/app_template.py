"""Finish the SAM template that `chalice package` wrote, so CloudFormation can deploy it as is.

Chalice copies the prod stage's environment and each function's policy (.chalice/policy-prod*.json,
named per function in .chalice/config.json) into the template as plain strings. Those carry
placeholders: `${TableArn}` (an output of infra/stateful.yaml, or `PortalUrl`) and
`${AWS::AccountId}`-style pseudo parameters. This step

- wraps every such string in `Fn::Sub`, so CloudFormation fills it in at deploy time;
- declares each non-pseudo placeholder as a template parameter, which infra/deploy.sh sets
  from the stateful stack's outputs of the same name;
- names every function `<stack name>-<logical id>`, the names that the stateful stack's log
  groups, alarms and key policies expect;
- puts an AWS WAF web ACL in front of the API's stage that blocks a source IP sending more than
  LOGIN_ATTEMPTS_PER_IP logins and activations per LOGIN_WINDOW_SECONDS. The app's own limit
  counts failures per e-mail address; this one stops one source trying many addresses. It
  answers with API Gateway's own 429 problem document and headers (infra/gateway-responses.json,
  THROTTLED).

Usage: python infra/app_template.py build/sam.json   (rewrites the file in place)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9:]+)\}")
FUNCTION = "AWS::Serverless::Function"
DESCRIPTIONS = {
    "PortalUrl": "Public URL of the portal, used in e-mailed links (no trailing slash).",
    "TsaUrl": "The RFC 3161 time-stamping authority (https; docs/deploy.md, Time stamps).",
    "TsaCertificateChain": "The authority's certificate chain as PEM, leaf first (published in GET /keys).",
    "SealCertificateChain": "The seal key's certificate chain as PEM, leaf first (seals the PDF transactiebon).",
}

LOGIN_PATHS = ("/auth/login", "/auth/activate")
LOGIN_ATTEMPTS_PER_IP = 100
LOGIN_WINDOW_SECONDS = 300  # WAF also offers 60, 120 and 600
WEB_ACL = "LoginRateLimit"
STAGE_ARN = "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${RestAPI.Stage}"


def placeholders(value: Any) -> set[str]:
    """The placeholder names in plain strings of `value` (strings already inside an intrinsic are skipped)."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        if _is_intrinsic(value):
            return set()
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    return set()


def _is_intrinsic(value: dict[str, Any]) -> bool:
    key = next(iter(value), "")
    return len(value) == 1 and (key in {"Ref", "Condition"} or key.startswith("Fn::"))


def _substituted(value: Any) -> Any:
    if isinstance(value, str):
        return {"Fn::Sub": value} if PLACEHOLDER.search(value) else value
    if isinstance(value, dict):
        return value if _is_intrinsic(value) else {k: _substituted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v) for v in value]
    return value


def wire(template: dict[str, Any]) -> dict[str, Any]:
    """The template with placeholders resolved by CloudFormation and functions named per stack."""
    resources = template["Resources"]
    names = sorted(n for n in placeholders(resources) if "::" not in n and n not in resources)
    wired = dict(template)
    wired["Resources"] = _substituted(resources)
    for logical_id, resource in wired["Resources"].items():
        if resource["Type"] == FUNCTION:
            resource["Properties"]["FunctionName"] = {"Fn::Sub": f"${{AWS::StackName}}-{logical_id}"}
    parameters = dict(template.get("Parameters", {}))
    for name in names:
        description = DESCRIPTIONS.get(name, f"Output {name} of the stateful stack (infra/stateful.yaml).")
        parameters.setdefault(name, {"Type": "String", "Description": description})
    if parameters:
        wired["Parameters"] = parameters
    return wired


def with_login_rate_limit(template: dict[str, Any]) -> dict[str, Any]:
    """The template with a WAF web ACL on the API's stage that rate-limits logins and activations per source IP."""
    api = template["Resources"]["RestAPI"]["Properties"]
    throttled = api["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]["THROTTLED"]
    association = {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Properties": {
            # `RestAPI.Stage` is SAM's reference to the stage it generates, so the stage exists first.
            "ResourceArn": {"Fn::Sub": STAGE_ARN},
            "WebACLArn": {"Fn::GetAtt": [WEB_ACL, "Arn"]},
        },
    }
    limited = dict(template)
    limited["Resources"] = {**template["Resources"], WEB_ACL: _web_acl(api["StageName"], throttled),
                            f"{WEB_ACL}Association": association}
    return limited


def _web_acl(stage: str, throttled: dict[str, Any]) -> dict[str, Any]:
    """A web ACL that lets everything through but a source IP over the login limit, which gets `throttled`."""
    # Through the API's own URL the path starts with the stage; through a custom domain it does not.
    paths = "|".join(re.escape(path) for path in LOGIN_PATHS)
    logins = {"AndStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint": "EXACTLY", "SearchString": "POST",
                                "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": f"^(/{re.escape(stage)})?({paths})/?$",
                                 "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"},
                                                         {"Priority": 1, "Type": "NORMALIZE_PATH"}]}},
    ]}}
    # WAF sets Content-Type from the body's type; the other headers are those of API Gateway's 429.
    headers = [{"Name": name.removeprefix("gatewayresponse.header."), "Value": value.strip("'")}
               for name, value in throttled["responseParameters"].items() if not name.endswith(".Content-Type")]
    block = {"CustomResponse": {
        "ResponseCode": int(throttled["statusCode"]), "CustomResponseBodyKey": "rate-limited",
        "ResponseHeaders": [*headers, {"Name": "Retry-After", "Value": str(LOGIN_WINDOW_SECONDS)}]}}
    return {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Description": "Blocks a source IP that sends too many logins or activations.",
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {"rate-limited": {
                "ContentType": "APPLICATION_JSON", "Content": throttled["responseTemplates"]["application/json"]}},
            "Rules": [{
                "Name": "login-attempts-per-ip",
                "Priority": 0,
                "Statement": {"RateBasedStatement": {
                    "Limit": LOGIN_ATTEMPTS_PER_IP, "EvaluationWindowSec": LOGIN_WINDOW_SECONDS, "AggregateKeyType": "IP",
                    "ScopeDownStatement": logins}},
                "Action": {"Block": block},
                "VisibilityConfig": _visibility("login-attempts-per-ip"),
            }],
            "VisibilityConfig": _visibility("signing-portal-api"),
        },
    }


def _visibility(metric: str) -> dict[str, Any]:
    return {"CloudWatchMetricsEnabled": True, "MetricName": metric, "SampledRequestsEnabled": True}


def main(path: str) -> None:
    target = Path(path)
    template = json.loads(target.read_text(encoding="utf-8"))
    target.write_text(json.dumps(with_login_rate_limit(wire(template)), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
