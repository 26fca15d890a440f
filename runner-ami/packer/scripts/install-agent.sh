#!/bin/bash
# Installs the bundled agent, its systemd units and the boot-time configuration script.
set -euo pipefail

files=/tmp/ibs-files
install -d -m 0755 /opt/ibs-runner /usr/libexec/ibs-runner
install -d -m 0700 /etc/ibs /var/lib/ibs-runner
install -m 0644 /tmp/runner-agent.mjs /opt/ibs-runner/runner-agent.mjs
install -m 0755 "${files}/fetch-config.sh" /usr/libexec/ibs-runner/fetch-config.sh
install -m 0644 "${files}/ibs-runner.service" /etc/systemd/system/ibs-runner.service
install -m 0644 "${files}/ibs-runner-config.service" /etc/systemd/system/ibs-runner-config.service

# The agent must load without network or configuration: a syntax or bundling error fails the AMI build here.
node --check /opt/ibs-runner/runner-agent.mjs

systemctl daemon-reload
systemctl enable ibs-runner-config.service ibs-runner.service
rm -rf "${files}" /tmp/runner-agent.mjs
