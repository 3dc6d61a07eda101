#!/usr/bin/env bash
# Copies what `make manifests` generates into the Helm chart, which must be self-contained:
# the CRDs (config/crd/bases -> charts/transfer-operator/files/crds) and the operator's RBAC
# rules (config/rbac/role.yaml -> charts/transfer-operator/files/rbac/role.yaml).
# test/helm fails when the copies differ from the originals.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$repo_root/charts/transfer-operator"

mkdir -p "$chart/files/crds" "$chart/files/rbac"
rm -f "$chart"/files/crds/*.yaml
cp "$repo_root"/config/crd/bases/*.yaml "$chart/files/crds/"
cp "$repo_root/config/rbac/role.yaml" "$chart/files/rbac/role.yaml"
