#!/bin/bash
# Leaves nothing instance-specific in the image: every runner boots as a new machine.
set -euo pipefail

dnf clean all
rm -rf /var/lib/ibs-runner/* /etc/ibs/runner.env /var/tmp/* /tmp/*
cloud-init clean --logs --seed
truncate -s 0 /etc/machine-id
rm -f /etc/ssh/ssh_host_*
