#!/usr/bin/env bash
# Builds the envtest binaries (kube-apiserver, etcd, kube-controller-manager, kubectl, and helm)
# from source through the Go module proxy and prints the directory that holds them, for
# KUBEBUILDER_ASSETS.
#
# The Kubernetes version is the one k8s.io/api in go.mod implies (v0.X.Y -> v1.X.Y); etcd is the
# version that Kubernetes release requires. Binaries are cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/transfer-operator/ and reused. Each binary is built in a scratch
# directory and moved into the cache only when its build succeeded, so a failed build leaves
# nothing half-made behind.
#
# Usage: hack/setup-envtest.sh [component...]
#   components: kube-apiserver etcd kube-controller-manager kubectl helm
#   (default: kube-apiserver etcd kube-controller-manager kubectl: what `make test` and
#   `make demo` run). Progress goes to stderr; stdout is only the directory.
#
# kube-apiserver, kube-controller-manager and kubectl are built the same way, from
# k8s.io/kubernetes at that version; kube-controller-manager shares most packages with
# kube-apiserver and adds about 3.5 minutes of CPU to a first build.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.1}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/transfer-operator"

log() { echo "setup-envtest: $*" >&2; }
die() { echo "setup-envtest: error: $*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
export GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0

api_version="$(cd "$repo_root" && go list -m -f '{{.Version}}' k8s.io/api)" ||
  die "cannot read the k8s.io/api version from go.mod"
[[ "$api_version" =~ ^v0\.([0-9]+)\.([0-9]+)$ ]] ||
  die "k8s.io/api $api_version is not a release version (v0.MINOR.PATCH)"
k8s_minor="${BASH_REMATCH[1]}"
k8s_version="v1.${k8s_minor}.${BASH_REMATCH[2]}"

assets="$cache_root/k8s-$k8s_version"
components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(kube-apiserver etcd kube-controller-manager kubectl)

missing=()
for c in "${components[@]}"; do
  case "$c" in kube-apiserver|etcd|kube-controller-manager|kubectl|helm) ;; *) die "unknown component $c" ;; esac
  [[ -f "$assets/$c" && -x "$assets/$c" ]] || missing+=("$c")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "$assets"
  exit 0
fi

mkdir -p "$assets"
scratch="$(mktemp -d "$cache_root/.build.XXXXXX")"
mkdir -p "$scratch/src" "$scratch/bin"
trap 'rm -rf "$scratch"' EXIT

# kubernetes_gomod prints the path of k8s.io/kubernetes' go.mod at $k8s_version.
kubernetes_gomod() {
  (cd "$scratch" && go mod download -json "k8s.io/kubernetes@$k8s_version") |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

# wrapper_module creates a module in $1 that requires $2@$3 and turns every local-path replace
# directive of that module's go.mod ($4) into a replace by published version ($5 for the
# replaced module path prefix, $6 the version). Kubernetes and etcd both keep their
# staging/sibling modules behind such directives, which a dependent module cannot follow.
wrapper_module() {
  local dir="$1" mod="$2" version="$3" gomod="$4" prefix="$5" replace_version="$6"
  mkdir -p "$dir"
  {
    echo "module envtest.local/wrapper"
    echo
    echo "go $(go env GOVERSION | sed 's/^go//; s/\([0-9]*\.[0-9]*\).*/\1/')"
    echo
    echo "require $mod $version"
    echo
    echo "replace ("
    grep -E "^[[:space:]]*${prefix//./\\.}[^ ]* => \.\.?/" "$gomod" |
      awk -v v="$replace_version" '{ print "\t" $1 " => " $1 " " v }'
    echo ")"
  } >"$dir/go.mod"
}

k8s_ldflags() {
  local pkg="k8s.io/component-base/version" cgo="k8s.io/client-go/pkg/version" f=""
  for p in "$pkg" "$cgo"; do
    f+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor"
    f+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  echo "-s -w$f"
}

build_k8s() {
  local name="$1" gomod dir="$scratch/src/kubernetes"
  if [[ ! -f "$dir/go.mod" ]]; then
    log "downloading k8s.io/kubernetes $k8s_version (once; large)"
    gomod="$(kubernetes_gomod)"
    [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$k8s_version"
    wrapper_module "$dir" k8s.io/kubernetes "$k8s_version" "$gomod" k8s.io/ "v0.${k8s_minor}.${k8s_version##*.}"
  fi
  log "building $name $k8s_version from source (first run: several minutes)"
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$(k8s_ldflags)" -o "$scratch/bin/$name" "k8s.io/kubernetes/cmd/$name") ||
    die "building $name failed"
}

build_etcd() {
  local gomod etcd_version dir="$scratch/src/etcd"
  gomod="$(kubernetes_gomod)"
  etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$gomod")"
  [[ -n "$etcd_version" ]] || die "k8s.io/kubernetes@$k8s_version does not name an etcd server version"
  local etcd_gomod
  etcd_gomod="$(mkdir -p "$dir" && cd "$dir" && go mod download -json "go.etcd.io/etcd/server/v3@$etcd_version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$etcd_gomod" ]] || die "could not download go.etcd.io/etcd/server/v3@$etcd_version"
  wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$etcd_version" "$etcd_gomod" go.etcd.io/etcd/ "$etcd_version"
  log "building etcd $etcd_version from source"
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$scratch/bin/etcd" go.etcd.io/etcd/server/v3) ||
    die "building etcd failed"
}

build_helm() {
  log "building helm $HELM_VERSION from source"
  GOBIN="$scratch/bin" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" ||
    die "building helm failed"
}

for c in "${missing[@]}"; do
  case "$c" in
    kube-apiserver|kube-controller-manager|kubectl) build_k8s "$c" ;;
    etcd) build_etcd ;;
    helm) build_helm ;;
  esac
  mv -f "$scratch/bin/$c" "$assets/$c"
  log "cached $assets/$c"
done

echo "$assets"
