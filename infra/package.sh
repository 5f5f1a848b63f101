#!/usr/bin/env bash
# Package the Chalice app for CloudFormation: <out>/sam.json and <out>/deployment.zip.
#
# Offline once the Lambda wheels are cached in .chalice/deployments (the first run downloads
# them from PyPI). The template is ready for `aws cloudformation package/deploy`: the gateway
# responses merged in, placeholders turned into parameters, the WAF rule on logins added
# (infra/app_template.py).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-build}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
bin="${VENV_BIN:-.venv/bin}"

rm -rf -- "${out:?}"
"$bin/chalice" package --stage prod --merge-template infra/gateway-responses.json "$out"
"$bin/python" infra/app_template.py "$out/sam.json"
echo "Packaged: $out/sam.json and $out/deployment.zip"
