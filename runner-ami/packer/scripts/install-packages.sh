#!/bin/bash
# Installs osbuild with every stage dependency the image types need, and Node.js for the agent.
set -euo pipefail

dnf -y upgrade --refresh
# osbuild and its optional stage families (SELinux labelling, LVM, LUKS, ostree, dnf depsolving), the image tools
# the stages call, and awscli2 for reading the configuration from SSM at boot.
dnf -y install \
  osbuild osbuild-selinux osbuild-lvm2 osbuild-luks2 osbuild-ostree osbuild-depsolve-dnf osbuild-tools \
  qemu-img xfsprogs e2fsprogs dosfstools btrfs-progs lvm2 cryptsetup squashfs-tools erofs-utils \
  skopeo tar xz zstd genisoimage \
  nodejs awscli2 jq

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "${major}" -lt 20 ]; then
  echo "Node.js ${major} is too old for the runner agent (needs >= 20)" >&2
  exit 1
fi
osbuild --version
