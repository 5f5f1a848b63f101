"""Finish the SAM template that `chalice package` wrote, so CloudFormation can deploy it as is.

Chalice copies the prod stage's environment and .chalice/policy-prod.json into the template as
plain strings. Those carry placeholders: `${TableArn}` (an output of infra/stateful.yaml, or
`PortalUrl`) and `${AWS::AccountId}`-style pseudo parameters. This step

- wraps every such string in `Fn::Sub`, so CloudFormation fills it in at deploy time;
- declares each non-pseudo placeholder as a template parameter, which infra/deploy.sh sets
  from the stateful stack's outputs of the same name;
- names every function `<stack name>-<logical id>`, the names that the stateful stack's log
  groups, alarms and key policies expect.

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
DESCRIPTIONS = {"PortalUrl": "Public URL of the portal, used in e-mailed links (no trailing slash)."}


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


def main(path: str) -> None:
    target = Path(path)
    template = json.loads(target.read_text(encoding="utf-8"))
    target.write_text(json.dumps(wire(template), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
