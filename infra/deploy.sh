#!/usr/bin/env bash
# Deploy the signing portal to the AWS account of the current credentials, in this order:
#   1. the stateful stack (infra/stateful.yaml): the table, bucket, keys, user pool, mail, alarms
#   2. the account's SMS settings (transactional, a monthly spend limit, the sender id)
#   3. the package (infra/package.sh): the Chalice app as a SAM template + code zip
#   4. the app stack: the package uploaded and deployed, its parameters from step 1's outputs
# Every step is safe to repeat: unchanged stacks are left alone. See docs/deploy.md.
#
# Needs: AWS CLI v2 with credentials for the target account, and the venv (`make setup`).
# Settings (environment variables):
#   SENDER_EMAIL           required: the address notices come from (SES mails it a verification link)
#   ALERT_EMAIL            operator address for alarms, bounces and complaints (recommended)
#   PORTAL_URL             public URL of the portal; default: the API's own URL (found after a first deploy)
#   AWS_DEFAULT_REGION     default eu-west-1
#   APP_STACK              default signing-portal; the stateful stack is "$APP_STACK-stateful"
#   ARTIFACT_BUCKET        bucket for the code package; default: created as $APP_STACK-artifacts-<account>-<region>
#   SMS_MONTHLY_LIMIT_USD  default 1, the quota of a new account; raise the quota first (docs/deploy.md)
#   SMS_SPEND_ALARM_USD    default 80% of the limit (at the limit SNS stops every SMS, signing codes too)
#   SMS_SENDER_ID          default Portaal (alphanumeric, at most 11 characters)
#   RETENTION_YEARS        default 7;  RETENTION_MODE  default GOVERNANCE (or COMPLIANCE)
#   TSA_URL                the RFC 3161 time-stamping authority (https://); unset: every time stamp stays pending
#   TSA_CERTIFICATE_CHAIN  that authority's certificates as PEM, leaf first (needed with TSA_URL)
#   SEAL_CERTIFICATE_CHAIN the seal key's certificate and its issuers as PEM, leaf first (for the PDF
#                          transactiebon; unset: it answers 503). The two chains: at most 3000 bytes together
#   BUILD_DIR              default build
set -euo pipefail
cd "$(dirname "$0")/.."

: "${SENDER_EMAIL:?set SENDER_EMAIL, the address that sends notices (see docs/deploy.md)}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
app_stack="${APP_STACK:-signing-portal}"
stateful_stack="${app_stack}-stateful"
sms_limit="${SMS_MONTHLY_LIMIT_USD:-1}"
sms_alarm="${SMS_SPEND_ALARM_USD:-$(awk -v limit="$sms_limit" 'BEGIN { print limit * 0.8 }')}"
build="${BUILD_DIR:-build}"
tsa_url="${TSA_URL:-}"
tsa_chain="${TSA_CERTIFICATE_CHAIN:-}"
seal_chain="${SEAL_CERTIFICATE_CHAIN:-}"

step() { printf '\n== %s\n' "$*"; }

