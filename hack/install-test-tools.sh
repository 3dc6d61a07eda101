#!/usr/bin/env bash
# Installs the tools the tests drive besides Go: the AWS CLI (Debian's awscli package), which
# the emulator's tests use to prove it speaks to the CLI as AWS does. Does nothing when it is
# already installed.
set -euo pipefail

if command -v aws >/dev/null; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "install-test-tools: the AWS CLI is missing; install it (Debian: apt-get install awscli) and run again" >&2
  exit 1
fi
echo "install-test-tools: installing the AWS CLI (apt-get install awscli)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq awscli >&2
