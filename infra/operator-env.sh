#!/usr/bin/env bash
# Print the app's settings for a deployed stage as `export` lines, so the operator command line
# (python -m local.cli) works on that stage with the operator's own AWS credentials:
#   eval "$(infra/operator-env.sh)" && .venv/bin/python -m local.cli --help
# APP_STACK (default signing-portal) and AWS_DEFAULT_REGION (default eu-west-1) as for deploy.sh.
set -euo pipefail

export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
app_stack="${APP_STACK:-signing-portal}"

# Setting name of the app <- output of the stateful stack, as .chalice/config.json's prod stage
# maps them; with STAGE and PORTAL_URL below, every setting chalicelib/config.py requires
# (tests/unit/test_settings.py checks both).
declare -A setting=(
  [TableName]=TABLE_NAME [DocumentsBucket]=DOCUMENTS_BUCKET
  [DataKeyId]=DATA_KEY_ID [SealKeyId]=SEAL_KEY_ID [UserPoolId]=USER_POOL_ID [UserPoolClientId]=USER_POOL_CLIENT_ID
  [OtpSecretId]=OTP_SECRET_ID [SenderEmail]=SENDER_EMAIL [BulkSendQueueUrl]=BULK_SEND_QUEUE_URL
  [WebhookQueueUrl]=WEBHOOK_QUEUE_URL
)

echo "export STAGE=prod AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION"
while IFS=$'\t' read -r key value; do
  if [[ -n "${setting[$key]:-}" ]]; then
    printf 'export %s=%q\n' "${setting[$key]}" "$value"
  fi
done < <(aws cloudformation describe-stacks --stack-name "$app_stack-stateful" \
           --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text)
portal_url="${PORTAL_URL:-$(aws cloudformation describe-stacks --stack-name "$app_stack" \
  --query "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue" --output text)}"
printf 'export PORTAL_URL=%q\n' "${portal_url%/}"
