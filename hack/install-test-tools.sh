#!/usr/bin/env bash
# Installs the tools the tests drive besides Go: the AWS CLI (Debian's awscli package), which
# the emulator's tests use to prove it speaks to the CLI as AWS does, and the OpenSSH sftp
# client (Debian's openssh-client package), which the e2e tests log in to the emulator's SFTP
# endpoints with, and the OpenSSH server (Debian's openssh-server package), which
# internal/testpartner runs unprivileged on 127.0.0.1 as the partner SFTP connectors reach.
# Installs only what is missing.
set -euo pipefail

packages=()
command -v aws >/dev/null || packages+=(awscli)
command -v sftp >/dev/null || packages+=(openssh-client)
[[ -x /usr/sbin/sshd ]] || packages+=(openssh-server)
if [[ ${#packages[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "install-test-tools: missing ${packages[*]}; install them (Debian: apt-get install ${packages[*]}) and run again" >&2
  exit 1
fi
echo "install-test-tools: installing ${packages[*]} (apt-get install)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${packages[@]}" >&2
