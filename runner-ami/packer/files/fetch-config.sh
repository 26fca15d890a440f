#!/bin/bash
# Boot-time configuration of the runner agent (ibs-runner-config.service), written to /etc/ibs/runner.env:
#  1. user data (IMDSv2), lines KEY=VALUE; only IBS_* and AWS_REGION keys are kept;
#  2. if IBS_SSM_PREFIX is set, every parameter under it (e.g. <prefix>/IBS_BUILD_QUEUE_URL) overrides,
#     so queue URLs, table, bucket and region can change without new instances.
set -euo pipefail

# Both overridable only so the tests can run this script against a metadata stand-in on 127.0.0.1.
imds="${IBS_IMDS_ENDPOINT:-http://169.254.169.254}"
out="${IBS_RUNNER_ENV_FILE:-/etc/ibs/runner.env}"
tmp="$(mktemp "${out}.XXXXXX")"
trap 'rm -f "${tmp}"' EXIT

token="$(curl -fsS --connect-timeout 2 --retry 3 -X PUT "${imds}/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')"
meta() { curl -fsS --connect-timeout 2 --retry 3 -H "X-aws-ec2-metadata-token: ${token}" "${imds}/latest/$1"; }

region="$(meta meta-data/placement/region)"
instance="$(meta meta-data/instance-id)"
{
  echo "IBS_BACKEND=aws"
  echo "AWS_REGION=${region}"
  echo "IBS_RUNNER_ID=${instance}"
  echo "IBS_DATA_DIR=/var/lib/ibs-runner"
  echo "IBS_RUNNER_WORKDIR=/var/lib/ibs-runner"
} >"${tmp}"

# User data may be absent (404): then SSM or the defaults above are all there is.
if userdata="$(meta user-data 2>/dev/null)"; then
  printf '%s\n' "${userdata}" | grep -E '^(IBS_[A-Z0-9_]+|AWS_REGION)=' >>"${tmp}" || true
fi

prefix="$(grep -E '^IBS_SSM_PREFIX=' "${tmp}" | tail -n 1 | cut -d= -f2- || true)"
if [ -n "${prefix}" ]; then
  aws ssm get-parameters-by-path --region "${region}" --path "${prefix}" --recursive --with-decryption \
    --query 'Parameters[].[Name,Value]' --output text |
    while IFS=$'\t' read -r name value; do
      key="${name##*/}"
      if [[ "${key}" =~ ^IBS_[A-Z0-9_]+$ ]]; then
        echo "${key}=${value}"
      fi
    done >>"${tmp}"
fi

chmod 0600 "${tmp}"
mv "${tmp}" "${out}"
trap - EXIT
echo "runner configuration written to ${out} ($(wc -l <"${out}") settings)"
