#!/usr/bin/env bash
# Package the Chalice app for CloudFormation: <out>/sam.json and <out>/deployment.zip.
#
# `chalice package` installs requirements.txt, the app's lock (`make lock`): pinned versions with
# the hash of every file. Chalice's own second download (Lambda wheels for packages whose first
# pick does not fit Lambda, such as Pillow's manylinux_2_28 wheel) names only `package==version`,
# so it would check no hash. Hence the Lambda's wheels are fetched here first, for Lambda's
# platform (CPython 3.11, x86_64, glibc <= 2.26: the python3.11 runtime, as chalice's packager
# assumes), each checked against the lock; chalice then sees only that folder (no index). A pinned
# version without such a wheel stops the build instead of shipping a wheel built on this machine.
#
# Offline once the wheels are in .chalice/deployments/wheels (the first run downloads them from
# PyPI). The template is ready for `aws cloudformation package/deploy`: the gateway responses
# merged in, placeholders turned into parameters, the WAF rule on logins added
# (infra/app_template.py).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-build}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
bin="${VENV_BIN:-.venv/bin}"
wheels=.chalice/deployments/wheels

lambda_platform=(--only-binary=:all: --implementation cp --python-version 3.11 --abi cp311)
for minor in $(seq 17 26); do lambda_platform+=(--platform "manylinux_2_${minor}_x86_64"); done
lambda_platform+=(--platform manylinux2014_x86_64)
fetch=("$bin/python" -m pip download --quiet --disable-pip-version-check --require-hashes
       "${lambda_platform[@]}" --dest "$wheels" -r requirements.txt)
mkdir -p "$wheels"
"${fetch[@]}" --no-index --find-links "$wheels" 2>/dev/null || "${fetch[@]}"

rm -rf -- "${out:?}"
log="$(mktemp)"
trap 'rm -f -- "$log"' EXIT
PIP_NO_INDEX=1 PIP_FIND_LINKS="$wheels" \
  "$bin/chalice" package --stage prod --merge-template infra/gateway-responses.json "$out" 2>&1 | tee "$log"
if grep -q "Could not install dependencies" "$log"; then
  echo "package.sh: chalice left dependencies out (above); the package would not work" >&2
  exit 1
fi
"$bin/python" infra/app_template.py "$out/sam.json"
echo "Packaged: $out/sam.json and $out/deployment.zip"
