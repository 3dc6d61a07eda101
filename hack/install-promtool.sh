#!/usr/bin/env bash
# Builds promtool, Prometheus' rule checker and rule unit tester, from source through the Go
# module proxy at a pinned version, and prints the path of the binary. The tests of the chart's
# PrometheusRule and Grafana dashboard (test/helm) run it.
#
# The binary is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/transfer-operator/ and reused; it
# is built in a scratch directory and moved into the cache only when the build succeeded.
#
# Usage: hack/install-promtool.sh   (progress goes to stderr; stdout is only the path)
set -euo pipefail

# The Go module version of Prometheus (v0.316.0 is Prometheus 3.16.0).
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/transfer-operator"
bin="$cache_root/promtool-$PROMETHEUS_VERSION/promtool"

if [[ -f "$bin" && -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

log() { echo "install-promtool: $*" >&2; }
die() { echo "install-promtool: error: $*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
export GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0

mkdir -p "$cache_root"
scratch="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

log "building promtool $PROMETHEUS_VERSION from source (first run: a few minutes)"
GOBIN="$scratch" go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" ||
  die "building promtool failed"
mkdir -p "$(dirname "$bin")"
mv -f "$scratch/promtool" "$bin"
log "cached $bin"
echo "$bin"