# The time-stamping authority comes from the operator, not from a stack (docs/deploy.md, "Time
# stamps"). Checked before anything is deployed: the app refuses a plain-http authority, a stamp
# it cannot check against the chain is worth nothing, and Lambda allows 4 KB for all of a
# function's environment variables together, of which the others take about 1 KB.
if [[ -n "$tsa_url" && "$tsa_url" != https://* ]]; then
  echo "TSA_URL must be an https:// URL (see docs/deploy.md, 'Time stamps')." >&2; exit 1
fi
if [[ -n "$tsa_url" && "$tsa_chain" != *"-----BEGIN CERTIFICATE-----"* ]]; then
  echo "With TSA_URL, set TSA_CERTIFICATE_CHAIN to the authority's certificates as PEM, leaf first." >&2; exit 1
fi
if (( $(printf '%s%s' "$tsa_chain" "$seal_chain" | wc -c) > 3000 )); then
  echo "TSA_CERTIFICATE_CHAIN and SEAL_CERTIFICATE_CHAIN are over 3000 bytes together, too long for Lambda's environment: end each at the" \
       "certificate that issued the authority's (docs/deploy.md, 'Time stamps')." >&2; exit 1
fi

command -v aws >/dev/null || { echo "The AWS CLI v2 is needed: https://docs.aws.amazon.com/cli/" >&2; exit 1; }
account="$(aws sts get-caller-identity --query Account --output text)"
echo "Deploying to account $account in $AWS_DEFAULT_REGION (stacks $stateful_stack, $app_stack)."
if [[ -z "$tsa_url" ]]; then
  echo "TSA_URL is not set: receipts get no trusted time stamp, and PendingTimestampsAlarm fires an hour" \
       "after the first signature (docs/deploy.md, 'Time stamps')."
fi

step "1/4 Stateful stack $stateful_stack"
stateful_parameters=(
  "SenderEmail=$SENDER_EMAIL"
  "AppStackName=$app_stack"
  "SmsSpendAlarmUsd=$sms_alarm"
  "RetentionYears=${RETENTION_YEARS:-7}"
  "RetentionMode=${RETENTION_MODE:-GOVERNANCE}"
)
if [[ -n "${ALERT_EMAIL:-}" ]]; then stateful_parameters+=("AlertEmail=$ALERT_EMAIL"); fi
aws cloudformation deploy \
  --stack-name "$stateful_stack" \
  --template-file infra/stateful.yaml \
  --no-fail-on-empty-changeset \
  --tags application=signing-portal \
  --parameter-overrides "${stateful_parameters[@]}"
aws cloudformation update-termination-protection --enable-termination-protection \
  --stack-name "$stateful_stack" >/dev/null

step "2/4 SMS settings (Transactional, at most $sms_limit USD a month, sender ${SMS_SENDER_ID:-Portaal})"
aws sns set-sms-attributes --attributes \
  "DefaultSMSType=Transactional,MonthlySpendLimit=$sms_limit,DefaultSenderID=${SMS_SENDER_ID:-Portaal}"

step "3/4 Package"
infra/package.sh "$build"

step "4/4 App stack $app_stack"
bucket="${ARTIFACT_BUCKET:-$app_stack-artifacts-$account-$AWS_DEFAULT_REGION}"
if ! aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
  echo "Creating the artifact bucket $bucket"
  if [[ "$AWS_DEFAULT_REGION" == "us-east-1" ]]; then
    aws s3api create-bucket --bucket "$bucket" >/dev/null
  else
    aws s3api create-bucket --bucket "$bucket" \
      --create-bucket-configuration "LocationConstraint=$AWS_DEFAULT_REGION" >/dev/null
  fi
  aws s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
fi
aws cloudformation package \
  --template-file "$build/sam.json" \
  --s3-bucket "$bucket" \
  --s3-prefix "$app_stack" \
  --output-template-file "$build/packaged.yaml" >/dev/null

# The stateful stack's outputs are the app stack's parameters, name for name (deploy ignores
# the outputs the app template does not declare); the portal URL and the authority are the operator's.
outputs=()
while IFS=$'\t' read -r key value; do
  outputs+=("$key=$value")
done < <(aws cloudformation describe-stacks --stack-name "$stateful_stack" \
           --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text)

app_output() {
  aws cloudformation describe-stacks --stack-name "$app_stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text 2>/dev/null || true
}

# The template is past CloudFormation's 51,200-byte inline limit, so deploy uploads it too.
deploy_app() {
  aws cloudformation deploy \
    --stack-name "$app_stack" \
    --template-file "$build/packaged.yaml" \
    --s3-bucket "$bucket" --s3-prefix "$app_stack" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset \
    --tags application=signing-portal \
    --parameter-overrides "${outputs[@]}" "PortalUrl=$1" "TsaUrl=$tsa_url" "TsaCertificateChain=$tsa_chain" \
      "SealCertificateChain=$seal_chain"
}

portal_url="${PORTAL_URL:-$(app_output EndpointURL)}"
if [[ -n "$portal_url" && "$portal_url" != "None" ]]; then
  deploy_app "${portal_url%/}"
else
  # First deploy without a custom domain: the API's URL exists only once the stack does.
  deploy_app "https://pending.invalid"
  portal_url="$(app_output EndpointURL)"
  deploy_app "${portal_url%/}"
fi

printf '\nDone. The portal: %s\n' "${portal_url%/}"
echo "Next (first deploy only): see docs/deploy.md, 'After the first deploy'."
