"""infra/deploy.sh and infra/operator-env.sh, against a stand-in for the AWS CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import load_settings
from tests.integration.templates import BIN, ROOT, STATEFUL, load_template

DEPLOY_SETTINGS = {"SENDER_EMAIL", "ALERT_EMAIL", "PORTAL_URL", "APP_STACK", "ARTIFACT_BUCKET", "SMS_MONTHLY_LIMIT_USD",
                   "SMS_SPEND_ALARM_USD", "SMS_SENDER_ID", "RETENTION_YEARS", "RETENTION_MODE", "TSA_URL",
                   "TSA_CERTIFICATE_CHAIN", "SEAL_CERTIFICATE_CHAIN"}
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
def fake_aws(tmp_path: Path) -> dict[str, Any]:
    """A stand-in `aws` on PATH that logs its calls; the stateful stack's outputs read `<name>-value`."""
    stateful = load_template(STATEFUL)
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
