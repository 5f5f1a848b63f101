"""What the infrastructure tests share: the templates, the Chalice config, cfn-lint, and app settings swapped in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
STATEFUL = ROOT / "infra" / "stateful.yaml"
GATEWAY_RESPONSES = ROOT / "infra" / "gateway-responses.json"
CHALICE = ROOT / ".chalice"
STAGES: dict[str, Any] = json.loads((CHALICE / "config.json").read_text(encoding="utf-8"))["stages"]
PROD = STAGES["prod"]
BIN = Path(sys.executable).parent


def load_template(path: Path) -> dict[str, Any]:
    """A template with its intrinsics in their JSON form, as CloudFormation reads them."""
    template, problems_found = decode(str(path))
    assert not problems_found and template is not None, problems_found
    return json.loads(json.dumps(template))


def lint(path: Path) -> None:
    answer = subprocess.run([str(BIN / "cfn-lint"), str(path)], capture_output=True, text=True, check=False)
    assert answer.returncode == 0, answer.stdout + answer.stderr


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Lambda functions of a packaged template, by logical id (`APIHandler`, ...)."""
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def logical_id(function: str) -> str:
    """The packaged template's name for a function that Chalice's config calls `function`."""
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def policy_file(function: str, stage: dict[str, Any] = PROD) -> Path:
    """The IAM policy file that a stage's config names for one function (Chalice's name for it)."""
    return CHALICE / stage["lambda_functions"][function]["iam_policy_file"]


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
    """The app reads these settings (over the session's) inside the block."""
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
