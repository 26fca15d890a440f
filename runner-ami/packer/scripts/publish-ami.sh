#!/bin/bash
# Packer post-processor: writes the AMI id of one build to SSM, where the stack's launch template resolves it.
# Env: MANIFEST (packer manifest file), BUILD_NAME (x86_64|aarch64), PARAMETER, REGION, PUBLISH (true|false).
set -euo pipefail

: "${MANIFEST:?}" "${BUILD_NAME:?}" "${PARAMETER:?}" "${REGION:?}"
# artifact_id is "<region>:<ami-id>"; the last build with this name is the one that just finished.
artifact="$(jq -r --arg name "${BUILD_NAME}" '[.builds[] | select(.name == $name)] | last | .artifact_id' "${MANIFEST}")"
ami="${artifact#*:}"
case "${ami}" in
  ami-*) ;;
  *)
    echo "no AMI id for build ${BUILD_NAME} in ${MANIFEST} (got '${artifact}')" >&2
    exit 1
    ;;
esac

if [ "${PUBLISH:-true}" != "true" ]; then
  echo "built ${ami} for ${BUILD_NAME}; not publishing (publish_ssm=false)"
  exit 0
fi
aws ssm put-parameter --region "${REGION}" --name "${PARAMETER}" --type String --data-type aws:ec2:image \
  --value "${ami}" --overwrite >/dev/null
echo "published ${ami} as ${PARAMETER}"
